package webtest

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// textSpacingCSS is the text spacing that WCAG 2.2 1.4.12 says a user may
// set without losing content: line height 1.5 times the font size,
// paragraphs followed by 2 times it, letters 0.12 and words 0.16 times
// apart (the W3C's and Steve Faulkner's bookmarklet style).
const textSpacingCSS = `* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }
p { margin-bottom: 2em !important; }`

// TextSpacing sets WCAG 1.4.12's text spacing on the current page as a
// user's style sheet would (on), or takes it off. It is a constructed
// style sheet, which the page's Content-Security-Policy does not block;
// a navigation drops it.
func TextSpacing(t testing.TB, ctx context.Context, on bool) {
	t.Helper()
	js := `(document.adoptedStyleSheets = [], 0)`
	if on {
		js = `(() => { const s = new CSSStyleSheet(); s.replaceSync(` + strconv.Quote(textSpacingCSS) + `); document.adoptedStyleSheets = [s]; return 0; })()`
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](js)); err != nil {
		t.Fatalf("webtest: text spacing: %v", err)
	}
}

// DefaultTextSize is the browser's default font size, in CSS px.
const DefaultTextSize = 16

// TextSize sets the browser's default font size in CSS px, as a user's
// font size setting does: 2*DefaultTextSize is WCAG 1.4.4's 200 % text.
// Sizes given in rem and em follow it, sizes in px do not. It lasts
// across navigations: set DefaultTextSize back.
func TextSize(t testing.TB, ctx context.Context, px int64) {
	t.Helper()
	if _, err := chromedp.Call(ctx, page.SetFontSizes, page.SetFontSizesParams{FontSizes: &page.FontSizes{Standard: px}}); err != nil {
		t.Fatalf("webtest: text size %d px: %v", px, err)
	}
}

// textProblems finds, on the page as laid out now, text clipped by an
// element hiding its overflow (hidden or clip, not a scroller) and text
// crossing other text, a form control or a picture by more than a
// quarter of a line. Text hidden on purpose (in a box of 1 px or less,
// the visually hidden pattern) is left out. Each text node is measured
// line by line (Range.getClientRects).
const textProblems = `(() => {
	const boxes = [], out = [];
	const name = e => e.tagName.toLowerCase() + (e.getAttribute("id") ? "#" + e.getAttribute("id") : "") +
		(typeof e.className === "string" && e.className.trim() ? "." + e.className.trim().split(/\s+/).join(".") : "");
	const quote = n => JSON.stringify(n.data.trim().replace(/\s+/g, " ").slice(0, 40));
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	text: for (let n; (n = walker.nextNode());) {
		const el = n.parentElement;
		if (!n.data.trim() || el.closest("script, style, noscript, title, desc, option")) continue;
		if (getComputedStyle(el).visibility !== "visible") continue;
		const range = document.createRange();
		range.selectNodeContents(n);
		const rects = [...range.getClientRects()].filter(b => b.width > 1 && b.height > 1);
		if (!rects.length) continue;
		for (let a = el; a && a !== document.body; a = a.parentElement) {
			const s = getComputedStyle(a);
			const hx = s.overflowX === "hidden" || s.overflowX === "clip", hy = s.overflowY === "hidden" || s.overflowY === "clip";
			if (!hx && !hy) continue;
			const c = a.getBoundingClientRect();
			if (c.width <= 1 || c.height <= 1) continue text; // visually hidden
			if (rects.some(b => (hx && (b.left < c.left - 1 || b.right > c.right + 1)) || (hy && (b.top < c.top - 1 || b.bottom > c.bottom + 1)))) {
				out.push("text " + quote(n) + " is clipped by " + name(a));
				break;
			}
		}
		for (const b of rects) boxes.push({n, el, b});
	}
	const solid = [...document.querySelectorAll("input:not([type=hidden]), select, textarea, img, progress, meter")]
		.map(e => ({e, b: e.getBoundingClientRect()})).filter(o => o.b.width > 1 && o.b.height > 1);
	const cross = (p, q) => Math.min(p.right, q.right) - Math.max(p.left, q.left) > 2 &&
		Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top) > Math.min(p.height, q.height) / 4;
	boxes.sort((p, q) => p.b.top - q.b.top);
	for (let i = 0; i < boxes.length; i++) {
		const {n, el, b} = boxes[i];
		for (let j = i + 1; j < boxes.length && boxes[j].b.top < b.bottom; j++) {
			if (boxes[j].n !== n && cross(b, boxes[j].b)) out.push("text " + quote(n) + " overlaps text " + quote(boxes[j].n));
		}
		for (const o of solid) if (!o.e.contains(el) && cross(b, o.b)) out.push("text " + quote(n) + " overlaps " + name(o.e));
	}
	return [...new Set(out)].slice(0, 10);
})()`

// TextProblems returns the text of the current page that is clipped
// (cut off by a box that hides its overflow) or overlaps other text, a
// form control or a picture, as it is laid out now: what a larger text
// size (WCAG 1.4.4), a narrow window (1.4.10) or more text spacing
// (1.4.12) must not do. None when the page is fine; at most 10.
func TextProblems(t testing.TB, ctx context.Context) []string {
	t.Helper()
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](textProblems))
	if err != nil {
		t.Fatalf("webtest: look for clipped or overlapping text: %v", err)
	}
	return found
}

// smallText finds text drawn smaller than the given CSS px: its font size times
// the scale of the SVG drawing it sits in, if any (a chart whose viewBox
// shrinks to a phone's width shrinks its text too).
const smallText = `(() => {
	const out = [];
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n; (n = walker.nextNode());) {
		const el = n.parentElement;
		if (!n.data.trim() || el.closest("script, style, noscript, title, desc, option")) continue;
		const range = document.createRange();
		range.selectNodeContents(n);
		if (![...range.getClientRects()].some(b => b.width > 1 && b.height > 1)) continue;
		let px = parseFloat(getComputedStyle(el).fontSize);
		if (el instanceof SVGGraphicsElement) {
			const m = el.getScreenCTM();
			if (m) px *= Math.hypot(m.a, m.b);
		}
		if (px < %v) out.push(JSON.stringify(n.data.trim().replace(/\s+/g, " ").slice(0, 40)) + " is drawn " + px.toFixed(1) + " px high");
	}
	return [...new Set(out)].slice(0, 10);
})()`

// SmallText returns the text of the current page drawn smaller than px
// CSS px, counting the scale of an SVG drawing (whose text shrinks with
// it on a narrow screen); none when all is at least that size. Text not
// rendered is left out. At most 10.
func SmallText(t testing.TB, ctx context.Context, px float64) []string {
	t.Helper()
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(smallText, px)))
	if err != nil {
		t.Fatalf("webtest: look for small text: %v", err)
	}
	return found
}
