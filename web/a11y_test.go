package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
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
// ("root_admin") and a member ("citoyenne"). The space "ville" is the
// demo's when SeedDemo ran first (newA11ySite), created otherwise.
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
	if c.space, err = e.Store.SpaceByName(ctx, "ville"); errors.Is(err, models.ErrNotFound) {
		c.space, err = e.Store.CreateSpace(ctx, c.admin, models.SpaceInput{Name: "ville", Kind: models.KindCity, Title: "Belleville", Description: "Une ville **ouverte**."})
	}
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

// TestAccessibilityOfEveryPageKind runs axe-core (WCAG 2.2 A and AA) on
// every page of a11yPages, in English and in French, with every
// disclosure (<details>) open (axe skips what is not rendered), at
// 1280 px and again at 320 px (checkNarrow): no violation allowed at
// either width, in what wide tables scroll out of view too
// (checkScrolledContrast). At 320, 375, 600, 768, 1024 and 1280 px, and
// at 1280 px zoomed to 200 %, the page reflows (checkWidths): no
// sideways scrolling but inside a table's labelled, focusable container,
// nothing wider than the viewport, no text clipped or overlapping,
// targets of WCAG 2.5.8's size or spacing, the navigation reachable. At
// 1280 and 320 px no text may be clipped or overlap with WCAG 1.4.12's
// text spacing (nor, at 320 px, spill out of a button or a form control
// smaller than its text), nor at 1280 px with 200 % text
// (checkTextResize), nor at 320 px be drawn under 10 px. Each page is
// loaded once and only restyled or resized after: the narrow run costs an
// axe run per page, each width a layout. One browser and one seeded
// server; users switch by session cookie.
func TestAccessibilityOfEveryPageKind(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	s := newA11ySite(t)
	pages := a11yPages(s)
	if pages[0].form != nil {
		t.Fatal("the first page must be a GET: forms are posted from a page of the site")
	}
	sessions := map[string]string{}
	for _, p := range pages {
		if p.as != "" && sessions[p.as] == "" {
			secret, err := s.Store.CreateSession(context.Background(), s.account(p.as), "a11y")
			if err != nil {
				t.Fatal(err)
			}
			sessions[p.as] = secret
		}
	}
	ctx := webtest.NewBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 8*time.Minute)
	defer cancel()
	for _, lang := range []string{"en", "fr"} {
		// The language cookie, and Accept-Language: the browser keeps an
		// embed a minute and it varies on Accept-Language only, so the
		// French visit would show the English one again.
		setCookie(t, ctx, s.URL, "odn_lang", lang)
		// And a client address per language: the forms posted (log-in,
		// sign-up, password and settings errors) share a per-client limit
		// of log-in attempts, which both languages' posts together exceed.
		if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang,
			"X-Forwarded-For": map[string]string{"en": "192.0.2.1", "fr": "192.0.2.2"}[lang]}}); err != nil {
			t.Fatal(err)
		}
		signedIn := "-"
		for _, p := range pages {
			if p.as != signedIn {
				setCookie(t, ctx, s.URL, "odn_session", sessions[p.as])
				signedIn = p.as
			}
			t.Run(lang+"/"+p.name, func(t *testing.T) {
				if p.with != nil {
					defer p.with(t, s)()
				}
				visitA11yPage(t, ctx, s.URL, p)
				attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang"))
				if err != nil || attr.Value != lang {
					t.Errorf("<html lang=%q>, want %q (%v)", attr.Value, lang, err)
				}
				if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("details").forEach(d => d.open = true), 0`)); err != nil {
					t.Fatalf("opening the disclosures: %v", err)
				}
				webtest.CheckAccessible(t, ctx)
				at := fmt.Sprintf("%s (%s) at", p.name, lang)
				checkScrolledContrast(t, ctx, at+" 1280 px")
				checkTextResize(t, ctx, at+" 1280 px")
				checkWidths(t, ctx, at)
				checkNarrow(t, ctx, at)
			})
		}
	}
}

// visitA11yPage opens p: navigates to it, or posts its form from the
// current page (same origin) as a browser would; the answer must have
// p's status.
func visitA11yPage(t *testing.T, ctx context.Context, base string, p a11yPage) {
	t.Helper()
	var res *network.Response
	var err error
	if p.form == nil {
		res, err = chromedp.Run(ctx, chromedp.NavigateResponse(base+p.path))
	} else {
		fields, _ := json.Marshal(p.form)
		enctype := "application/x-www-form-urlencoded"
		if p.multipart {
			enctype = "multipart/form-data"
		}
		res, err = chromedp.RunResponse(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const f = Object.assign(document.createElement("form"), {method: "post", action: %q, enctype: %q});
			for (const [name, values] of Object.entries(%s)) for (const value of values)
				f.append(Object.assign(document.createElement("input"), {type: "hidden", name, value}));
			document.body.append(f);
			f.submit();
		})()`, p.path, enctype, fields)))
	}
	if err != nil {
		t.Fatalf("open %s: %v", p.path, err)
	}
	want := p.status
	if want == 0 {
		want = http.StatusOK
	}
	if res == nil || res.Status != int64(want) {
		status := int64(0)
		if res != nil {
			status = res.Status
		}
		t.Fatalf("%s: status %d, want %d", p.path, status, want)
	}
}

