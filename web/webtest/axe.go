package webtest

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, vendored with its licence in testdata/axe-core.
//
//go:embed testdata/axe-core/axe.min.js
var axeSource string

// AxeTags are the axe-core rule tags RunAxe checks: WCAG 2.0, 2.1 and 2.2,
// levels A and AA, the target of DESIGN.md.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// Violation is one axe-core rule that the page breaks, with the elements
// that break it.
type Violation struct {
	ID          string          `json:"id"`     // rule, e.g. "image-alt"
	Impact      string          `json:"impact"` // minor, moderate, serious, critical
	Description string          `json:"description"`
	Help        string          `json:"help"`
	HelpURL     string          `json:"helpUrl"`
	Tags        []string        `json:"tags"`
	Nodes       []ViolationNode `json:"nodes"`
}

// ViolationNode is one offending element.
type ViolationNode struct {
	Target         []string `json:"target"` // CSS selectors, outermost frame first
	HTML           string   `json:"html"`
	FailureSummary string   `json:"failureSummary"`
}

// String formats v on a few lines, for test failures.
func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s — %s", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    %s: %s", strings.Join(n.Target, " "), n.HTML)
		if n.FailureSummary != "" {
			fmt.Fprintf(&b, "\n      %s", strings.ReplaceAll(n.FailureSummary, "\n", "\n      "))
		}
	}
	return b.String()
}

// InjectAxe loads axe-core into the current page unless it is there
// already. The page's Content-Security-Policy does not apply: the script
// is evaluated through the DevTools protocol. A navigation unloads it.
func InjectAxe(t testing.TB, ctx context.Context) {
	t.Helper()
	if err := injectAxe(ctx); err != nil {
		t.Fatalf("webtest: inject axe-core: %v", err)
	}
}

func injectAxe(ctx context.Context) error {
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if err != nil || loaded {
		return err
	}
	_, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeSource+"\n;undefined"))
	return err
}

// axeRun runs axe on the whole document for AxeTags and returns the
// violations in a shape that decodes into []Violation.
const axeRun = `(async () => {
	const r = await axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]});
	return r.violations.map(v => ({
		id: v.id, impact: v.impact || "", description: v.description, help: v.help,
		helpUrl: v.helpUrl, tags: v.tags,
		nodes: v.nodes.map(n => ({
			target: n.target.map(s => Array.isArray(s) ? s.join(" >>> ") : String(s)),
			html: n.html, failureSummary: n.failureSummary || "",
		})),
	}));
})()`

// RunAxe checks the current page with axe-core against WCAG 2.2 AA
// (AxeTags) and returns the violations, none when the page passes. It
// injects axe-core first when needed.
func RunAxe(t testing.TB, ctx context.Context) []Violation {
	t.Helper()
	if err := injectAxe(ctx); err != nil {
		t.Fatalf("webtest: inject axe-core: %v", err)
	}
	tags := `["` + strings.Join(AxeTags, `","`) + `"]`
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](fmt.Sprintf(axeRun, tags), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("webtest: run axe-core: %v", err)
	}
	return vs
}

// CheckAccessible runs RunAxe and reports each violation as a test error
// (the test goes on). With ODN_SCREENSHOT_DIR set, NewBrowser saves the
// page of a failed test there.
func CheckAccessible(t testing.TB, ctx context.Context) {
	t.Helper()
	for _, v := range RunAxe(t, ctx) {
		t.Errorf("accessibility: %s", v)
	}
}

// axeScrolled runs axe-core's color-contrast on what the page's scroll
// containers hold, with each grown to its content for the run (its
// overflow shown, its size its content's) and put back after. Scrolled
// out of view, or cut at the container's edge, a cell whose background
// is the page's comes back "incomplete" from axe ("partially obscured"),
// which a run reporting violations never shows: unchecked. Grown, every
// cell is in view; the runs are limited to the containers. Text shorter
// than axe's minimum (a count, "0") is checked too, and what axe still
// cannot tell is returned as such, not passed over.
const axeScrolled = `(async () => {
	const sc = [...document.querySelectorAll("body *")].filter(e => {
		if (/^(INPUT|TEXTAREA|SELECT)$/.test(e.tagName)) return false;
		const s = getComputedStyle(e), on = v => v === "auto" || v === "scroll";
		return (on(s.overflowX) && e.scrollWidth > e.clientWidth + 1) || (on(s.overflowY) && e.scrollHeight > e.clientHeight + 1);
	});
	if (!sc.length) return {violations: [], incomplete: []};
	const grow = {"overflow-x": "visible", "overflow-y": "visible", width: "max-content", "max-width": "none", height: "auto", "max-height": "none"};
	const old = sc.map(e => Object.keys(grow).map(k => [k, e.style.getPropertyValue(k), e.style.getPropertyPriority(k)]));
	sc.forEach(e => { for (const [k, v] of Object.entries(grow)) e.style.setProperty(k, v, "important"); });
	try {
		const r = await axe.run({include: sc}, {runOnly: {type: "rule", values: ["color-contrast"]}, resultTypes: ["violations", "incomplete"],
			checks: {"color-contrast": {options: {ignoreLength: true}}}});
		const nodes = v => v.nodes.map(n => ({target: n.target.map(s => Array.isArray(s) ? s.join(" >>> ") : String(s)), html: n.html, failureSummary: n.failureSummary || "",
			message: [...n.any, ...n.all, ...n.none].map(c => c.message).join("; ")}));
		return {violations: r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl, nodes: nodes(v)})),
			incomplete: r.incomplete.flatMap(v => nodes(v))};
	} finally {
		sc.forEach((e, i) => old[i].forEach(([k, v, p]) => v ? e.style.setProperty(k, v, p) : e.style.removeProperty(k)));
	}
})()`

// scrolledResult is what axeScrolled returns.
type scrolledResult struct {
	Violations []Violation `json:"violations"`
	Incomplete []struct {
		Target  []string `json:"target"`
		Message string   `json:"message"`
	} `json:"incomplete"`
}

// ScrolledContrast checks the text contrast (axe-core's color-contrast,
// WCAG 1.4.3) of what scrolls inside the page's scroll containers (wide
// tables at 320 px), which a plain RunAxe passes over where it is out of
// view or cut at the container's edge: see axeScrolled. It returns the
// violations, and as problems what axe could not decide there (its
// "incomplete", with axe's reason), by selector; none when nothing
// scrolls.
func ScrolledContrast(t testing.TB, ctx context.Context) (vs []Violation, undecided []string) {
	t.Helper()
	if err := injectAxe(ctx); err != nil {
		t.Fatalf("webtest: inject axe-core: %v", err)
	}
	r, err := chromedp.Run(ctx, chromedp.Evaluate[scrolledResult](axeScrolled, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("webtest: axe-core on scroll containers: %v", err)
	}
	for _, n := range r.Incomplete {
		undecided = append(undecided, strings.Join(n.Target, " ")+": "+n.Message)
	}
	return r.Violations, undecided
}
