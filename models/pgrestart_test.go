package models_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// pgctl runs .ci/pg.sh with a private state file.
func pgctl(t *testing.T, state string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join("..", ".ci", "pg.sh"), args...)
	cmd.Env = append(os.Environ(), "ODN_PG_STATE="+state)
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// TestPostgresRestartUnderLoad restarts a private PostgreSQL server while accounts are being created: during the outage writes fail
// as "unavailable" (never as anything else), afterwards the same store
// works again without being reopened, and every write that reported
// success is there — no more, no less.
func TestPostgresRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test skipped in -short mode")
	}
	if _, err := pgctl(t, filepath.Join(t.TempDir(), "check"), "check"); err != nil {
		if dbtest.Strict() {
			t.Fatal("PostgreSQL server binaries are missing (ODN_TEST_STRICT=1)")
		}
		t.Skip("PostgreSQL server binaries are missing")
	}
	state := filepath.Join(t.TempDir(), "pg.state")
	dsn, err := pgctl(t, state, "start")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { pgctl(t, state, "stop") }) //nolint:errcheck // best effort
	ctx := context.Background()
	s, err := models.Open(ctx, dsn, models.WithFastPasswordHashing(), models.WithKeyGenerator(dbtest.KeyGen()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	var ok, unavailable atomic.Int64
	var mu sync.Mutex
	var created []string
	var other []error
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("u%d_%d", w, i)
				_, err := s.CreateAccount(ctx, models.NewAccount{Username: name, Password: "correct horse"})
				switch {
				case err == nil:
					ok.Add(1)
					mu.Lock()
					created = append(created, name)
					mu.Unlock()
				case models.IsUnavailable(err):
					unavailable.Add(1)
					time.Sleep(20 * time.Millisecond)
				default:
					mu.Lock()
					other = append(other, err)
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := pgctl(t, state, "restart"); err != nil {
		close(stop)
		wg.Wait()
		t.Fatalf("restart: %v", err)
	}
	before := ok.Load()
	deadline := time.Now().Add(15 * time.Second)
	for ok.Load() < before+20 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if ok.Load() < before+20 {
		t.Fatalf("the store did not recover after the restart: %d writes before, %d after", before, ok.Load())
	}
	for _, err := range other {
		t.Errorf("a write failed for another reason than unavailability: %v", err)
	}
	accs, err := s.ListAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(accs) != len(created) {
		t.Fatalf("%d accounts stored, %d creations reported success", len(accs), len(created))
	}
	t.Logf("%d writes succeeded, %d refused as unavailable during the restart", ok.Load(), unavailable.Load())
}
