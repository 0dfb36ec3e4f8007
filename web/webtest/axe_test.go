package webtest_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opendemocracynow/odn/web/webtest"
)

const accessiblePage = `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Consultation</title></head>
<body><header><nav aria-label="Menu"><a href="/">Accueil</a></nav></header>
<main><h1>Budget participatif</h1>
<form method="post"><label for="c">Commentaire</label><input id="c" name="c">
<button type="submit">Envoyer</button></form>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="Carte du quartier">
</main></body></html>`

const brokenPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>Broken</title></head>
<body><main><h1>Broken</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<input name="nolabel">
<p style="color:#bbb;background:#fff">low contrast text</p>
</main></body></html>`

// serveWithCSP serves html under odn's kind of strict CSP, which must
// not stop axe-core from loading.
func serveWithCSP(t *testing.T, html string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
		w.Write([]byte(html))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAxe(t *testing.T) {
	ctx := webtest.NewBrowser(t)
	good, bad := serveWithCSP(t, accessiblePage), serveWithCSP(t, brokenPage)

	if err := chromedp.Do(ctx, chromedp.Navigate(good)); err != nil {
		t.Fatal(err)
	}
	webtest.CheckAccessible(t, ctx)

	if err := chromedp.Do(ctx, chromedp.Navigate(bad)); err != nil {
		t.Fatal(err)
	}
	webtest.InjectAxe(t, ctx)
	webtest.InjectAxe(t, ctx) // idempotent
	vs := webtest.RunAxe(t, ctx)
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.ID)
		if len(v.Nodes) == 0 || v.HelpURL == "" {
			t.Errorf("violation without nodes or help: %s", v)
		}
	}
	for _, want := range []string{"html-has-lang", "image-alt", "label", "color-contrast"} {
		if !slices.Contains(ids, want) {
			t.Errorf("axe did not report %s; got %v", want, ids)
		}
	}
	if testing.Verbose() && len(vs) > 0 {
		t.Logf("example report:\n%s", vs[0])
	}
}
