package web_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web/webtest"
)

// civicContent is one of each civic page kind, for page-level tests.
type civicContent struct {
	admin, member      *models.Account
	space              *models.Space
	proposal, petition int64
	debate, openDebate int64
	comment            int64
}

// seedCivic creates a space with a proposal, an open debate, a closed
// debate with results, a petition and a comment thread, as an admin
// ("root_admin") and a member ("citoyenne").
func seedCivic(t *testing.T, e *testEnv) *civicContent {
	t.Helper()
	ctx := context.Background()
	c := &civicContent{admin: e.user("root_admin", models.RoleAdmin), member: e.user("citoyenne", models.RoleMember)}
	var err error
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %v", what, err)
		}
	}
	c.space, err = e.Store.CreateSpace(ctx, c.admin, models.SpaceInput{Name: "ville", Kind: models.KindCity, Title: "Belleville", Description: "Une ville **ouverte**."})
	must("space", err)
	p, err := e.Store.CreateProposal(ctx, c.member.Actor, "ville", models.ProposalInput{Title: "Piétonniser la rue du marché",
		Body: "Le samedi matin, *sans voitures*.\n\n- moins de bruit\n- plus de terrasses", Tags: []string{"mobilite"}})
	must("proposal", err)
	c.proposal = p.ID
	must("decider", e.Store.SetDecider(ctx, nil, "root_admin", true))
	pe, err := e.Store.CreatePetition(ctx, c.member.Actor, "ville", models.PetitionInput{Title: "Un banc devant l'école",
		Body: "Les parents attendent debout.", Addressee: "root_admin", Goal: 100})
	must("petition", err)
	c.petition = pe.ID
	for i, closed := range []bool{true, false} {
		d, err := e.Store.CreateDebate(ctx, c.admin, c.space, models.DebateInput{Question: fmt.Sprintf("Faut-il un marché le dimanche ? (%d)", i),
			Description: "Un débat *ouvert*.", Options: []string{"Oui", "Non", "Sans avis"}})
		must("debate", err)
		_, err = e.Store.OpenDebate(ctx, c.admin, d.ID)
		must("open debate", err)
		_, err = e.Store.CastVote(ctx, c.member.Actor, d.ID, []string{"Oui"})
		must("vote", err)
		if closed {
			_, err = e.Store.CloseDebate(ctx, c.admin, d.ID)
			must("close debate", err)
			c.debate = d.ID
		} else {
			c.openDebate = d.ID
		}
	}
	cm, err := e.Store.CreateComment(ctx, c.member.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "Bonne idée, **vraiment**."})
	must("comment", err)
	_, err = e.Store.CreateComment(ctx, c.admin.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, ParentID: cm.ID, Body: "Merci !"})
	must("reply", err)
	c.comment = cm.ID
	// The moderation queue with a report of content and one of an account
	// (different actions in each row).
	_, err = e.Store.CreateReport(ctx, c.admin.Actor, models.ReportInput{ObjectType: models.ObjectTypeComment, ObjectID: cm.ID, Reason: "Hors sujet"})
	must("report a comment", err)
	_, err = e.Store.CreateReport(ctx, c.admin.Actor, models.ReportInput{ObjectType: models.ObjectTypeAccount, ObjectID: c.member.Actor.ID, Reason: "Spam"})
	must("report an account", err)
	// Two of another server's content: one forwarded there as the member
	// asked, one the queue offers to forward.
	zoe, err := e.Store.UpsertRemoteActor(ctx, &models.Actor{URI: "https://far.example/users/zoe", Type: models.ActorPerson,
		Username: "zoe", Host: "far.example", Inbox: "https://far.example/users/zoe/inbox"})
	must("remote actor", err)
	cp, err := e.Store.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://far.example/p/1", AuthorID: zoe.ID,
		Title: "Des arbres le long du canal", ContentHTML: "<p>Copiée d'ailleurs.</p>"})
	must("remote proposal", err)
	_, err = e.Store.CreateReport(ctx, c.member.Actor, models.ReportInput{ObjectType: models.ObjectTypeProposal, ObjectID: cp.ID, Reason: "Copie", Forward: true})
	must("report a copy, forwarded", err)
	_, err = e.Store.CreateReport(ctx, c.admin.Actor, models.ReportInput{ObjectType: models.ObjectTypeProposal, ObjectID: cp.ID, Reason: "Copie"})
	must("report a copy", err)
	return c
}

