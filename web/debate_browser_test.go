package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web/webtest"
)

// TestBrowserDebate votes in the demo debate with the keyboard-free path a
// person takes (radio, submit), reads the receipt, and checks the debate,
// ballots and moderation pages with axe-core (WCAG 2.2 AA).
func TestBrowserDebate(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	ctx0 := context.Background()
	if err := e.Store.SeedDemo(ctx0); err != nil {
		t.Fatal(err)
	}
	sp, err := e.Store.SpaceByName(ctx0, "ville")
	if err != nil {
		t.Fatal(err)
	}
	debates, err := e.Store.ListDebates(ctx0, models.DebateFilter{SpaceID: sp.ID})
	if err != nil || len(debates) != 2 {
		t.Fatalf("%v %v", debates, err)
	}
	closed, open := debates[0], debates[1]
	ctx := webtest.NewBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	login := func(name string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.Navigate(e.URL+"/login"),
			chromedp.WaitVisible(chromedp.ID(`f-username`)),
			chromedp.SendKeys(chromedp.ID(`f-username`), name),
			chromedp.SendKeys(chromedp.ID(`f-password`), models.DemoPassword),
			chromedp.Submit(chromedp.ID(`f-username`)),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/account"]`)),
		)
		if err != nil {
			t.Fatalf("log in as %s: %v", name, err)
		}
	}
	login("alex")
	err = chromedp.Do(ctx,
		chromedp.Navigate(fmt.Sprintf("%s/d/%d", e.URL, open.ID)),
		chromedp.WaitVisible(chromedp.ID(`opt-2`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	webtest.CheckAccessible(t, ctx)
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID(`opt-2`)),
		chromedp.Submit(chromedp.ID(`opt-2`)),
		// alex voted in the demo already, so the receipt is on the page
		// before the submit: wait for the flash of the new page instead.
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
		chromedp.WaitVisible(chromedp.CSS(`.my-vote .receipt`)),
	)
	if err != nil {
		t.Fatalf("vote: %v", err)
	}
	mine, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.my-vote`)))
	if err != nil || !strings.Contains(mine, "Non") {
		t.Fatalf("my vote box %q %v", mine, err)
	}
	webtest.Screenshot(t, ctx, "debate-voted")
	for _, path := range []string{fmt.Sprintf("/d/%d", closed.ID), fmt.Sprintf("/d/%d/ballots", closed.ID), "/s/ville/debates"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+path), chromedp.WaitVisible(chromedp.CSS(`h1`))); err != nil {
			t.Fatal(err)
		}
		webtest.CheckAccessible(t, ctx)
	}
	webtest.Screenshot(t, ctx, "debate-list")
	sacha := webtest.NewSession(t, ctx)
	ctx = sacha
	login("sacha")
	for _, path := range []string{fmt.Sprintf("/d/%d", open.ID), "/moderation?status=all", "/moderation/audit", "/s/ville/debates/new"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+path), chromedp.WaitVisible(chromedp.CSS(`h1`))); err != nil {
			t.Fatal(err)
		}
		webtest.CheckAccessible(t, ctx)
	}
}
