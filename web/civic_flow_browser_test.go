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

// TestBrowserCivicFlow is a citizen's whole visit, in headless Chromium:
// create a proposal, support it, vote in a debate, sign a petition, and
// see the results, with a screenshot at each step.
func TestBrowserCivicFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	ctx0 := context.Background()
	if err := e.Store.SeedDemo(ctx0); err != nil {
		t.Fatal(err)
	}
	e.user("citoyenne", models.RoleMember)
	sp, err := e.Store.SpaceByName(ctx0, "ville")
	if err != nil {
		t.Fatal(err)
	}
	debates, err := e.Store.ListDebates(ctx0, models.DebateFilter{SpaceID: sp.ID, Phase: "open"})
	if err != nil || len(debates) == 0 {
		t.Fatalf("demo debate: %v", err)
	}
	pets, err := e.Store.ListPetitions(ctx0, models.PetitionQuery{Space: "ville", State: models.PetitionOpen})
	if err != nil || len(pets.Items) == 0 {
		t.Fatalf("demo petition: %v", err)
	}
	debate, petition := debates[0], pets.Items[0]

	ctx := webtest.NewBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}

	do("log in",
		chromedp.Navigate(e.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID(`f-username`)),
		chromedp.SendKeys(chromedp.ID(`f-username`), "citoyenne"),
		chromedp.SendKeys(chromedp.ID(`f-password`), testPassword),
		chromedp.Submit(chromedp.ID(`f-username`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/account"]`)),
	)

	do("create a proposal",
		chromedp.Navigate(e.URL+"/s/ville/proposals/new"),
		chromedp.WaitVisible(chromedp.ID(`f-title`)),
		chromedp.SendKeys(chromedp.ID(`f-title`), "Des bancs au parc Monceau"),
		chromedp.SendKeys(chromedp.ID(`f-body`), "Les personnes âgées manquent de **bancs** pour se reposer."),
		chromedp.SendKeys(chromedp.ID(`f-tags`), "parcs, seniors"),
		chromedp.Submit(chromedp.ID(`f-title`)),
		chromedp.WaitVisible(chromedp.CSS(`.support-box`)),
	)
	if h1 := text(`h1`); !strings.Contains(h1, "Des bancs au parc Monceau") {
		t.Fatalf("proposal page heading %q", h1)
	}
	webtest.Screenshot(t, ctx, "1-proposal-created")

	do("support it",
		chromedp.Click(chromedp.CSS(`form[action$="/support"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/unsupport"]`)),
	)
	if box := text(`.support-box`); !strings.Contains(box, "1") {
		t.Fatalf("support box after supporting: %q", box)
	}
	webtest.Screenshot(t, ctx, "2-proposal-supported")

	do("vote in the debate",
		chromedp.Navigate(fmt.Sprintf("%s/d/%d", e.URL, debate.ID)),
		chromedp.WaitVisible(chromedp.ID(`opt-1`)),
		chromedp.Click(chromedp.ID(`opt-1`)),
		chromedp.Submit(chromedp.ID(`opt-1`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
		chromedp.WaitVisible(chromedp.CSS(`.my-vote .receipt`)),
	)
	if mine := text(`.my-vote`); !strings.Contains(mine, debate.Options[1]) {
		t.Fatalf("my vote %q, want %q", mine, debate.Options[1])
	}
	webtest.Screenshot(t, ctx, "3-debate-voted-results")
	res, err := e.Store.Results(ctx0, debate.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Voters != 9 { // eight demo voters and us
		t.Fatalf("voters after our vote: %d", res.Voters)
	}

	do("sign the petition",
		chromedp.Navigate(fmt.Sprintf("%s/pe/%d", e.URL, petition.ID)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/sign"]`)),
		chromedp.Click(chromedp.ID(`f-public`)),
		chromedp.Submit(chromedp.CSS(`form[action$="/sign"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	after, err := e.Store.PetitionByID(ctx0, petition.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.SignaturesCount != petition.SignaturesCount+1 {
		t.Fatalf("signatures %d → %d", petition.SignaturesCount, after.SignaturesCount)
	}
	if body := text(`main`); !strings.Contains(body, "citoyenne") {
		t.Fatal("a public signature is not listed among the signers")
	}
	webtest.Screenshot(t, ctx, "4-petition-signed")
}
