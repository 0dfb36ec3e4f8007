package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web/webtest"
)

// TestBrowserCivicPagesAccessible checks the proposal, petition and
// notification pages of the demo city with axe-core (WCAG 2.2 AA) in a
// real Chromium, anonymous and signed in, forms with errors included.
func TestBrowserCivicPagesAccessible(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	ctx0 := context.Background()
	if err := e.Store.SeedDemo(ctx0); err != nil {
		t.Fatal(err)
	}
	props, err := e.Store.ListProposals(ctx0, models.ProposalQuery{Space: "ville", Status: models.ProposalAccepted})
	if err != nil || len(props.Items) == 0 {
		t.Fatalf("demo proposals: %v", err)
	}
	pets, err := e.Store.ListPetitions(ctx0, models.PetitionQuery{Space: "ville", State: models.PetitionOpen})
	if err != nil || len(pets.Items) == 0 {
		t.Fatalf("demo petitions: %v", err)
	}
	proposal, petition := fmt.Sprintf("/p/%d", props.Items[0].ID), fmt.Sprintf("/pe/%d", pets.Items[0].ID)

	ctx := webtest.NewBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	check := func(path string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+path), chromedp.WaitVisible(chromedp.CSS(`h1`))); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		webtest.CheckAccessible(t, ctx)
	}
	for _, path := range []string{"/s/ville/proposals", "/s/ville/proposals?sort=random&seed=7", proposal, "/s/ville/petitions", petition} {
		check(path)
	}
	// Signed in as the moderator: status form, sign form, notifications.
	err = chromedp.Do(ctx,
		chromedp.Navigate(e.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID(`f-username`)),
		chromedp.SendKeys(chromedp.ID(`f-username`), "sacha"),
		chromedp.SendKeys(chromedp.ID(`f-password`), models.DemoPassword),
		chromedp.Submit(chromedp.ID(`f-username`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/account"]`)),
	)
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	for _, path := range []string{proposal, petition, "/s/ville/proposals/new", "/s/ville/petitions/new", "/notifications"} {
		check(path)
	}
	// A form sent empty comes back with its errors, still accessible.
	err = chromedp.Do(ctx,
		chromedp.Navigate(e.URL+"/s/ville/proposals/new"),
		chromedp.WaitVisible(chromedp.ID(`f-title`)),
		chromedp.Submit(chromedp.ID(`f-title`)),
		chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
	)
	if err != nil {
		t.Fatalf("empty proposal form: %v", err)
	}
	webtest.CheckAccessible(t, ctx)
	webtest.Screenshot(t, ctx, "proposal-form-errors")
}
