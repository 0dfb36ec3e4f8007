package webtest

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// ReflowWidths are the viewport widths, in CSS px, at which a page must
// reflow without loss (WCAG 2.2 1.4.10): 320 (the width the SC names),
// phones (375), small and large tablets (600, 768), small and common
// laptops (1024, 1280).
var ReflowWidths = []int64{320, 375, 600, 768, 1024, 1280}

// Zoom200 is a 1280 px window zoomed to 200 %: 640 CSS px, each drawn
// with two device px, in a window half as high.
var Zoom200 = Viewport{Width: 640, Height: windowHeight / 2, Scale: 2}

// Viewport is a size of the browser's viewport in CSS px, and how many
// device px a CSS px is drawn with (2 for a page zoomed to 200 %).
type Viewport struct {
	Width, Height int64
	Scale         float64
}

// SetViewport sizes the viewport as v (Height 0 is the window's, Scale
// 0 is 1). The page's layout is recomputed, synchronously, by the next
// measure; LayoutProblems waits for the page's fonts first.
func SetViewport(t testing.TB, ctx context.Context, v Viewport) {
	t.Helper()
	if v.Scale == 0 {
		v.Scale = 1
	}
	if v.Height == 0 {
		v.Height = windowHeight
	}
	_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: v.Width, Height: v.Height, DeviceScaleFactor: v.Scale,
		ScreenOrientation: &emulation.ScreenOrientation{Type: emulation.ScreenOrientationTypeLandscapePrimary, Angle: 90}})
	if err != nil {
		t.Fatalf("webtest: viewport %d×%d: %v", v.Width, v.Height, err)
	}
}

