package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
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
// in-memory counts each node allowed 10); on SQLite, one process, the
// count stays in memory.
func TestAuthLimitSharedAcrossNodes(t *testing.T) {
	e := newEnvOn(t, "postgres")
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