// a11yPages are the page kinds of the issue, by path; signed-in ones are
// visited as the admin (who sees moderation and admin pages). openAll
// opens every disclosure (<details>) before the check: axe skips what is
// not rendered.
func a11yPages(c *civicContent) []struct {
	name, path        string
	signedIn, openAll bool
} {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	return []struct {
		name, path        string
		signedIn, openAll bool
	}{
		{"home", "/", false, false},
		{"space", "/s/ville", false, false},
		{"proposal", "/p/" + id(c.proposal), false, false},
		{"debate-results", "/d/" + id(c.debate), false, false},
		{"debate-open", "/d/" + id(c.openDebate), true, false},
		{"petition", "/pe/" + id(c.petition), true, false},
		{"comment-thread", "/c/" + id(c.comment), true, false},
		{"signup", "/signup", false, false},
		{"login", "/login", false, false},
		{"notifications", "/notifications", true, false},
		{"moderation", "/moderation", true, false},
		{"moderation-actions-open", "/moderation", true, true},
		{"admin", "/admin/federation", true, false},
		{"admin-accounts", "/admin", true, true},
		{"account", "/account", true, false},
		{"proposal-form", "/s/ville/proposals/new", true, false},
	}
}

// TestAccessibilityOfEveryPageKind runs axe-core (WCAG 2.2 A and AA) on
// every page kind, in English and in French: no violation allowed.
func TestAccessibilityOfEveryPageKind(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	c := seedCivic(t, e)
	ctx := webtest.NewBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	for _, lang := range []string{"en", "fr"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+"/lang/"+lang+"?next=/")); err != nil {
			t.Fatal(err)
		}
		signedIn := false
		for _, p := range a11yPages(c) {
			if p.signedIn && !signedIn {
				browserLogin(t, ctx, e, "root_admin")
				signedIn = true
			}
			t.Run(lang+"/"+p.name, func(t *testing.T) {
				if err := chromedp.Do(ctx, chromedp.Navigate(e.URL+p.path), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
					t.Fatalf("open %s: %v", p.path, err)
				}
				if p.openAll {
					n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("details").forEach(d => d.open = true), document.querySelectorAll("details[open]").length`))
					if err != nil || n == 0 {
						t.Fatalf("opening the disclosures: %d open (%v)", n, err)
					}
				}
				attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang"))
				htmlLang := attr.Value
				if err != nil || htmlLang != lang {
					t.Errorf("<html lang=%q>, want %q (%v)", htmlLang, lang, err)
				}
				webtest.CheckAccessible(t, ctx)
				checkReflow(t, ctx)
			})
		}
		// Wait for the log-in link, which only the logged-out page has: the
		// old page's <main> would let the next navigation abort this one.
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`))); err != nil {
			t.Fatalf("log out: %v", err)
		}
	}
}

// browserLogin signs in through the log-in form.
func browserLogin(t *testing.T, ctx context.Context, e *testEnv, name string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID(`f-username`)),
		chromedp.SendKeys(chromedp.ID(`f-username`), name),
		chromedp.SendKeys(chromedp.ID(`f-password`), testPassword),
		chromedp.Submit(chromedp.ID(`f-username`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/account"]`)),
	)
	if err != nil {
		t.Fatalf("log in as %s: %v", name, err)
	}
}

// checkReflow checks WCAG 2.2 1.4.10 (Reflow): at 320 CSS px the page
// scrolls in one direction only; wide tables scroll inside their own
// container (.table-scroll), not the page.
func checkReflow(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(320, 900)); err != nil {
		t.Fatal(err)
	}
	defer chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900))
	w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if w > 320 {
		wide, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 321).slice(0, 4).map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "")).join(", ")`))
		t.Errorf("at 320 px the page is %d px wide (wider: %s)", w, wide)
	}
}