// reflowLib defines window.__odnReflow on the page, once per page load:
// the measures of Reflow, LayoutProblems and ControlText, which share a
// way to name an element. sel names an element by a CSS selector from its nearest
// ancestor with an id, or from main, header, footer or body.
const reflowLib = `window.__odnReflow || (window.__odnReflow = (() => {
	const sel = e => {
		const parts = [];
		for (let a = e; a && a.nodeType === 1 && a !== document.documentElement; a = a.parentElement) {
			const id = a.getAttribute("id"); // not a.id: a form's field named "id" hides it
			if (id) { parts.unshift("#" + CSS.escape(id)); break; }
			let s = a.tagName.toLowerCase();
			const cls = (a.getAttribute("class") || "").trim();
			if (cls) s += "." + cls.split(/\s+/).map(c => CSS.escape(c)).join(".");
			const p = a.parentElement;
			if (p && !/^(BODY|MAIN|HEADER|FOOTER)$/.test(a.tagName)) {
				const same = [...p.children].filter(c => c.tagName === a.tagName);
				if (same.length > 1) s += ":nth-of-type(" + (same.indexOf(a) + 1) + ")";
			}
			parts.unshift(s);
			if (/^(BODY|MAIN|HEADER|FOOTER)$/.test(a.tagName)) break;
		}
		return parts.join(" > ");
	};
	const px = n => Math.round(n) + " px";
	const targets = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [role=link], [role=checkbox], [role=radio], [role=tab]";
	const clips = v => v !== "visible";
	const scrolls = v => v === "auto" || v === "scroll";
	const controls = /^(INPUT|TEXTAREA|SELECT)$/;

	// name is the accessible name of a region from aria-label or
	// aria-labelledby, enough for the containers of odn's pages.
	const name = e => (e.getAttribute("aria-label") || "").trim() ||
		(e.getAttribute("aria-labelledby") || "").split(/\s+/).map(id => document.getElementById(id)?.textContent || "").join(" ").trim();

	// inText: an inline target in a line of other text (a link in a
	// sentence), whose size the line sets: WCAG 2.5.8's inline exception.
	const blockText = new Map();
	const inText = (e, s) => {
		if (s.display !== "inline") return false;
		let b = e.parentElement;
		while (b && b !== document.body && getComputedStyle(b).display.startsWith("inline")) b = b.parentElement;
		if (!blockText.has(b)) {
			let other = 0;
			const w = document.createTreeWalker(b, NodeFilter.SHOW_TEXT);
			for (let n; (n = w.nextNode());) if (!n.parentElement.closest(targets)) other += n.data.trim().length;
			blockText.set(b, other > 0);
		}
		return blockText.get(b);
	};

	// reflow: the problems of the page as laid out now, at most 20.
	const reflow = () => {
		blockText.clear();
		const W = document.documentElement.clientWidth, out = [];
		const sw = document.scrollingElement.scrollWidth;
		if (sw > W) out.push("the page scrolls sideways: it is " + px(sw) + " wide in a " + px(W) + " viewport");
		const found = [];   // {e, r, s, clip}: visible targets
		let wide = null;    // the last element reported as too wide (its children are not)
		const range = document.createRange();
		// Depth first, knowing the nearest ancestor that clips sideways.
		const visit = (e, clip) => {
			const s = getComputedStyle(e);
			if (s.display === "none") return;
			const r = e.getBoundingClientRect();
			const hidden = r.width <= 1 && r.height <= 1; // visually hidden
			if (!hidden && !clip && (r.right > W + 1 || r.left < -1 || r.width > W + 1) && !(wide && wide.contains(e))) {
				wide = e;
				out.push(sel(e) + " is wider than the viewport or sticks out of it (" + px(r.left) + " to " + px(r.right) + " of " + px(W) + ")");
			}
			if (!controls.test(e.tagName) && scrolls(s.overflowX) && e.scrollWidth > e.clientWidth + 1) {
				const why = [];
				if (!e.querySelector("table")) why.push("holds no data table");
				if (e.tabIndex < 0) why.push("is not keyboard-focusable (tabindex=0)");
				if (!/^(region|group)$/.test(e.getAttribute("role") || "") || !name(e)) why.push("is not a labelled region");
				if (why.length) out.push(sel(e) + " scrolls sideways but " + why.join(", "));
			}
			if (!hidden && s.visibility === "visible" && e.matches(targets) && r.bottom + scrollY > 0) found.push({e, r, s});
			// What an element clipping sideways holds cannot widen the page:
			// a scroller's content scrolls inside it (checked above), a
			// hidden overflow's text is TextProblems' business.
			const inner = clips(s.overflowX) || e instanceof SVGSVGElement ? e : clip;
			for (const c of e.childNodes) {
				if (c.nodeType === Node.ELEMENT_NODE) { visit(c, inner); continue; }
				if (c.nodeType !== Node.TEXT_NODE || inner || hidden || !c.data.trim() || (wide && wide.contains(e))) continue;
				range.selectNodeContents(c);
				const t = range.getBoundingClientRect();
				if (t.width > 1 && (t.right > W + 1 || t.left < -1)) {
					wide = e;
					out.push("text " + JSON.stringify(c.data.trim().slice(0, 40)) + " of " + sel(e) + " does not wrap: it sticks out of the viewport (" + px(t.left) + " to " + px(t.right) + " of " + px(W) + ")");
				}
			}
		};
		for (const c of document.body.children) visit(c, null);
		// WCAG 2.5.8 Target size (minimum): 24 by 24 CSS px, or a 24 px
		// circle centred on the target crosses no other target nor the
		// circle of another small one; inline targets in text are exempt.
		const small = found.filter(o => (o.r.width < 23.95 || o.r.height < 23.95) && !inText(o.e, o.s));
		const centre = r => [r.left + r.width / 2, r.top + r.height / 2];
		for (const o of small) {
			const [x, y] = centre(o.r);
			const near = found.find(q => q !== o && !q.e.contains(o.e) && !o.e.contains(q.e) && (small.includes(q)
				? Math.hypot(x - centre(q.r)[0], y - centre(q.r)[1]) < 24 - 0.05
				: Math.hypot(Math.max(q.r.left - x, 0, x - q.r.right), Math.max(q.r.top - y, 0, y - q.r.bottom)) < 12 - 0.05));
			if (near) out.push("target " + sel(o.e) + " is " + o.r.width.toFixed(1) + "×" + o.r.height.toFixed(1) + " px, under 24×24, and too near " + sel(near.e));
		}
		return out.slice(0, 20);
	};

	// nav: the site's navigation is all there, within the viewport,
	// visible, not covered, and in the tab order.
	const nav = () => {
		const out = [], links = [...document.querySelectorAll(".site-header nav :is(a[href], button)")];
		if (document.querySelector(".site-header") && !links.length) return ["the site's navigation is missing"];
		for (const e of links) {
			const r = e.getBoundingClientRect(), s = getComputedStyle(e);
			if (r.width <= 1 || r.height <= 1 || s.visibility !== "visible") { out.push("navigation " + sel(e) + " is not shown"); continue; }
			if (r.left < -1 || r.right > document.documentElement.clientWidth + 1) { out.push("navigation " + sel(e) + " is out of the viewport"); continue; }
			if (e.tabIndex < 0 || e.closest("[inert], [aria-hidden=true]")) { out.push("navigation " + sel(e) + " is out of the tab order"); continue; }
			const y = scrollY;
			if (r.top < 0 || r.bottom > innerHeight) e.scrollIntoView({block: "nearest"});
			// The middle of its first line: a link on two lines may
			// have the middle of its box between them.
			const b = e.getClientRects()[0], hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
			scrollTo(scrollX, y);
			if (!hit || !(e === hit || e.contains(hit))) out.push("navigation " + sel(e) + " is covered by " + (hit ? sel(hit) : "nothing"));
		}
		return out;
	};

	// hiddenText: n is in a box of 1 px or less inside b, the visually
	// hidden pattern (text for screen readers, drawn nowhere).
	const hiddenText = (n, b) => {
		for (let a = n.parentElement; a && a !== b; a = a.parentElement) {
			const r = a.getBoundingClientRect();
			if (r.width <= 1 && r.height <= 1) return true;
		}
		return false;
	};

	// controls: with more text spacing, the text of buttons stays inside
	// them, and form controls are as large as their text needs (a copy
	// sized by its content is not larger).
	const controlText = () => {
		const out = [];
		const buttons = [...document.querySelectorAll("button, .button, summary, [role=button]")];
		for (const b of buttons) {
			const c = b.getBoundingClientRect();
			if (c.width <= 1 || c.height <= 1 || getComputedStyle(b).visibility !== "visible") continue;
			const w = document.createTreeWalker(b, NodeFilter.SHOW_TEXT);
			for (let n; (n = w.nextNode());) {
				if (!n.data.trim() || hiddenText(n, b)) continue;
				const range = document.createRange();
				range.selectNodeContents(n);
				const out1 = [...range.getClientRects()].some(t => t.width > 1 && (t.left < c.left - 1 || t.right > c.right + 1 || t.top < c.top - 1 || t.bottom > c.bottom + 1));
				if (out1) { out.push("text " + JSON.stringify(n.data.trim().slice(0, 40)) + " spills out of " + sel(b)); break; }
			}
		}
		for (const e of document.querySelectorAll("select, input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]), textarea")) {
			const r = e.getBoundingClientRect();
			if (r.width <= 1 || r.height <= 1) continue;
			// need: the size of a copy laid out beside e, as wide as
			// asked, as high as its content.
			const need = width => {
				const copy = e.cloneNode(true);
				if (e.tagName === "SELECT") // only its chosen option shows
					copy.replaceChildren(...[...e.options].filter(o => o.selected).slice(0, 1).map(o => o.cloneNode(true)));
				copy.removeAttribute("id");
				for (const [k, v] of Object.entries({width, height: "auto", "min-width": "0", "max-width": "none", "min-height": "0", "max-height": "none",
					position: "absolute", visibility: "hidden"})) copy.style.setProperty(k, v, "important");
				e.after(copy);
				const b = copy.getBoundingClientRect();
				copy.remove();
				return b;
			};
			const high = need(r.width + "px").height;
			if (high > r.height + 1) out.push(sel(e) + " is " + px(r.height) + " high, its text needs " + px(high));
			// A select's text may not wrap: then its narrowest is its text's width.
			const wide = e.tagName === "SELECT" ? need("min-content").width : 0;
			if (wide > r.width + 1) out.push(sel(e) + " is " + px(r.width) + " wide, its chosen option " +
				JSON.stringify(e.selectedOptions[0]?.text.trim().slice(0, 40) || "") + " needs " + px(wide));
			if (e.placeholder) {
				const s = getComputedStyle(e), g = document.createElement("canvas").getContext("2d");
				g.font = s.font; g.letterSpacing = s.letterSpacing; g.wordSpacing = s.wordSpacing;
				const room = e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
				if (e.tagName !== "TEXTAREA" && g.measureText(e.placeholder).width > room + 1) out.push(sel(e) + "'s placeholder does not fit in it");
			}
		}
		return out.slice(0, 20);
	};
	return {reflow, nav, controlText};
})())`

