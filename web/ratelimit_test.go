package web_test

import (
	"fmt"
	"net/http"
	"testing"
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
