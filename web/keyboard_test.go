package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web/webtest"
)

// tabTo presses Tab (at most 80 times) until the focused element matches
// the CSS selector sel, as a keyboard-only user would.
func tabTo(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	check := `(() => { const a = document.activeElement; return !!a && a.matches(` + strconv.Quote(sel) + `); })()`
	for range 80 {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](check))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("Tab never reached %s", sel)
}

// focusVisible reports whether the focused element shows a focus
// indicator (an outline or a box shadow).
func focusVisible(t *testing.T, ctx context.Context) bool {
	t.Helper()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = getComputedStyle(document.activeElement);
		return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'; })()`))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// screenshots saves the page at 320 px and 1280 px wide.
func screenshots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	for _, w := range []int64{320, 1280} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 900)); err != nil {
			t.Fatal(err)
		}
		webtest.Screenshot(t, ctx, name+"-"+strconv.FormatInt(w, 10))
	}
}

// TestKeyboardOnlyVoteAndSign votes in a debate and signs a petition with
// the keyboard alone (Tab, Space, Enter), with a visible focus at each
// step, and keeps screenshots at 320 px and 1280 px.
func TestKeyboardOnlyVoteAndSign(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	c := seedCivic(t, e)
	e.user("clavier", "member")
	ctx := webtest.NewBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	browserLogin(t, ctx, e, "clavier")

	// Vote: Tab to the second option, Space selects it, Tab to the
	// button, Enter submits.
	debate := "/d/" + strconv.FormatInt(c.openDebate, 10)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+debate), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	screenshots(t, ctx, "debate-before-vote")
	tabTo(t, ctx, `input[name="option"]`)
	if !focusVisible(t, ctx) {
		t.Error("the focused option has no visible focus indicator")
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowDown)); err != nil { // next radio, selected
		t.Fatal(err)
	}
	tabTo(t, ctx, `form[action$="/vote"] button[type="submit"]`)
	if !focusVisible(t, ctx) {
		t.Error("the vote button has no visible focus indicator")
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(`.flash`)), chromedp.WaitVisible(chromedp.CSS(`#my-vote .receipt`))); err != nil {
		t.Fatalf("submit the vote with Enter: %v", err)
	}
	mine, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#my-vote`)))
	if err != nil || !strings.Contains(mine, "Non") {
		t.Fatalf("my vote shows %q (%v), want the option chosen with the keyboard", mine, err)
	}
	screenshots(t, ctx, "debate-after-vote")

	// Sign: Tab to the "public" box, Space ticks it, Tab, Enter.
	petition := "/pe/" + strconv.FormatInt(c.petition, 10)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+petition), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	screenshots(t, ctx, "petition-before-sign")
	tabTo(t, ctx, `#f-public`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent(" ")); err != nil {
		t.Fatal(err)
	}
	tabTo(t, ctx, `form[action$="/sign"] button[type="submit"]`)
	if !focusVisible(t, ctx) {
		t.Error("the sign button has no visible focus indicator")
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\r"), chromedp.WaitNotPresent(chromedp.CSS(`form[action$="/sign"]`))); err != nil {
		t.Fatalf("sign with Enter: %v", err)
	}
	screenshots(t, ctx, "petition-after-sign")
	n, err := e.Store.RecountSignatures(context.Background(), c.petition)
	if err != nil || n != 1 {
		t.Fatalf("petition has %d signatures (%v), want 1", n, err)
	}
}

// TestKeyboardOnlyModeration disables a reported account from the queue
// with the keyboard alone: Enter opens the action's disclosure, the
// moderator adds to the offered reason, Enter submits; the account is
// disabled and its report closed with that reason.
func TestKeyboardOnlyModeration(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	c := seedCivic(t, e)
	e.user("veille", "moderator")
	ctx := webtest.NewBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	browserLogin(t, ctx, e, "veille")
	if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+"/moderation"), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	row := `tr:has(form[action^="/moderation/accounts/"]) `
	tabTo(t, ctx, row+`summary`)
	if !focusVisible(t, ctx) {
		t.Error("the disclosure has no visible focus indicator")
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(row+`input[name="reason"]`))); err != nil {
		t.Fatalf("open the disclosure with Enter: %v", err)
	}
	tabTo(t, ctx, row+`input[name="reason"]`)
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.End), chromedp.KeyEvent(" (checked)")); err != nil {
		t.Fatal(err)
	}
	screenshots(t, ctx, "moderation-disable-open")
	tabTo(t, ctx, row+`button[type="submit"]`)
	if !focusVisible(t, ctx) {
		t.Error("the disable button has no visible focus indicator")
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(`.flash`))); err != nil {
		t.Fatalf("disable with Enter: %v", err)
	}
	bg := context.Background()
	if acc, err := e.Store.AccountByID(bg, *c.member.Actor.AccountID); err != nil || !acc.Disabled {
		t.Fatalf("the reported account is not disabled (%v)", err)
	}
	veille, _ := e.Store.AccountByUsername(bg, "veille")
	done, err := e.Store.ListReports(bg, veille, models.ReportFilter{Status: models.ReportActioned})
	if err != nil || len(done) != 1 || done[0].Resolution != "Spam (checked)" {
		t.Fatalf("actioned reports %+v (%v), want the account's, with the moderator's reason", done, err)
	}
}
