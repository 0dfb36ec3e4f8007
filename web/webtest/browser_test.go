package webtest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opendemocracynow/odn/web/webtest"
)

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>webtest</title></head>
<body><main><h1 id="t">Bonjour, Open Democracy Now</h1>
<p id="js">static</p>
<script>document.getElementById("js").textContent = "scripted " + (40 + 2);</script>
</main></body></html>`

func servePage(t *testing.T, html string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, html)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestBrowserReadsTextAndTakesScreenshot(t *testing.T) {
	shots := t.TempDir()
	t.Setenv("ODN_SCREENSHOT_DIR", shots)
	url := servePage(t, page)

	ctx := webtest.NewBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatal(err)
	}
	if h1 != "Bonjour, Open Democracy Now" {
		t.Errorf("h1 = %q", h1)
	}
	js, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("js")))
	if err != nil {
		t.Fatal(err)
	}
	if js != "scripted 42" {
		t.Errorf("scripted text = %q: JavaScript did not run", js)
	}

	webtest.Screenshot(t, ctx, "home page")
	png, err := os.ReadFile(filepath.Join(shots, "TestBrowserReadsTextAndTakesScreenshot--home_page.png"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 1000 {
		t.Errorf("screenshot is not a PNG (%d bytes)", len(png))
	}
}

func TestTwoBrowsersInParallel(t *testing.T) {
	url := servePage(t, page)
	for _, name := range []string{"a", "b"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := webtest.NewBrowser(t)
			if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
				t.Fatal(err)
			}
			title, err := chromedp.Run(ctx, chromedp.Title())
			if err != nil {
				t.Fatal(err)
			}
			if title != "webtest" {
				t.Errorf("title = %q", title)
			}
		})
	}
}
