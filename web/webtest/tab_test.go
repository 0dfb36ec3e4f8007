package webtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opendemocracynow/odn/web/webtest"
)

// TestTabsAndSessions checks that tabs share cookies and sessions don't.
func TestTabsAndSessions(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := "anonymous"
		if c, err := r.Cookie("who"); err == nil {
			who = c.Value
		}
		if r.URL.Path == "/login" {
			http.SetCookie(w, &http.Cookie{Name: "who", Value: "ada", Path: "/"})
			who = "ada"
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>t</title><p id="who">` + who + `</p>`))
	}))
	t.Cleanup(srv.Close)

	read := func(name string, ctx context.Context, path string) string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+path)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("who")))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return s
	}

	first := webtest.NewBrowser(t)
	if got := read("first", first, "/login"); got != "ada" {
		t.Fatalf("first tab after login sees %q", got)
	}
	if got := read("tab", webtest.NewTab(t, first), "/"); got != "ada" {
		t.Errorf("a tab of the same session sees %q, want ada", got)
	}
	if got := read("session", webtest.NewSession(t, first), "/"); got != "anonymous" {
		t.Errorf("a new session sees %q, want anonymous", got)
	}
}
