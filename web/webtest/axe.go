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
