package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestKillDuringVoteBurst SIGKILLs a real odn process while votes pour in
// through the API, restarts it, and checks the count: every acknowledged
// vote is there, nothing was invented, nobody voted twice, and a recount
// from the stored ballots agrees with the published tally.
func TestKillDuringVoteBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the odn binary")
	}
	bin := filepath.Join(t.TempDir(), "odn")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/opendemocracynow/odn/cmd/odn").CombinedOutput(); err != nil {
		t.Fatalf("build odn: %v\n%s", err, out)
	}
	ctx := context.Background()
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "odn.db")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	st, err := models.Open(ctx, dsn, models.WithKeyGenerator(dbtest.KeyGen()), models.WithFastPasswordHashing(), models.WithBaseURL("http://"+addr))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	mod, err := st.CreateAccount(ctx, models.NewAccount{Username: "mod", Password: "correct horse", Role: models.RoleModerator})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := st.CreateSpace(ctx, nil, models.SpaceInput{Name: "town", Kind: models.KindCity})
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.CreateDebate(ctx, mod, sp, models.DebateInput{Question: "Which colour for the bikes?", Options: []string{"Red", "Blue", "Green"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.OpenDebate(ctx, mod, d.ID); err != nil {
		t.Fatal(err)
	}
	const voters = 300
	tokens := make([]string, voters)
	for i := range tokens {
		acc, err := st.CreateAccount(ctx, models.NewAccount{Username: fmt.Sprintf("v%d", i), Password: "correct horse"})
		if err != nil {
			t.Fatal(err)
		}
		if tokens[i], err = st.CreateToken(ctx, acc, "t"); err != nil {
			t.Fatal(err)
		}
	}

	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--addr", addr, "--base-url", "http://"+addr, "--db", dsn, "--dev-insecure", "--log-format", "text")
		log, _ := os.Create(filepath.Join(dir, fmt.Sprintf("serve-%d.log", time.Now().UnixNano())))
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck // best effort
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					return cmd
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal("odn did not become ready")
		return nil
	}
	cmd := start()

	// Voters come from several loopback addresses, like real clients, so
	// the per-address vote limit does not stop the burst.
	clientFor := func(i int) *http.Client {
		local := &net.TCPAddr{IP: net.IPv4(127, 0, 3, byte(1+i/40))}
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			DialContext: (&net.Dialer{LocalAddr: local}).DialContext, DisableKeepAlives: true}}
	}
	var acked sync.Map // voter index → option
	var sent atomic.Int64
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= voters {
					return
				}
				opt := []string{"Red", "Blue", "Green"}[i%3]
				req, _ := http.NewRequest("POST", fmt.Sprintf("http://%s/api/v1/debates/%d/votes", addr, d.ID),
					strings.NewReader(`{"options":["`+opt+`"]}`))
				req.Header.Set("Authorization", "Bearer "+tokens[i])
				req.Header.Set("Content-Type", "application/json")
				sent.Add(1)
				res, err := clientFor(i).Do(req)
				if err != nil {
					continue // killed mid-request: unknown outcome
				}
				res.Body.Close()
				if res.StatusCode/100 == 2 {
					acked.Store(i, opt)
				} else if res.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("vote %d: status %d", i, res.StatusCode)
				}
			}
		})
	}
	for next.Load() < voters/2 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait() //nolint:errcheck // killed
	wg.Wait()
	start()

	nAcked := 0
	acked.Range(func(_, _ any) bool { nAcked++; return true })
	res, err := st.Results(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Voters < nAcked || res.Voters > int(sent.Load()) {
		t.Fatalf("%d voters counted; %d votes acknowledged, %d sent", res.Voters, nAcked, sent.Load())
	}
	debate, err := st.DebateByID(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	acked.Range(func(k, v any) bool {
		b, err := st.MyBallot(ctx, mustActor(t, st, fmt.Sprintf("v%d", k.(int))), debate)
		if err != nil || b == nil || len(b.Options) != 1 || b.Options[0] != v.(string) {
			t.Errorf("acknowledged vote of v%d for %s is not stored (%v, %+v)", k.(int), v, err, b)
		}
		return true
	})
	rep, err := st.Recount(ctx, nil, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Differences) != 0 {
		t.Fatalf("the published tally differs from the stored ballots after the kill: %v", rep.Differences)
	}
	t.Logf("sent %d, acknowledged %d, counted %d", sent.Load(), nAcked, res.Voters)
}

func mustActor(t *testing.T, st *models.Store, name string) *models.Actor {
	t.Helper()
	acc, err := st.AccountByUsername(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return acc.Actor
}
