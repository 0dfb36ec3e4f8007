package webtest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opendemocracynow/odn/web/webtest"
)

// reflowPage wraps body in a page with odn's kind of header and a
// viewport meta, served under a strict CSP.
func reflowPage(t *testing.T, body string) string {
	t.Helper()
	return serveWithCSP(t, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>T</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; font: 16px/1.5 sans-serif; } * { box-sizing: border-box; } button { min-height: 44px; }</style></head>
<body><header class="site-header"><nav aria-label="Menu"><a href="/">Home</a> <a href="/s" style="margin-left:2rem">Spaces</a></nav></header>
<main><h1>T</h1>`+body+`</main></body></html>`)
}

// goodReflow reflows at every width: a wide table scrolls in its labelled,
// focusable region, a small link sits in a sentence, targets are large.
const goodReflow = `<p>A long address wraps: <a href="/x" style="overflow-wrap:anywhere">https://example.org/a/very/long/path/that/would/not/fit/otherwise</a>.</p>
<div style="overflow-x:auto" tabindex="0" role="region" aria-label="Results"><table style="width:900px"><caption>R</caption>
<tr><th>A</th><th>B</th></tr><tr><td>1</td><td style="color:#333">far</td></tr></table></div>
<p><button>Send</button> <label><input type="checkbox" style="width:20px;height:20px"> Tick</label></p>
<select style="width:100%"><option>One</option></select>`

func TestReflowFindsNothingOnAGoodPage(t *testing.T) {
	ctx := webtest.NewBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(reflowPage(t, goodReflow))); err != nil {
		t.Fatal(err)
	}
	for _, w := range append(webtest.ReflowWidths, webtest.Zoom200.Width) {
		webtest.SetViewport(t, ctx, webtest.Viewport{Width: w})
		for _, p := range webtest.LayoutProblems(t, ctx) {
			t.Errorf("at %d px: %s", w, p)
		}
		for _, p := range webtest.ControlText(t, ctx) {
			t.Errorf("at %d px: %s", w, p)
		}
	}
	vs, undecided := webtest.ScrolledContrast(t, ctx)
	if len(vs)+len(undecided) > 0 {
		t.Errorf("contrast in the scroller: %v %v", vs, undecided)
	}
}

// TestReflowFindsEachProblem: each kind of problem on its own page, at
// 320 px, found and named by its element.
func TestReflowFindsEachProblem(t *testing.T) {
	ctx := webtest.NewBrowser(t)
	for _, c := range []struct {
		name, body string
		want       []string
		controls   bool // ControlText, not LayoutProblems
	}{
		{"wide block", `<div class="wide" style="width:500px">x</div>`,
			[]string{"the page scrolls sideways: it is 500 px wide in a 320 px viewport", "main > div.wide is wider than the viewport"}, false},
		{"long word", `<p id="w">https://example.org/a/very/long/path/that/does/not/wrap/at/all</p>`,
			[]string{`text "https://example.org/a/very/long/path/tha" of #w does not wrap`}, false},
		{"stuck scroller", `<div class="s" style="overflow-x:auto"><table style="width:900px"><tr><td>x</td></tr></table></div>`,
			[]string{"main > div.s scrolls sideways but is not keyboard-focusable (tabindex=0), is not a labelled region"}, false},
		{"scroller of no table", `<div class="s" style="overflow-x:auto" tabindex="0" role="region" aria-label="Code"><pre style="white-space:pre">` + strings.Repeat("x", 80) + `</pre></div>`,
			[]string{"main > div.s scrolls sideways but holds no data table"}, false},
		{"small targets", `<p><button class="a" style="width:16px;height:16px;min-height:0;padding:0">a</button><button class="b" style="width:16px;height:16px;min-height:0;padding:0">b</button></p>`,
			[]string{"target main > p > button.a:nth-of-type(1) is 16.0×16.0 px, under 24×24, and too near main > p > button.b:nth-of-type(2)"}, false},
		{"hidden navigation", `<style>.site-header a[href="/s"] { visibility: hidden }</style>`,
			[]string{`navigation header.site-header > nav > a:nth-of-type(2) is not shown`}, false},
		{"covered navigation", `<div style="position:fixed;top:0;left:0;width:100%;height:5rem;background:#fff"></div>`,
			[]string{`navigation header.site-header > nav > a:nth-of-type(1) is covered by main > div`}, false},
		{"spilling button", `<button style="width:60px;white-space:nowrap">Send the form now</button>`,
			[]string{`text "Send the form now" spills out of main > button`}, true},
		{"narrow select", `<select id="s" style="width:80px"><option>A</option><option selected>A rather long option</option></select>`,
			[]string{`#s is 80 px wide, its chosen option "A rather long option" needs`}, true},
		{"low field", `<input id="f" value="Text" style="height:12px;font-size:16px">`,
			[]string{`#f is 12 px high, its text needs`}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(reflowPage(t, c.body))); err != nil {
				t.Fatal(err)
			}
			webtest.SetViewport(t, ctx, webtest.Viewport{Width: 320})
			got := webtest.LayoutProblems(t, ctx)
			if c.controls {
				got = webtest.ControlText(t, ctx)
			}
			all := strings.Join(got, "\n")
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("no %q in:\n%s", w, all)
				}
			}
		})
	}
}

// TestScrolledContrast: a plain axe run at 320 px passes over cells of a
// wide table scrolled out of view, whose background is the page's;
// ScrolledContrast finds them, a count too.
func TestScrolledContrast(t *testing.T) {
	ctx := webtest.NewBrowser(t)
	u := serveWithCSP(t, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>T</title>
<meta name="viewport" content="width=device-width"></head><body style="background:#eee"><main><h1>T</h1>
<div style="overflow-x:auto;position:relative" tabindex="0" role="region" aria-label="Table">
<table style="width:1200px"><caption>Votes</caption><tr><th>Name</th><th>Count</th><th>Note</th></tr>
<tr><td style="width:400px">Alice</td><td style="width:400px;color:#888">7</td><td id="far" style="color:#888">scrolled out of view</td></tr>
</table></div></main></body></html>`)
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatal(err)
	}
	webtest.SetViewport(t, ctx, webtest.Viewport{Width: 320})
	plain := fmt.Sprint(webtest.RunAxe(t, ctx))
	if strings.Contains(plain, "#far") {
		t.Logf("axe-core now checks scrolled cells itself: %s", plain)
	}
	vs, undecided := webtest.ScrolledContrast(t, ctx)
	got := fmt.Sprint(vs)
	for _, want := range []string{"color-contrast", "#far", "td:nth-child(2)"} {
		if !strings.Contains(got, want) {
			t.Errorf("ScrolledContrast found no %s: %s", want, got)
		}
	}
	if len(undecided) > 0 {
		t.Errorf("undecided: %v", undecided)
	}
	// The table is put back: it scrolls again.
	back, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const d = document.querySelector("[role=region]"); return (d.scrollWidth > d.clientWidth) + " " + d.getAttribute("style"); })()`))
	if err != nil || back != "true overflow-x: auto; position: relative;" {
		t.Errorf("the scroll container was not put back: %q (%v)", back, err)
	}
}