// setCookie sets (or, with an empty value, deletes) a cookie of the site
// in the browser.
func setCookie(t *testing.T, ctx context.Context, site, name, value string) {
	t.Helper()
	var err error
	if value == "" {
		_, err = chromedp.Call(ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: name, URL: site})
	} else {
		_, err = chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: site, Path: "/"})
	}
	if err != nil {
		t.Fatalf("cookie %s: %v", name, err)
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

// checkNarrow checks the page at 320 CSS px, a phone's width, the
// width WCAG 1.4.10 (Reflow) names, where checkWidths left it: no text
// shrunk with a drawing, and axe-core finds nothing there either, since
// WCAG 2.2 AA applies at every width (targets and contrast of what the
// narrow layout rearranges), in the wide tables' scrolled cells too; nor
// does text spacing clip, overlap or widen anything, in form controls and
// buttons too. It puts the browser back at 1280 px.
func checkNarrow(t *testing.T, ctx context.Context, at string) {
	t.Helper()
	defer webtest.SetViewport(t, ctx, webtest.Viewport{Width: 1280})
	// A drawing scaled down to the width keeps its text legible.
	for _, p := range webtest.SmallText(t, ctx, 10) {
		t.Errorf("%s 320 px, text %s, under 10 px", at, p)
	}
	for _, v := range webtest.RunAxe(t, ctx) {
		t.Errorf("%s 320 px, accessibility: %s", at, v)
	}
	checkScrolledContrast(t, ctx, at+" 320 px")
	webtest.TextSpacing(t, ctx, true)
	defer webtest.TextSpacing(t, ctx, false)
	for _, p := range slices.Concat(webtest.TextProblems(t, ctx), webtest.ControlText(t, ctx), webtest.Reflow(t, ctx)) {
		t.Errorf("%s 320 px with WCAG 1.4.12 text spacing, %s", at, p)
	}
}

// checkWidths checks WCAG 2.2 1.4.10 (Reflow) at each of
// webtest.ReflowWidths, widest first, and at 1280 px zoomed to 200 %
// (webtest.Zoom200): the page scrolls in one direction only, no element
// is wider than the viewport but wide tables, which scroll inside their
// own labelled container that a keyboard can reach (2.1.1); no text is
// clipped or overlaps; targets keep WCAG 2.5.8's size or spacing; the
// site's navigation stays reachable. Each problem names the page and
// language (at), the width and the element. It leaves the page at 320 px.
func checkWidths(t *testing.T, ctx context.Context, at string) {
	t.Helper()
	views := []webtest.Viewport{webtest.Zoom200}
	for _, w := range webtest.ReflowWidths {
		views = append(views, webtest.Viewport{Width: w})
	}
	slices.SortStableFunc(views, func(a, b webtest.Viewport) int { return int(b.Width - a.Width) })
	for _, v := range views {
		webtest.SetViewport(t, ctx, v)
		width := fmt.Sprintf("%s %d px", at, v.Width)
		if v.Scale > 1 {
			width = fmt.Sprintf("%s %d px zoomed %.0f %% (%d px)", at, int64(float64(v.Width)*v.Scale), 100*v.Scale, v.Width)
		}
		for _, p := range webtest.LayoutProblems(t, ctx) {
			t.Errorf("%s: %s", width, p)
		}
	}
}

// checkScrolledContrast reports the text contrast axe-core finds too low,
// or cannot decide, in the page's scroll containers (webtest.ScrolledContrast).
func checkScrolledContrast(t *testing.T, ctx context.Context, at string) {
	t.Helper()
	vs, undecided := webtest.ScrolledContrast(t, ctx)
	for _, v := range vs {
		t.Errorf("%s, in a scroll container, accessibility: %s", at, v)
	}
	for _, u := range undecided {
		t.Errorf("%s, in a scroll container, axe-core cannot check the contrast of %s", at, u)
	}
}

// checkTextResize checks that no text is clipped or overlaps (WCAG 1.4.4
// Resize text, 1.4.12 Text spacing) at 200 % text size and with the
// text spacing of 1.4.12, one after the other, then puts the page back.
func checkTextResize(t *testing.T, ctx context.Context, at string) {
	t.Helper()
	webtest.TextSpacing(t, ctx, true)
	for _, p := range webtest.TextProblems(t, ctx) {
		t.Errorf("%s with WCAG 1.4.12 text spacing, %s", at, p)
	}
	webtest.TextSpacing(t, ctx, false)
	webtest.TextSize(t, ctx, 2*webtest.DefaultTextSize)
	defer webtest.TextSize(t, ctx, webtest.DefaultTextSize)
	for _, p := range slices.Concat(webtest.TextProblems(t, ctx), webtest.Reflow(t, ctx)) {
		t.Errorf("%s at 200 %% text size, %s", at, p)
	}
}
