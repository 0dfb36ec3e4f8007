package webtest_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opendemocracynow/odn/web/webtest"
)

// textPage fits at the browser's default text size and spacing, and
// breaks under either change: a tag whose box is one tight line high
// and hides its overflow (taller lines clip it), a note placed 24 px
// below a heading (200 % text runs the heading into it). Its visually
// hidden text, and a table scrolled sideways, are fine at any size.
const textPage = `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Texte</title><style>
body { font: 1rem/1.2 sans-serif; margin: 1rem; width: 30rem; }
.tag { display: inline-block; height: 1.2em; overflow: hidden; }
.titled { position: relative; height: 48px; }
.titled small { position: absolute; top: 24px; left: 0; font-size: 0.875rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.scroll { overflow-x: auto; width: 10rem; }
</style></head>
<body><main>
<p><span class="tag">Ouvert</span></p>
<div class="titled"><strong>Résultats</strong><small>mis à jour hier</small></div>
<p>Lu <span class="visually-hidden">par une lectrice d'écran seulement</span></p>
<div class="scroll" tabindex="0"><table><tr><td>une</td><td>très</td><td>longue</td><td>ligne</td><td>de</td><td>tableau</td></tr></table></div>
</main></body></html>`

func TestTextProblems(t *testing.T) {
	ctx := webtest.NewBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(serveWithCSP(t, textPage))); err != nil {
		t.Fatal(err)
	}
	if found := webtest.TextProblems(t, ctx); len(found) > 0 {
		t.Errorf("at the default size and spacing: %q, want nothing", found)
	}

	webtest.TextSpacing(t, ctx, true)
	found := webtest.TextProblems(t, ctx)
	if !slices.ContainsFunc(found, func(s string) bool { return strings.Contains(s, `"Ouvert" is clipped by span.tag`) }) {
		t.Errorf("with WCAG 1.4.12 text spacing: %q, want the tag clipped", found)
	}
	webtest.TextSpacing(t, ctx, false)
	if found := webtest.TextProblems(t, ctx); len(found) > 0 {
		t.Errorf("text spacing taken off: %q, want nothing", found)
	}

	webtest.TextSize(t, ctx, 2*webtest.DefaultTextSize)
	found = webtest.TextProblems(t, ctx)
	webtest.TextSize(t, ctx, webtest.DefaultTextSize)
	if !slices.Contains(found, `text "Résultats" overlaps text "mis à jour hier"`) {
		t.Errorf("at 200 %% text: %q, want the heading over the note", found)
	}
	for _, s := range found {
		if strings.Contains(s, "lectrice") || strings.Contains(s, "tableau") {
			t.Errorf("at 200 %% text: %s (hidden on purpose, or scrolls)", s)
		}
	}
}

// smallTextPage draws the same words as HTML text and in an SVG whose
// viewBox is four times as wide as it is drawn.
const smallTextPage = `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Petit</title></head>
<body><main><p>Oui</p>
<svg viewBox="0 0 640 40" width="160"><text x="0" y="20" font-size="15">Non</text></svg>
<p hidden>caché</p>
</main></body></html>`

func TestSmallText(t *testing.T) {
	ctx := webtest.NewBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(serveWithCSP(t, smallTextPage))); err != nil {
		t.Fatal(err)
	}
	found := webtest.SmallText(t, ctx, 10)
	if !slices.Contains(found, `"Non" is drawn 3.8 px high`) || len(found) != 1 {
		t.Errorf("SmallText(10) = %q, want the SVG's text only (15 px at a quarter scale)", found)
	}
	if found := webtest.SmallText(t, ctx, 3); len(found) > 0 {
		t.Errorf("SmallText(3) = %q, want nothing", found)
	}
}
