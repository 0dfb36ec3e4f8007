package web_test

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// openAPIWrites are the API write routes every member may use (on
// objects open to them): an invalid body is theirs to be told about.
// Every other write route refuses a member who is neither the object's
// author, nor its addressee, nor of the role it needs, whatever the
// body. A new write route is refused-by-default here: add it (with a
// reason) only if any member may call it.
var openAPIWrites = []string{
	// contributing
	"POST /api/v1/spaces/{name}/proposals", "POST /api/v1/spaces/{name}/petitions",
	"POST /api/v1/proposals/{id}/support", "DELETE /api/v1/proposals/{id}/support",
	"POST /api/v1/debates/{id}/votes", "DELETE /api/v1/debates/{id}/votes",
	"POST /api/v1/petitions/{id}/signatures", "DELETE /api/v1/petitions/{id}/signatures",
	"POST /api/v1/proposals/{id}/comments", "POST /api/v1/debates/{id}/comments", "POST /api/v1/petitions/{id}/comments",
	"POST /api/v1/reports",
	// the caller's own account, follows and notifications
	"PATCH /api/v1/account", "DELETE /api/v1/account", "POST /api/v1/account/avatar", "DELETE /api/v1/account/avatar",
	"POST /api/v1/account/email/confirmation",
	"POST /api/v1/follows", "DELETE /api/v1/follows", "POST /api/v1/notifications/read",
}

// authzSite is a site with one object of each kind, none of them the
// member "intrus"'s, for the routes' parameters.
type authzSite struct {
	*testEnv
	c                                          *civicContent
	consultation, mapped, theme, doc, workshop int64
	news, update                               int64
}

func newAuthzSite(t *testing.T) *authzSite {
	t.Helper()
	e := newEnv(t)
	e.Store.SetDataDir(t.TempDir())
	ctx := context.Background()
	a := &authzSite{testEnv: e, c: seedCivic(t, e)}
	e.user("moderatrice", models.RoleModerator)
	e.user("intrus", models.RoleMember)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %v", what, err)
		}
	}
	day := 24 * time.Hour
	c, err := e.Store.CreateConsultation(ctx, a.c.admin, "ville", models.ConsultationInput{Title: "La place du marché", Summary: "Qu'en faire ?",
		Body: "Dites-nous.", OpensAt: e.Now.Add(-2 * day), ContributionAt: e.Now.Add(-day), SynthesisAt: e.Now.Add(day),
		ClosesAt: e.Now.Add(2 * day), MapEnabled: true})
	must("consultation", err)
	a.consultation = c.ID
	th, err := e.Store.AddTheme(ctx, a.c.admin, c.ID, models.ThemeInput{Name: "Arbres"})
	must("theme", err)
	a.theme = th.ID
	p, err := e.Store.CreateProposal(ctx, a.c.member.Actor, "ville", models.ProposalInput{Title: "Des bancs à l'ombre", Body: "Sous les tilleuls.",
		Consultation: c.ID})
	must("proposal in the consultation", err)
	a.mapped = p.ID
	d, err := e.Store.AddDocument(ctx, a.c.admin, c.ID, models.DocumentInput{Kind: models.DocSheet, Title: "La place", Body: "Un parking."})
	must("document", err)
	a.doc = d.ID
	w, err := e.Store.RecordWorkshopContribution(ctx, a.c.admin, c.ID, models.WorkshopInput{Title: "Atelier du soir", Body: "On s'est vus.",
		HeldAt: e.Now.Add(-time.Hour), Place: "École", Participants: 12})
	must("workshop", err)
	a.workshop = w.ID
	n, err := e.Store.PublishNews(ctx, a.c.admin, "ville", models.NewsInput{Title: "Réunion publique", Body: "Mardi."})
	must("news", err)
	a.news = n.ID
	u, err := e.Store.PostPetitionUpdate(ctx, a.c.member.Actor, a.c.petition, "Cent signatures !")
	must("petition update", err)
	a.update = u.ID
	return a
}

// path fills pattern's parameters with the seeded objects.
func (a *authzSite) path(pattern string) string {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	var obj int64
	switch {
	case strings.Contains(pattern, "/location"):
		obj = a.mapped
	case strings.HasPrefix(pattern, "/api/v1/consultations/"):
		obj = a.consultation
	case strings.HasPrefix(pattern, "/api/v1/debates/"):
		obj = a.c.openDebate
	case strings.HasPrefix(pattern, "/api/v1/petitions/"):
		obj = a.c.petition
	case strings.HasPrefix(pattern, "/api/v1/comments/"):
		obj = a.c.comment
	case strings.HasPrefix(pattern, "/api/v1/workshop-contributions/"):
		obj = a.workshop
	case strings.HasPrefix(pattern, "/api/v1/news/"):
		obj = a.news
	case strings.HasPrefix(pattern, "/api/v1/reports/"):
		obj = 1
	case strings.HasPrefix(pattern, "/api/v1/deliveries/"):
		obj = 1
	default:
		obj = a.c.proposal
	}
	name := "ville"
	if strings.HasPrefix(pattern, "/api/v1/accounts/") {
		name = "citoyenne"
	}
	return strings.NewReplacer("{id}", id(obj), "{name}", name, "{theme}", id(a.theme), "{doc}", id(a.doc), "{uid}", id(a.update),
		"{domain}", "far.example").Replace(pattern)
}

