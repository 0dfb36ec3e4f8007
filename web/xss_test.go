package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web/webtest"
)

// xssCorpus are stored/reflected XSS payloads; each that ran would set
// window.__xss.
var xssCorpus = []string{
	`<script>window.__xss=1</script>`,
	`<img src=x onerror="window.__xss=1">`,
	`<svg onload=window.__xss=1>`,
	`"><script>window.__xss=1</script>`,
	`'><img src=x onerror=window.__xss=1>`,
	`[clic](javascript:window.__xss=1)`,
	`<a href="javascript:window.__xss=1">clic</a>`,
	`<iframe srcdoc="<script>parent.__xss=1</script>">`,
	`<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>`,
	`<details open ontoggle=window.__xss=1>`,
	"</textarea><script>window.__xss=1</script>",
	`{{.L}}{{template "x"}}`,
}

// unsafeHTML finds real markup (a "<" tag, not escaped text) that could
// run script in a page.
var unsafeHTML = regexp.MustCompile(`(?i)<script[^>]*>[^<]*__xss|<[a-z]+(\s+[a-z-]+(=("[^"]*"|'[^']*'|[^\s>"']*))?)*\s+(on[a-z]+|srcdoc)\s*=|<[a-z]+(\s+[a-z-]+(=("[^"]*"|'[^']*'|[^\s>"']*))?)*\s+href\s*=\s*["']?\s*javascript:|<iframe`)

// TestXSSCorpusStoredAndReflected puts every payload in every text field
// of the civic objects and in reflected parameters, then checks the HTML
// and what models stored, and that no payload runs in Chromium.
func TestXSSCorpusStoredAndReflected(t *testing.T) {
	e := newEnv(t)
	c := seedCivic(t, e)
	ctx := context.Background()
	var paths []string
	for i, x := range xssCorpus {
		p, err := e.Store.CreateProposal(ctx, c.member.Actor, "ville", models.ProposalInput{Title: "Proposition " + strconv.Itoa(i) + x, Body: x + "\n\n" + x})
		if err != nil {
			t.Fatalf("payload %d in a proposal: %v", i, err)
		}
		if unsafeHTML.MatchString(p.BodyHTML) {
			t.Errorf("payload %d stored unsafe HTML: %s", i, p.BodyHTML)
		}
		pe, err := e.Store.CreatePetition(ctx, c.member.Actor, "ville", models.PetitionInput{Title: "Pétition " + strconv.Itoa(i) + x, Body: x, Addressee: "root_admin", Goal: 10})
		if err != nil {
			t.Fatalf("payload %d in a petition: %v", i, err)
		}
		d, err := e.Store.CreateDebate(ctx, c.admin, c.space, models.DebateInput{Question: "Question " + strconv.Itoa(i) + x, Description: x, Options: []string{"Oui" + x, "Non"}})
		if err != nil {
			t.Fatalf("payload %d in a debate: %v", i, err)
		}
		cm, err := e.Store.CreateComment(ctx, c.member.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: x})
		if err != nil {
			t.Fatalf("payload %d in a comment: %v", i, err)
		}
		if unsafeHTML.MatchString(cm.BodyHTML) {
			t.Errorf("payload %d stored unsafe comment HTML: %s", i, cm.BodyHTML)
		}
		// A member's profile: display name (cut to its limit) and bio.
		who := "xss" + strconv.Itoa(i)
		name := x
		if r := []rune(name); len(r) > models.MaxDisplayName {
			name = string(r[:models.MaxDisplayName])
		}
		acc, err := e.Store.EditAccount(ctx, e.user(who, models.RoleMember), models.AccountEdit{DisplayName: &name, Bio: &x})
		if err != nil {
			t.Fatalf("payload %d in a profile: %v", i, err)
		}
		if unsafeHTML.MatchString(acc.Actor.Summary) {
			t.Errorf("payload %d stored an unsafe bio: %s", i, acc.Actor.Summary)
		}
		// The account page shows the bio's source again, in its form.
		secret, err := e.Store.CreateSession(ctx, acc, "xss")
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, e.URL+"/account", nil)
		req.AddCookie(&http.Cookie{Name: "odn_session", Value: secret})
		res := e.do(http.DefaultClient, req)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("payload %d: the account page answers %d", i, res.StatusCode)
		}
		if m := unsafeHTML.FindString(readBody(res)); m != "" {
			t.Errorf("payload %d: unsafe markup %q in the account page", i, m)
		}
		// Incoming federated HTML goes through SanitizeHTML.
		if out := models.SanitizeHTML(x); unsafeHTML.MatchString(out) {
			t.Errorf("payload %d survives SanitizeHTML: %s", i, out)
		}
		id := func(n int64) string { return strconv.FormatInt(n, 10) }
		paths = append(paths, "/p/"+id(p.ID), "/pe/"+id(pe.ID), "/d/"+id(d.ID), "/c/"+id(cm.ID), "/@"+who,
			"/login?next="+url.QueryEscape(x), "/s/ville/proposals?q="+url.QueryEscape(x), "/lang/fr?next="+url.QueryEscape(x))
	}
	paths = append(paths, "/s/ville", "/s/ville/proposals", "/s/ville/petitions", "/s/ville/debates", "/")
	for _, p := range paths {
		res := e.get(http.DefaultClient, p)
		if res.StatusCode >= 500 {
			t.Errorf("%s: status %d", p, res.StatusCode)
		}
		if m := unsafeHTML.FindString(readBody(res)); m != "" {
			t.Errorf("%s: unsafe markup %q in the page", p, m)
		}
	}
	if testing.Short() {
		return
	}
	bctx := webtest.NewBrowser(t)
	bctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()
	for _, p := range paths {
		if strings.HasPrefix(p, "/lang/") {
			continue
		}
		if err := chromedp.Do(bctx, chromedp.Navigate(e.URL+p), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		ran, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`!!(window.__xss || (window.parent && window.parent.__xss))`))
		if err != nil || ran {
			t.Errorf("%s: a payload ran in Chromium (%v)", p, err)
		}
	}
}
