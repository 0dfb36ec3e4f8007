package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web"
)

// secondNode starts another web server on e's store, as a second node of
// a deployment behind a load balancer would be: its own process memory,
// the same database.
func secondNode(t *testing.T, e *testEnv) *testEnv {
	t.Helper()
	srv, err := web.New(web.Options{Store: e.Store, BaseURL: e.URL, Version: "test", Now: func() time.Time { return e.Now }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	n := *e
	n.URL, n.Server = ts.URL, srv
	return &n
}

// TestAuthLimitSharedAcrossNodes: on PostgreSQL two nodes count a
// client's attempts together, so the 11th across both is refused (with
// in-memory counts each node allowed 10); the count slides like
// httprate's: just after the minute the previous one's attempts still
// count almost whole, two minutes on they are gone. The window is the
// server's clock's, which the test holds still, so the attempts cannot
// straddle a minute's end.
func TestAuthLimitSharedAcrossNodes(t *testing.T) {
	e := newEnvOn(t, "postgres")
	e.Now = e.Now.Truncate(time.Minute).Add(30 * time.Second)
	e.user("alice", models.RoleMember)
	nodes := []*testEnv{e, secondNode(t, e)}
	guess := url.Values{"username": {"alice"}, "password": {"guess guess guess"}}
	for i := range authAttempts {
		n := nodes[i%2]
		if res := n.postForm(n.client(), "/login", guess); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401", i+1, res.StatusCode)
		}
	}
	for i, n := range nodes {
		res := n.postForm(n.client(), "/login", guess)
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Fatalf("attempt %d, on node %d: status %d, Retry-After %q; want 429 with Retry-After",
				authAttempts+1+i, i+1, res.StatusCode, res.Header.Get("Retry-After"))
		}
	}
	// The forgotten-password form shares the count, on either node.
	if res := nodes[1].postForm(nodes[1].client(), "/password/forgot", url.Values{"name": {"alice"}}); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("password reset past the limit: status %d, want 429", res.StatusCode)
	}
	for _, c := range []struct {
		after time.Duration // from the start of the first minute
		want  int
	}{
		{time.Minute + time.Second, http.StatusTooManyRequests},
		{3 * time.Minute, http.StatusUnauthorized},
	} {
		e.Now = e.Now.Truncate(time.Minute).Add(c.after)
		if res := nodes[0].postForm(nodes[0].client(), "/login", guess); res.StatusCode != c.want {
			t.Errorf("%s on: status %d, want %d", c.after, res.StatusCode, c.want)
		}
	}
}

// authAttempts is web's per-address limit (auth.go).
const authAttempts = 10

// TestAuthLimitFailsClosed: on PostgreSQL, a log-in whose shared count
// cannot be read is refused with 503 and Retry-After, not let through
// uncounted.
func TestAuthLimitFailsClosed(t *testing.T) {
	e := newEnvOn(t, "postgres")
	e.user("alice", models.RoleMember)
	if _, err := e.Store.DB.ExecContext(context.Background(), "DROP TABLE rate_counts"); err != nil {
		t.Fatal(err)
	}
	res := e.postForm(e.client(), "/login", url.Values{"username": {"alice"}, "password": {testPassword}})
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", res.StatusCode)
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s <= 0 {
		t.Errorf("Retry-After %q", res.Header.Get("Retry-After"))
	}
	// One answer: httprate calls its limit handler after its error handler.
	if body := readBody(res); strings.Contains(body, "Too many attempts") || strings.Count(body, "</html>") != 1 {
		t.Errorf("the 503 page is not alone:\n%s", body)
	}
}

// TestAuthLimitKeysNotSerialised: on PostgreSQL a client's count that
// cannot be written at once (its row held by another transaction) delays
// that client only, for at most the count's timeout, then refuses it with
// 503; a log-in from another address meanwhile is answered at once. (With
// httprate's counter, one lock per limiter queued every address behind
// the stuck one's database round trips.)
func TestAuthLimitKeysNotSerialised(t *testing.T) {
	e := newEnvOn(t, "postgres", func(o *web.Options) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	})
	e.user("alice", models.RoleMember)
	// login answers the status and Retry-After of a log-in from addr, and
	// how long it took.
	login := func(addr string) (int, string, time.Duration) {
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/login", strings.NewReader("username=alice&password=wrong+wrong+wrong"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("X-Forwarded-For", addr)
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, "", 0
		}
		res.Body.Close()
		return res.StatusCode, res.Header.Get("Retry-After"), time.Since(start)
	}
	const a, b = "203.0.113.1", "203.0.113.2"
	if status, _, _ := login(a); status != http.StatusUnauthorized {
		t.Fatalf("first log-in from A: status %d, want 401", status)
	}
	// Hold A's row: the only one there is.
	ctx := context.Background()
	tx, err := e.Store.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // rolled back below
	if _, err := tx.ExecContext(ctx, "SELECT 1 FROM rate_counts FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status     int
		retryAfter string
		took       time.Duration
	}
	fromA := make(chan answer, 1)
	go func() { status, retry, took := login(a); fromA <- answer{status, retry, took} }()
	// Wait for A's count to wait on the lock.
	for deadline := time.Now().Add(5 * time.Second); ; {
		var waiting int
		if err := e.Store.DB.NewRaw("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(ctx, &waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("A's log-in never waited on its row")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if status, _, took := login(b); status != http.StatusUnauthorized || took >= time.Second {
		t.Errorf("log-in from B while A's row is held: status %d after %s; want 401 in under a second", status, took)
	}
	got := <-fromA
	if got.status != http.StatusServiceUnavailable || got.retryAfter == "" {
		t.Errorf("log-in from A while its row is held: status %d, Retry-After %q after %s; want 503 with Retry-After", got.status, got.retryAfter, got.took)
	}
	if got.took > 3*time.Second {
		t.Errorf("A waited %s: the count's timeout is a second", got.took)
	}
}
