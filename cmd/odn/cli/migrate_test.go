package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestMigrateStaleLockAndUnlock: a lock row left by an odn killed while
// migrating is reported with the way out, and `odn migrate unlock`
// clears it.
func TestMigrateStaleLockAndUnlock(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := models.Open(ctx, "sqlite://"+filepath.Join(dir, "odn.db"))
	if err != nil {
		t.Fatal(err)
	}
	m := st.Migrator()
	if err := m.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Lock(ctx); err != nil { // the crashed odn
		t.Fatal(err)
	}
	st.Close()
	old := models.MigrateLockTimeout
	models.MigrateLockTimeout = 300 * time.Millisecond
	defer func() { models.MigrateLockTimeout = old }()

	code, _, errOut := runCLI(t, dir, "", "admin", "user", "list")
	if code != 1 || !strings.Contains(errOut, "stopped while migrating") || !strings.Contains(errOut, "odn migrate unlock") {
		t.Fatalf("locked: exit %d %q", code, errOut)
	}
	if code, out, errOut := runCLI(t, dir, "", "migrate", "unlock"); code != 0 || !strings.Contains(out, "removed a stale migration lock") {
		t.Fatalf("unlock: exit %d %q %q", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, dir, "", "migrate", "unlock"); code != 0 || !strings.Contains(out, "not locked") {
		t.Fatalf("second unlock: exit %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, dir, "", "admin", "user", "list"); code != 0 {
		t.Fatalf("after unlock: exit %d %q", code, errOut)
	}
}

// TestParallelCommands: commands run side by side on a migrated database
// (each used to take the migration lock, and half of them failed).
func TestParallelCommands(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, dir, "", "migrate", "up"); code != 0 {
		t.Fatal(errOut)
	}
	const n = 12
	codes := make(chan string, n)
	for range n {
		go func() {
			code, _, errOut := runCLI(t, dir, "", "admin", "block", "list")
			if code != 0 {
				codes <- errOut
				return
			}
			codes <- ""
		}()
	}
	for range n {
		if e := <-codes; e != "" {
			t.Error(e)
		}
	}
}
