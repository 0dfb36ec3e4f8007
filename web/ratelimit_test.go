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