// Reflow returns what keeps the page, as laid out now, from reflowing
// (WCAG 2.2 1.4.10) or makes a target too small (2.5.8), each naming
// the element at fault by a CSS selector; none when the page is fine, at
// most 20:
//
//   - the document scrolls sideways (its scrollWidth beyond the width
//     of the viewport less a scrollbar, stricter than innerWidth);
//   - an element, or a text that does not wrap, is wider than the
//     viewport or sticks out of it, unless an ancestor clips it sideways:
//     a scroller (then checked itself) or a hidden overflow (whose
//     clipped text TextProblems finds);
//   - an element scrolls sideways but is not a data table's container,
//     keyboard-focusable and a labelled region (the one kind of content
//     allowed to scroll in two dimensions);
//   - an interactive target is under 24×24 CSS px and nearer another
//     than 2.5.8's spacing allows, unless it is inline in a line of text.
func Reflow(t testing.TB, ctx context.Context) []string {
	t.Helper()
	return runReflowLib(t, ctx, "reflow")
}

// ControlText returns the buttons whose text spills out of them and the
// form controls smaller than their text needs (a select narrower than its
// chosen option, a field lower than its line, a placeholder that does not
// fit), each by selector: the content WCAG 1.4.12's text spacing must not
// cut off in controls, where TextProblems sees no text nodes. At most 20.
func ControlText(t testing.TB, ctx context.Context) []string {
	t.Helper()
	return runReflowLib(t, ctx, "controlText")
}

// LayoutProblems returns, in one visit of the page once its fonts are
// loaded, the problems of Reflow and TextProblems and what keeps the
// site's navigation (the links and buttons of .site-header nav) out of
// reach: not shown, out of the viewport sideways, covered (hit-tested),
// or out of the tab order. What a width must not do to the page.
func LayoutProblems(t testing.TB, ctx context.Context) []string {
	t.Helper()
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`document.fonts.ready.then(() => { const l = `+reflowLib+`;
		return [...l.reflow(), ...l.nav(), ...`+textProblems+`]; })`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("webtest: layout problems: %v", err)
	}
	return found
}

func runReflowLib(t testing.TB, ctx context.Context, fn string) []string {
	t.Helper()
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(`+reflowLib+`).`+fn+`()`))
	if err != nil {
		t.Fatalf("webtest: %s: %v", fn, err)
	}
	return found
}