// TestAuthorisationBeforeValidation: every API write route answers a
// caller who may not do it 401 (anonymous) or 403 (a member who is not
// the object's author, a moderator on an administrators' route), whatever
// the body: malformed, empty, or well-formed with every field wrong. A
// handler that read the body (or a models call that validated it) before
// checking who asks answered 422, telling an outsider the rules of an
// action they may not take. 404 is accepted where the object is hidden
// from the caller.
func TestAuthorisationBeforeValidation(t *testing.T) {
	if testing.Short() {
		t.Skip("every write route skipped in -short mode")
	}
	a := newAuthzSite(t)
	ctx := context.Background()
	accounts := map[string]*models.Account{}
	for _, name := range []string{"intrus", "moderatrice"} {
		acc, err := a.Store.AccountByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		accounts[name] = acc
	}
	// The API's write limit counts per token or address (60 a minute):
	// each signed-in request has a token of its own, and anonymous ones
	// come from a new loopback address every 40.
	anonymous := 0
	client := func(req *http.Request, role string) *http.Client {
		t.Helper()
		if role != "anonymous" {
			tok, err := a.Store.CreateToken(ctx, accounts[role], "authz")
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			return a.client()
		}
		anonymous++
		c := a.client()
		c.Transport = &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 6, byte(1+anonymous/40))}}).DialContext}
		return c
	}
	bodies := map[string]string{
		"malformed":  `{"title": `,
		"empty":      `{}`,
		"all wrong":  `{"title": "", "body": "", "lat": 91, "lon": 500, "status": "x", "kind": "x", "reason": "", "phases": [], "role": "x", "domain": "", "addressee": ""}`,
		"not a JSON": `title=x`,
	}
	routes := 0
	for _, key := range walkRoutes(t, a.testEnv) {
		method, pattern, _ := strings.Cut(key, " ")
		if !strings.HasPrefix(pattern, "/api/") || method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions {
			continue
		}
		routes++
		policy := policyOf(key)
		var refused []string // the roles that may not
		switch {
		case slices.Contains(openAPIWrites, key):
		case policy == admin:
			refused = []string{"intrus", "moderatrice"}
		default:
			refused = []string{"intrus"}
		}
		for name, body := range bodies {
			for _, role := range append([]string{"anonymous"}, refused...) {
				t.Run(key+"/"+role+"/"+name, func(t *testing.T) {
					req, _ := http.NewRequest(method, a.URL+a.path(pattern), strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					res := a.do(client(req, role), req)
					want := map[bool]string{true: "401", false: "403 or 404"}[role == "anonymous"]
					if role == "anonymous" && res.StatusCode != http.StatusUnauthorized ||
						role != "anonymous" && res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusNotFound {
						t.Errorf("%s got %d, want %s: %s", role, res.StatusCode, want, readBody(res))
					}
				})
			}
		}
	}
	if routes < 40 {
		t.Fatalf("only %d API write routes found", routes)
	}
}

// htmlPath fills a page route's parameters with the seeded objects.
func (a *authzSite) htmlPath(pattern string) string {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	obj := a.c.proposal
	switch {
	case strings.HasPrefix(pattern, "/consultations/"):
		obj = a.consultation
	case strings.HasPrefix(pattern, "/w/"):
		obj = a.workshop
	case strings.HasPrefix(pattern, "/news/"):
		obj = a.news
	case strings.HasPrefix(pattern, "/d/"):
		obj = a.c.openDebate
	case strings.HasPrefix(pattern, "/pe/"):
		obj = a.c.petition
	case strings.HasPrefix(pattern, "/c/"):
		obj = a.c.comment
	case strings.HasPrefix(pattern, "/moderation/reports/"), strings.HasPrefix(pattern, "/admin/federation/deliveries/"):
		obj = 1
	}
	name := "ville"
	if strings.HasPrefix(pattern, "/moderation/accounts/") || strings.HasPrefix(pattern, "/admin/users/") {
		name = "citoyenne"
	}
	return strings.NewReplacer("{id}", id(obj), "{name}", name, "{theme}", id(a.theme), "{doc}", id(a.doc), "{uid}", id(a.update)).Replace(pattern)
}

