package web_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web"
)

// Supports, votes and signatures are limited per account: the 31st try
// within a minute is 429 with Retry-After, on the API as on the pages,
// while reads stay free and other accounts are not affected.
func TestParticipationRateLimit(t *testing.T) {
	o := newOpenDataSite(t)
	tok := o.token("cyd")
	path := fmt.Sprintf("/api/v1/proposals/%d/support", o.shown.ID)
	var last *http.Response
	for i := 0; i < 31; i++ {
		method := http.MethodPost
		if i%2 == 1 {
			method = http.MethodDelete
		}
		last = o.api(method, path, tok, nil, nil)
		if i < 30 && last.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("limited after %d calls", i)
		}
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("31st support: %d, Retry-After %q", last.StatusCode, last.Header.Get("Retry-After"))
	}
	if res := o.api(http.MethodGet, fmt.Sprintf("/api/v1/proposals/%d", o.shown.ID), tok, nil, nil); res.StatusCode != http.StatusOK {
		t.Errorf("read after limit: %d", res.StatusCode)
	}
	if res := o.api(http.MethodPost, path, o.token("ann"), nil, nil); res.StatusCode == http.StatusTooManyRequests {
		t.Error("another account is limited too")
	}
	// The web form shares the account's budget.
	c := o.loggedIn("cyd")
	if res := o.postForm(c, fmt.Sprintf("/p/%d/support", o.shown.ID), nil); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("form support after the API limit: %d", res.StatusCode)
	}
}

// Public read-only routes are readable from any origin; a preflight for an
// API write is answered, and credentials (cookies) are never allowed, so
// only a bearer token can write.
func TestCORSOnPublicRoutes(t *testing.T) {
	o := newOpenDataSite(t)
	req, _ := http.NewRequest(http.MethodOptions, o.URL+"/api/v1/spaces/town/proposals", nil)
	req.Header.Set("Origin", "https://blog.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	res := o.do(http.DefaultClient, req)
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != "*" ||
		res.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
	}
	for _, path := range []string{"/api/v1/instance", "/api/v1/spaces/town/proposals", "/s/town/feed.atom", "/s/town/export.json",
		fmt.Sprintf("/export/petition/%d.json", o.petition.ID)} {
		req, _ := http.NewRequest(http.MethodGet, o.URL+path, nil)
		req.Header.Set("Origin", "https://blog.example")
		res := o.do(http.DefaultClient, req)
		if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != "*" || res.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("%s: %d ACAO %q", path, res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	// HTML pages are not opened to other origins.
	if res := o.get(o.client(), "/account/export"); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("account export readable cross-origin")
	}
}

// TestClientAddressBehindProxy: behind a trusted reverse proxy the log-in
// limit counts each client named by X-Forwarded-For (its rightmost
// untrusted entry, so a client cannot prepend its way out of the limit);
// from an untrusted peer the header is ignored and cannot choose the
// bucket.
func TestClientAddressBehindProxy(t *testing.T) {
	behindProxy := func(o *web.Options) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	cases := []struct {
		name    string
		env     func(t *testing.T) *testEnv
		xff     func(i int) string // X-Forwarded-For of the i-th of 11 log-ins
		limited bool               // the 11th is refused
		other   string             // then a log-in with this header…
		free    bool               // …passes
	}{
		{"direct, spoofed header ignored", newEnv, func(i int) string { return fmt.Sprintf("198.51.100.%d", i+1) }, true, "198.51.100.200", false},
		{"proxy, one client", func(t *testing.T) *testEnv { return newEnvOn(t, "sqlite", behindProxy) },
			func(int) string { return "203.0.113.7" }, true, "203.0.113.8", true},
		{"proxy, client prepends forged entries", func(t *testing.T) *testEnv { return newEnvOn(t, "sqlite", behindProxy) },
			func(i int) string { return fmt.Sprintf("198.51.100.%d, 203.0.113.7", i+1) }, true, "203.0.113.7, 127.0.0.1", false},
		{"proxy, clients apart", func(t *testing.T) *testEnv { return newEnvOn(t, "sqlite", behindProxy) },
			func(i int) string { return fmt.Sprintf("203.0.113.%d", i+1) }, false, "203.0.113.200", true},
		{"proxy without a header: the proxy is the client", func(t *testing.T) *testEnv { return newEnvOn(t, "sqlite", behindProxy) },
			func(int) string { return "" }, true, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.env(t)
			e.user("alice", models.RoleMember)
			login := func(xff string) *http.Response {
				req, _ := http.NewRequest(http.MethodPost, e.URL+"/login", strings.NewReader("username=alice&password=wrong+wrong+wrong"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", e.URL)
				if xff != "" {
					req.Header.Set("X-Forwarded-For", xff)
				}
				return e.do(e.client(), req)
			}
			var last *http.Response
			for i := range 11 {
				last = login(tc.xff(i))
			}
			if got := last.StatusCode == http.StatusTooManyRequests; got != tc.limited {
				t.Fatalf("11th log-in: status %d, limited %v, want %v", last.StatusCode, got, tc.limited)
			}
			if got := login(tc.other).StatusCode != http.StatusTooManyRequests; got != tc.free {
				t.Fatalf("then X-Forwarded-For %q: free %v, want %v", tc.other, got, tc.free)
			}
		})
	}
}
