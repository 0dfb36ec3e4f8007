// Package fedtest runs several real odn instances in one test process,
// each on 127.0.0.1 with its own port and database, in --dev-insecure
// mode, so tests exercise real follow and delivery flows with signed HTTP
// between them. Keys are pre-made (dbtest.KeyGen) and worker intervals
// short, so an instance starts in a few tens of milliseconds.
package fedtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/cmd/odn/cli"
	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// DefaultEnv are the tuning variables every instance gets: fast polling,
// short leases and a fixed, short retry delay.
var DefaultEnv = map[string]string{
	"ODN_FEDERATION_POLL":  "50ms",
	"ODN_FEDERATION_LEASE": "3s",
	"ODN_FEDERATION_RETRY": "200ms",
	"ODN_LOG_LEVEL":        "debug",
}

// Instance is one running odn server.
type Instance struct {
	Name    string
	Addr    string // 127.0.0.1:PORT
	BaseURL string // http://127.0.0.1:PORT
	Host    string // 127.0.0.1:PORT
	DSN     string
	// Store is a second handle on the instance's database, for setting
	// up data and asserting; the server has its own.
	Store *models.Store
	Env   map[string]string

	t      testing.TB
	log    *syncBuffer
	cancel context.CancelFunc
	done   chan int
}

// Start starts n instances, named a, b, c…, each on a fresh SQLite
// database, and stops them when t ends.
func Start(t testing.TB, n int) []*Instance {
	t.Helper()
	out := make([]*Instance, n)
	for i := range out {
		out[i] = StartOne(t, string(rune('a'+i)), "sqlite://"+filepath.Join(t.TempDir(), "odn.db"), nil)
	}
	return out
}

// StartOne starts an instance on the database dsn with extra environment
// variables (added to DefaultEnv).
func StartOne(t testing.TB, name, dsn string, env map[string]string) *Instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("fedtest: listen: %v", err)
	}
	in := &Instance{Name: name, Addr: ln.Addr().String(), DSN: dsn, t: t, log: &syncBuffer{}, Env: map[string]string{}}
	in.Host, in.BaseURL = in.Addr, "http://"+in.Addr
	if base := env["FEDTEST_BASE_URL"]; base != "" {
		// Several nodes of one instance share a database and a base URL.
		in.BaseURL = base
		in.Host = strings.TrimPrefix(base, "http://")
	}
	for k, v := range DefaultEnv {
		in.Env[k] = v
	}
	for k, v := range env {
		in.Env[k] = v
	}
	in.start(ln)
	t.Cleanup(func() {
		in.Stop()
		if t.Failed() || os.Getenv("FEDTEST_LOG") != "" {
			t.Logf("fedtest: log of instance %s (%s):\n%s", in.Name, in.BaseURL, in.log.tail(200))
		}
	})
	return in
}

func (in *Instance) start(ln net.Listener) {
	t := in.t
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	in.cancel, in.done = cancel, make(chan int, 1)
	env := cli.Env{
		Stdout: in.log, Stderr: in.log, Version: "test",
		Getenv:       func(k string) string { return in.Env[k] },
		Listener:     ln,
		Ready:        func(string) { close(ready) },
		StoreOptions: []models.Option{models.WithKeyGenerator(dbtest.KeyGen()), models.WithFastPasswordHashing()},
	}
	args := []string{"serve", "--addr", in.Addr, "--base-url", in.BaseURL, "--db", in.DSN, "--dev-insecure", "--log-format", "text"}
	go func() { in.done <- cli.Run(ctx, args, env) }()
	select {
	case <-ready:
	case code := <-in.done:
		in.done <- code
		t.Fatalf("fedtest: instance %s exited with %d:\n%s", in.Name, code, in.log.tail(50))
	case <-time.After(30 * time.Second):
		t.Fatalf("fedtest: instance %s did not start:\n%s", in.Name, in.log.tail(50))
	}
	if in.Store == nil {
		st, err := models.Open(context.Background(), in.DSN, models.WithBaseURL(in.BaseURL),
			models.WithKeyGenerator(dbtest.KeyGen()), models.WithFastPasswordHashing())
		if err != nil {
			t.Fatalf("fedtest: open store of %s: %v", in.Name, err)
		}
		in.Store = st
		t.Cleanup(func() { st.Close() })
	}
}

// Stop cancels the instance and waits for it to exit (idempotent).
func (in *Instance) Stop() {
	if in.cancel == nil {
		return
	}
	in.cancel()
	select {
	case <-in.done:
	case <-time.After(30 * time.Second):
		in.t.Errorf("fedtest: instance %s did not stop", in.Name)
	}
	in.cancel = nil
}

// Restart stops the instance and starts it again on the same port and
// database.
func (in *Instance) Restart() {
	in.Stop()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", in.Addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		in.t.Fatalf("fedtest: relisten %s: %v", in.Addr, err)
	}
	in.start(ln)
}

// Handle is name@host on this instance.
func (in *Instance) Handle(name string) string { return name + "@" + in.Host }

// User creates an account (an admin when admin is set) and returns it
// with an API token.
func (in *Instance) User(name string, admin bool) (*models.Account, string) {
	in.t.Helper()
	ctx := context.Background()
	role := models.RoleMember
	if admin {
		role = models.RoleAdmin
	}
	acc, err := in.Store.CreateAccount(ctx, models.NewAccount{Username: name, Password: "correct horse battery", Role: role})
	if err != nil {
		in.t.Fatalf("fedtest: create user %s on %s: %v", name, in.Name, err)
	}
	tok, err := in.Store.CreateToken(ctx, acc, "fedtest")
	if err != nil {
		in.t.Fatalf("fedtest: token: %v", err)
	}
	return acc, tok
}

// Space creates a space (city kind) and returns it.
func (in *Instance) Space(name string) *models.Space {
	in.t.Helper()
	sp, err := in.Store.CreateSpace(context.Background(), nil, models.SpaceInput{Name: name, Kind: models.KindCity, Title: strings.ToUpper(name)})
	if err != nil {
		in.t.Fatalf("fedtest: create space %s on %s: %v", name, in.Name, err)
	}
	in.Settle()
	return sp
}

// Settle waits until the instance has processed every outbox event. The
// test's Store is a second handle on the database (like `odn admin` in
// another process): the server sees its writes at its next poll, not at
// once, so a test that goes on at once could race the server's handling
// of what it just wrote (a space's Update{Group} reaching a follower who
// followed after the space was created).
func (in *Instance) Settle() {
	in.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		evs, err := in.Store.PendingEvents(context.Background(), 1)
		if err != nil {
			in.t.Fatalf("fedtest: pending events of %s: %v", in.Name, err)
		}
		if len(evs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("fedtest: %s did not process event %d (%s) in 10 s", in.Name, evs[0].ID, evs[0].Kind)
		}
	}
}

// API calls the JSON API with a bearer token and decodes the answer into
// out (when not nil); it returns the status.
func (in *Instance) API(method, path, token string, body, out any) int {
	in.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, in.BaseURL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatalf("fedtest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			in.t.Fatalf("fedtest: %s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

// Eventually polls cond every 25 ms until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("fedtest: timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// syncBuffer collects an instance's log lines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 8<<20 {
		b.buf.Reset()
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) tail(lines int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	all := strings.Split(b.buf.String(), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// String names the instance in messages.
func (in *Instance) String() string { return fmt.Sprintf("%s(%s)", in.Name, in.BaseURL) }