// pageFormSessions signs in the members "intrus" and "moderatrice".
func pageFormSessions(t *testing.T, a *authzSite) map[string]string {
	t.Helper()
	sessions := map[string]string{}
	for _, name := range []string{"intrus", "moderatrice"} {
		acc, err := a.Store.AccountByUsername(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if sessions[name], err = a.Store.CreateSession(context.Background(), acc, "authz"); err != nil {
			t.Fatal(err)
		}
	}
	return sessions
}

// badPageForms are forms the form parser refuses (400 or 413).
var badPageForms = []struct{ name, contentType, body string }{
	{"malformed", "application/x-www-form-urlencoded", "title=%zz&body=x"},
	{"NUL byte", "application/x-www-form-urlencoded", "title=%00"},
	{"oversized", "application/x-www-form-urlencoded", "body=" + strings.Repeat("x", 1<<20)},
	{"broken multipart", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nno end"},
}

// refusedPageForms sends each of badPageForms to the page route key as
// each of roles, and wants the log-in redirect (anonymous) or 403. The
// same-origin header passes the cross-origin check, which reads headers
// only, never the form.
func refusedPageForms(t *testing.T, a *authzSite, sessions map[string]string, key string, roles []string) {
	hc := a.client()
	method, pattern, _ := strings.Cut(key, " ")
	for _, b := range badPageForms {
		for _, role := range roles {
			t.Run(key+"/"+role+"/"+b.name, func(t *testing.T) {
				req, _ := http.NewRequest(method, a.URL+a.htmlPath(pattern), strings.NewReader(b.body))
				req.Header.Set("Content-Type", b.contentType)
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				if role != "anonymous" {
					req.AddCookie(&http.Cookie{Name: "odn_session", Value: sessions[role]})
				}
				res := a.do(hc, req)
				switch {
				case role == "anonymous" && (res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login")):
					t.Errorf("anonymous got %d (Location %q), want a log-in redirect", res.StatusCode, res.Header.Get("Location"))
				case role != "anonymous" && res.StatusCode != http.StatusForbidden:
					t.Errorf("%s got %d, want 403", role, res.StatusCode)
				}
			})
		}
	}
}

// TestPageFormsAuthoriseBeforeParsing: every page form (POST) that needs
// a role (policyOf: moderator or admin) answers someone without it the
// log-in redirect (anonymous) or 403 (a member; a moderator on an
// administrators' form) before reading the form: a malformed, oversized
// or NUL-holding form, or a broken multipart one, from someone who may
// not post it got 400 or 413 from the form parser when the handler read
// the form before models checked the role.
func TestPageFormsAuthoriseBeforeParsing(t *testing.T) {
	if testing.Short() {
		t.Skip("every role-only page form skipped in -short mode")
	}
	a := newAuthzSite(t)
	sessions := pageFormSessions(t, a)
	routes := 0
	for _, key := range walkRoutes(t, a.testEnv) {
		method, pattern, _ := strings.Cut(key, " ")
		policy := policyOf(key)
		if method != http.MethodPost || strings.HasPrefix(pattern, "/api/") || policy != moderator && policy != admin {
			continue
		}
		routes++
		refused := []string{"anonymous", "intrus"}
		if policy == admin {
			refused = append(refused, "moderatrice")
		}
		refusedPageForms(t, a, sessions, key, refused)
	}
	if routes < 25 {
		t.Fatalf("only %d role-only page forms found", routes)
	}
}

// openPageForms are the page forms of signed-in members that any member
// may post (on objects open to them), or that act on the poster's own
// account or choices: validation order tells them nothing they may not
// know. Every other members' page form acts on an object whose author
// (or addressee) alone may post it: a new one is refused-by-default in
// TestObjectPageFormsAuthoriseBeforeParsing; add it here only if any
// member may post it.
var openPageForms = []string{
	"POST /s/{name}/proposals/new", "POST /s/{name}/petitions/new", "POST /comments", "POST /report",
	"POST /p/{id}/support", "POST /p/{id}/unsupport", "POST /d/{id}/vote", "POST /d/{id}/withdraw", "POST /pe/{id}/sign",
	"POST /follow", "POST /unfollow", "POST /notifications/read",
	"POST /account/profile", "POST /account/settings", "POST /account/email/resend", "POST /account/email/cancel",
	"POST /account/password", "POST /account/delete",
}

// TestObjectPageFormsAuthoriseBeforeParsing: every members' page form
// whose poster depends on the object (an author's edit, withdrawal or
// update, the addressee's response, placing one's contribution on the
// map) answers a member who owns nothing 403, and anonymous the log-in
// redirect, whatever the form: the handler asks models' May… before
// reading it. Before, a malformed or oversized form got 400 or 413 from
// the form parser, telling an outsider of a form they may not send.
func TestObjectPageFormsAuthoriseBeforeParsing(t *testing.T) {
	if testing.Short() {
		t.Skip("every object page form skipped in -short mode")
	}
	a := newAuthzSite(t)
	sessions := pageFormSessions(t, a)
	var routes []string
	for _, key := range walkRoutes(t, a.testEnv) {
		method, pattern, _ := strings.Cut(key, " ")
		if method != http.MethodPost || strings.HasPrefix(pattern, "/api/") || strings.HasPrefix(pattern, "/static/") ||
			policyOf(key) != account || slices.Contains(openPageForms, key) {
			continue
		}
		routes = append(routes, key)
		refusedPageForms(t, a, sessions, key, []string{"anonymous", "intrus"})
	}
	if len(routes) < 8 {
		t.Fatalf("only %d object page forms found: %v", len(routes), routes)
	}
}
