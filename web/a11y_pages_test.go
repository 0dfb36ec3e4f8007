package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web"
)

// a11yPage is one page of the accessibility check: GET path, or the
// answer to form POSTed to path (a form shown again with its errors),
// seen by the user as ("" for nobody signed in).
type a11yPage struct {
	name, path, as string
	form           url.Values // non-nil: the page is the answer to this POST
	multipart      bool       // the form is multipart/form-data
	status         int        // the page's status; 0 is 200
	want           []string   // in the page (English): the state it is in
	// with, when set, puts the site in a state for the visit and returns
	// what puts it back.
	with func(t *testing.T, s *a11ySite) (undo func())
}

// Users of the check: the seed's admin, member (author of seedCivic's
// content) and the demo's moderator and mayor (a decision-maker).
const (
	asAdmin  = "root_admin"
	asMember = "citoyenne"
	asMod    = "sacha"
	asMayor  = "maire"
)

func get(name, path, as string) a11yPage { return a11yPage{name: name, path: path, as: as} }

// showing sets the text that says the page is in the state it is
// visited for.
func (p a11yPage) showing(want ...string) a11yPage { p.want = want; return p }

// post is a form POSTed from the browser; the page is its answer.
func post(name, path, as string, status int, form url.Values) a11yPage {
	return a11yPage{name: name, path: path, as: as, form: form, status: status}
}

// a11yPages are every page kind the server renders, in each state whose
// markup differs, by path: TestEveryHTMLPageIsCheckedForAccessibility
// checks that each GET route answering HTML has one here. The first page
// is a GET: forms are POSTed from a page of the site (same origin).
func a11yPages(s *a11ySite) []a11yPage {
	market, info := s.path("cons-market-id"), s.path("cons-info-id")
	pages := []a11yPage{
		// Reading, nobody signed in.
		get("home", "/", ""),
		get("about", "/about", ""),
		get("counting", "/about/counting", ""),
		get("privacy", "/privacy", ""),
		get("spaces", "/s", ""),
		get("search", "/search", ""),
		get("search-results", "/search?q=jardins", "").showing("jardins"),
		get("search-kind", "/search?q=jardins&kind=proposals&space=ville", ""),
		get("space", "/s/ville", ""),
		get("user", "/@citoyenne", "").showing("Camille Citoyenne", "jardins partagés"),
		get("proposals", "/s/ville/proposals", ""),
		get("debates", "/s/ville/debates", ""),
		get("debates-closed", "/s/ville/debates?phase=closed", ""),
		get("petitions", "/s/ville/petitions", ""),
		get("news-list", "/s/ville/news", ""),
		get("consultations", "/s/ville/consultations", ""),
		get("open-data", "/s/ville/data", ""),
		get("proposal", "/p/"+itoa(s.proposal), ""),
		get("proposal-long-words", s.path("proposal-long-words"), "").showing("@nom_tres_long_pour_un_ecran_xx", "#ConcertationCitoyenneDuQuartierNordEst2027",
			"concertation-participative-quart", "ODN_FEDERATION_DELIVERY_TIMEOUT_SECONDS=30", `href="https://www.example.org/consultations/2027/reamenagement`),
		get("proposal-answered", s.path("proposal-answered"), "").showing(`Official answer`),
		get("proposal-withdrawn", s.path("proposal-withdrawn"), "").showing(`Withdrawn`),
		get("proposal-in-consultation", s.path("proposal-in-consultation"), "").showing(`class="meta consultation-context"`),
		get("copy-proposal", s.path("copy-proposal"), "").showing(`(other.example)`, "cons-phase-information"),
		get("debate-results", "/d/"+itoa(s.debate), "").showing(`class="results-table"`),
		get("debate-multiple-results", s.path("debate-demo-closed"), ""),
		get("debate-open", s.path("debate-demo-open"), ""),
		get("copy-debate", s.path("copy-debate"), "").showing(`(other.example)`, "cons-phase-information"),
		get("ballots", "/d/"+itoa(s.debate)+"/ballots", ""),
		get("ballots-public-found", s.path("ballots-public"), "").showing(`found:`),
		get("petition", "/pe/"+itoa(s.petition), ""),
		get("petition-answered", s.path("petition-answered"), "").showing(`Official response`),
		get("copy-petition", s.path("copy-petition"), "").showing(`(other.example)`, "cons-phase-information"),
		get("comment-thread", "/c/"+itoa(s.comment), ""),
		get("news", s.path("news"), ""),
		get("workshop", s.path("workshop"), ""),
		get("consultation-information", s.path("cons-information"), "").showing(`cons-phase-information`),
		get("consultation-contribution", s.path("cons-contribution"), "").showing(`cons-phase-contribution`),
		get("consultation-synthesis", s.path("cons-synthesis"), "").showing(`id="synthesis"`),
		get("consultation-theme", s.path("cons-synthesis")+"?theme="+s.path("theme"), ""),
		get("consultation-closed", s.path("cons-closed"), "").showing(`cons-phase-closed`),
		get("consultation-sheet", s.path("sheet"), ""),
		get("consultation-print", "/consultations/"+market+"/print", ""),
		get("consultation-stats", "/consultations/"+market+"/stats", ""),
		get("consultation-map", "/consultations/"+market+"/map", "").showing(`<image href=`),
		get("embed-debate", "/embed/debates/"+itoa(s.openDebate), ""),
		get("embed-debate-closed", "/embed/debates/"+itoa(s.debate), ""),
		get("embed-petition", "/embed/petitions/"+itoa(s.petition), ""),
		{name: "not-found", path: "/no-such-page", status: http.StatusNotFound},
		{name: "search-refused", path: "/search?q=a&kind=users", status: http.StatusUnprocessableEntity, want: []string{`aria-invalid="true"`}},
		// Signing up and in.
		get("signup", "/signup", ""),
		post("signup-errors", "/signup", "", http.StatusUnprocessableEntity,
			url.Values{"username": {"x"}, "email": {"pas-un-courriel"}, "password": {"court"}, "password_confirm": {"court"}}),
		post("signup-mismatch", "/signup", "", http.StatusUnprocessableEntity,
			url.Values{"username": {"nouvelle"}, "password": {"correct horse"}, "password_confirm": {"battery staple"}}),
		{name: "signup-invite", path: "/signup?invite=abc", with: registration(models.RegistrationInvite), want: []string{`name="invite"`}},
		{name: "signup-closed", path: "/signup", status: http.StatusForbidden, with: registration(models.RegistrationClosed)},
		get("login", "/login", ""),
		post("login-failed", "/login", "", http.StatusUnauthorized, url.Values{"username": {"personne"}, "password": {"faux"}}),
		get("password-forgot", "/password/forgot", "").showing(`name="name_or_email"`),
		post("password-forgot-errors", "/password/forgot", "", http.StatusUnprocessableEntity, url.Values{"name_or_email": {""}}),
		get("password-reset", s.path("password-reset"), "").showing(`@oublieuse`),
		post("password-reset-errors", "/password/reset", "", http.StatusUnprocessableEntity,
			url.Values{"new_password": {"court"}, "password_confirm": {"autre"}}), // the token in its cookie, from the page before
		{name: "password-reset-invalid", path: "/password/reset?token=perime", status: http.StatusGone, want: []string{`href="/password/forgot"`}},
		get("email-confirm", s.path("email-confirm"), "").showing(`action="/email/confirm"`, "confirmee@example.org"),
		{name: "email-confirm-invalid", path: "/email/confirm?token=perime", status: http.StatusGone, want: []string{`href="/account"`}},
		// Opened in a browser signed in as another account: it says so.
		get("email-confirm-other-session", s.path("email-confirm"), asMember).showing(`class="notice"`, "@confirmee"),
		// Confirmed there (after the form's redirect, or reloaded).
		get("email-confirmed-other-session", s.path("email-confirmed"), asMember).showing("confirmed@example.org", "@confirmed"),
	}
	pages = append(pages, memberPages(s)...)
	pages = append(pages, moderatorPages(s, market, info)...)
	return append(pages, adminPages(s)...)
}

// memberPages are what a member sees and writes: their content, forms
// and account.
func memberPages(s *a11ySite) []a11yPage {
	p, pe, c := "/p/"+itoa(s.proposal), "/pe/"+itoa(s.petition), "/c/"+itoa(s.comment)
	empty := url.Values{"title": {""}, "body": {""}}
	return []a11yPage{
		get("proposal-own", p, asMember),
		// Its author's user name, the longest there may be, in the menu too.
		get("proposal-long-words-own", s.path("proposal-long-words"), longUsername).showing(longUsername + ")</a>"),
		get("proposal-to-support", s.path("proposal-open"), asMember).showing(`/support"`),
		get("proposal-supported", s.path("proposal-supported"), asMember).showing("You support this proposal."),
		get("proposal-edit", p+"/edit", asMember),
		post("proposal-edit-errors", p+"/edit", asMember, http.StatusUnprocessableEntity, empty),
		// Saved from a version someone else changed since (every edit form
		// shows the same notice).
		post("proposal-edit-conflict", p+"/edit", asMember, http.StatusConflict,
			url.Values{"title": {"Benches in the shade"}, "body": {"Under the plane trees."}, "version": {"999999"}}).
			showing("Someone else changed this meanwhile", `role="alert" id="edit-conflict"`),
		get("proposal-form", "/s/ville/proposals/new", asMember),
		get("proposal-form-consultation", "/s/ville/proposals/new?consultation="+s.path("cons-market-id"), asMember).showing(`form-consultation`),
		post("petition-form-consultation-errors", "/s/ville/petitions/new", asMember, http.StatusUnprocessableEntity,
			url.Values{"title": {""}, "body": {""}, "consultation": {strings.TrimPrefix(s.path("cons-contribution"), "/consultations/")}}).
			showing(`form-consultation`, `name="consultation"`),
		post("proposal-form-errors", "/s/ville/proposals/new", asMember, http.StatusUnprocessableEntity, empty),
		post("error-phase", "/s/ville/proposals/new", asMember, http.StatusConflict,
			url.Values{"title": {"Un kiosque"}, "body": {"Au milieu du parc."}, "consultation": {s.path("cons-info-id")}}),
		get("debate-voted", "/d/"+itoa(s.openDebate), asMember),
		get("debate-to-vote", s.path("debate-demo-open"), asMember).showing(`name="option"`),
		post("debate-vote-errors", s.path("debate-demo-open")+"/vote", asMember, http.StatusUnprocessableEntity, url.Values{}),
		get("copy-debate-refused", s.path("copy-debate"), asMember).showing(`phase-refusal`),
		get("petition-own", pe, asMember),
		post("petition-update-errors", pe+"/updates", asMember, http.StatusUnprocessableEntity, url.Values{"body": {""}}),
		get("petition-to-sign", s.path("petition-updates"), asMember).showing(`News from the author`),
		get("petition-form", "/s/ville/petitions/new", asMember),
		post("petition-form-errors", "/s/ville/petitions/new", asMember, http.StatusUnprocessableEntity, empty),
		get("comment-thread-own", c, asMember),
		get("comment-edit", c+"/edit", asMember),
		get("confirm-comment-delete", c+"/delete", asMember).showing(`class="confirm-object"`),
		get("confirm-proposal-withdraw", p+"/withdraw", asMember).showing(`class="confirm-object"`),
		get("confirm-petition-close", pe+"/close", asMember).showing(`class="confirm-object"`, "Close this petition before its deadline?"),
		post("comment-edit-errors", c+"/edit", asMember, http.StatusUnprocessableEntity, url.Values{"body": {""}}),
		post("comment-errors", "/comments", asMember, http.StatusUnprocessableEntity,
			url.Values{"object_type": {"proposal"}, "object_id": {itoa(s.proposal)}, "body": {""}}),
		get("report", "/report?type=proposal&id="+itoa(s.proposal), asMember),
		get("report-copy", "/report?type=proposal&id="+strings.TrimPrefix(s.path("copy-proposal"), "/p/"), asMember).showing(`name="forward"`),
		post("report-errors", "/report", asMember, http.StatusUnprocessableEntity,
			url.Values{"type": {"proposal"}, "id": {itoa(s.proposal)}, "reason": {""}}),
		get("notifications", "/notifications", asMember).showing(`class="notifications"`),
		get("follow", "/follow", asMember).showing(`Awaiting approval`),
		post("follow-errors", "/follow", asMember, http.StatusUnprocessableEntity, url.Values{"handle": {"personne"}}),
		get("account", "/account", asMember),
		{name: "account-email-pending", path: "/account", as: asMember, with: pendingEmail,
			want: []string{"Awaiting confirmation", `action="/account/email/resend"`, `action="/account/email/cancel"`}},
		post("account-settings-conflict", "/account/settings", asMember, http.StatusConflict,
			url.Values{"email": {"nouvelle@example.org"}, "email_shown": {"perimee@example.org"}, "locale": {""}}).showing(`id="edit-conflict"`),
		post("account-settings-changed", "/account/settings", asMember, http.StatusConflict,
			url.Values{"email": {""}, "email_shown": {""}, "locale": {""}, "version": {"99"}}).showing(`id="edit-conflict"`, `href="/account#settings-title"`),
		post("account-password-errors", "/account/password", asMember, http.StatusUnprocessableEntity,
			url.Values{"current_password": {"faux"}, "new_password": {"court"}}),
		post("account-delete-errors", "/account/delete", asMember, http.StatusUnprocessableEntity, url.Values{"confirm": {"non"}}),
		post("account-profile-errors", "/account/profile", asMember, http.StatusUnprocessableEntity,
			url.Values{"display_name": {strings.Repeat("n", models.MaxDisplayName+1)}, "bio": {strings.Repeat("b", models.MaxBio+1)}}),
		post("account-settings-errors", "/account/settings", asMember, http.StatusUnprocessableEntity,
			url.Values{"email": {"pas-un-courriel"}, "locale": {"de"}}),
		{name: "forbidden", path: "/admin", as: asMember, status: http.StatusForbidden},
		get("petition-addressee", s.path("petition-updates"), asMayor),
		get("petition-response-edit", s.path("petition-answered")+"/response/edit", asMayor).showing(`name="response"`),
		post("petition-response-edit-errors", s.path("petition-answered")+"/response/edit", asMayor, http.StatusUnprocessableEntity,
			url.Values{"response": {""}}),
	}
}

// moderatorPages: consultations' management, the moderation queue, the
// forms of moderators.
func moderatorPages(s *a11ySite, market, info string) []a11yPage {
	cons := "/consultations/" + market
	empty := url.Values{"title": {""}, "body": {""}}
	return []a11yPage{
		get("space-moderator", "/s/ville", asMod),
		get("debates-draft", "/s/ville/debates?phase=draft", asMod),
		get("debate-draft", s.path("debate-draft"), asMod).showing(`Draft`),
		get("debate-edit-draft", s.path("debate-draft")+"/edit", asMod).showing(`name="options"`),
		get("debate-edit-voted", s.path("debate-demo-open")+"/edit", asMod).showing(`id="fixed-h"`),
		post("debate-edit-errors", s.path("debate-draft")+"/edit", asMod, http.StatusUnprocessableEntity, url.Values{"question": {""}}),
		get("proposal-moderator", "/p/"+itoa(s.proposal), asMod).showing(`comment is-hidden`),
		post("proposal-status-errors", "/p/"+itoa(s.proposal)+"/status", asMod, http.StatusUnprocessableEntity,
			url.Values{"status": {"inconnu"}, "answer": {""}}),
		get("consultation-moderator", cons, asMod),
		get("consultation-manage", cons+"/manage", asMod),
		post("consultation-theme-errors", cons+"/themes", asMod, http.StatusUnprocessableEntity, url.Values{"name": {""}}),
		{name: "consultation-document-errors", path: cons + "/documents", as: asMod, status: http.StatusUnprocessableEntity,
			multipart: true, form: url.Values{"kind": {"sheet"}, "title": {""}, "body": {""}}},
		get("consultation-edit", cons+"/edit", asMod),
		post("consultation-edit-errors", cons+"/edit", asMod, http.StatusUnprocessableEntity, empty),
		get("consultation-new", "/s/ville/consultations/new", asMod),
		post("consultation-new-errors", "/s/ville/consultations/new", asMod, http.StatusUnprocessableEntity, empty),
		get("workshop-form", cons+"/workshop", asMod),
		get("confirm-workshop-delete", s.path("workshop")+"/delete", asMod),
		get("confirm-consultation-delete", cons+"/delete", asMod),
		get("confirm-theme-delete", cons+"/themes/"+s.path("theme")+"/delete", asMod),
		get("confirm-document-delete", cons+"/documents/"+s.path("document-id")+"/delete", asMod),
		get("confirm-news-delete", s.path("news")+"/delete", asMod),
		get("confirm-debate-open", s.path("debate-draft")+"/open", asMod),
		get("confirm-debate-close", s.path("debate-demo-open")+"/close", asMod),
		post("workshop-form-errors", cons+"/workshop", asMod, http.StatusUnprocessableEntity, empty),
		get("synthesis-published", cons+"/synthesis", asMod).showing(`saving it again updates`),
		get("synthesis-draft", s.path("cons-closed")+"/synthesis", asMod).showing(`This is a draft`),
		get("synthesis-none", "/consultations/"+info+"/synthesis", asMod),
		post("synthesis-errors", "/consultations/"+info+"/synthesis", asMod, http.StatusUnprocessableEntity,
			url.Values{"body": {"Trop tôt."}, "publish": {"true"}}),
		get("consultation-map-moderator", cons+"/map", asMod).showing(`name="item"`),
		post("consultation-map-errors", cons+"/map", asMod, http.StatusUnprocessableEntity,
			url.Values{"item": {""}, "lat": {"nord"}, "lon": {""}}),
		get("petition-signed", s.path("petition-updates"), asMod).showing("You signed this petition."),
		get("petition-update-edit", s.path("petition-update-edit"), asMod).showing(`name="body"`),
		post("petition-update-edit-errors", s.path("petition-update-edit"), asMod, http.StatusUnprocessableEntity, url.Values{"body": {""}}),
		get("petition-readdress", s.path("petition-readdress"), asMod).showing("can no longer answer it", `name="addressee"`),
		post("petition-readdress-errors", s.path("petition-readdress")+"/addressee", asMod, http.StatusUnprocessableEntity,
			url.Values{"addressee": {""}}),
		get("petition-readdressed", s.path("petition-readdressed"), "").showing("Addressee changed on"),
		get("petition-closed", s.path("petition-closed"), "").showing("closed early by the moderators on", "closed before its deadline"),
		get("debate-form", "/s/ville/debates/new", asMod),
		get("debate-form-consultation", "/s/ville/debates/new?consultation="+market, asMod).showing(`form-consultation`),
		post("debate-form-errors", "/s/ville/debates/new", asMod, http.StatusUnprocessableEntity, url.Values{"question": {""}}),
		get("news-form", "/s/ville/news/new", asMod),
		post("news-form-errors", "/s/ville/news/new", asMod, http.StatusUnprocessableEntity, empty),
		get("news-edit", s.path("news")+"/edit", asMod).showing(`name="title"`, "Edit the news post"),
		post("news-edit-errors", s.path("news")+"/edit", asMod, http.StatusUnprocessableEntity, empty),
		get("relay", "/relays/new?uri="+url.QueryEscape(s.path("copy-debate-uri")), asMod),
		post("relay-errors", "/relays", asMod, http.StatusUnprocessableEntity, url.Values{"uri": {""}, "space": {"ville"}}),
		get("moderation", "/moderation", asMod),
		get("moderation-all", "/moderation?status=all", asMod).showing("Waiting for delivery to far.example", "Received by delivered.example",
			"Refused by refused.example", "Forward to refused.example again", "that server is blocked here",
			"Whether sent.example received it is not known", "Forward to far.example"),
		get("moderation-audit", "/moderation/audit", asMod),
	}
}

// adminPages: accounts, registration, federation, spaces.
func adminPages(s *a11ySite) []a11yPage {
	return []a11yPage{
		get("petition-addressee-admin", "/pe/"+itoa(s.petition), asAdmin),
		post("petition-response-errors", "/pe/"+itoa(s.petition)+"/response", asAdmin, http.StatusUnprocessableEntity,
			url.Values{"response": {""}}),
		get("admin", "/admin", asAdmin),
		post("admin-invite", "/admin/invites", asAdmin, http.StatusOK, url.Values{}).showing(`/signup?invite=`),
		get("admin-federation", "/admin/federation", asAdmin).showing("gone.example", "down.example", "blocked.example"),
		post("admin-federation-errors", "/admin/federation/blocks", asAdmin, http.StatusUnprocessableEntity,
			url.Values{"domain": {"pas un domaine"}, "reason": {""}}),
		get("space-new", "/new-space", asAdmin),
		post("space-new-errors", "/new-space", asAdmin, http.StatusUnprocessableEntity, url.Values{"name": {""}, "title": {""}}),
		get("space-edit", "/s/ville/edit", asAdmin),
		post("space-edit-errors", "/s/ville/edit", asAdmin, http.StatusUnprocessableEntity, url.Values{"title": {""}}),
		get("notifications-admin", "/notifications", asAdmin),
	}
}

// registration sets the sign-up mode for a visit.
// pendingEmail gives the member an address awaiting confirmation, for
// the account page's state that says so.
func pendingEmail(t *testing.T, s *a11ySite) func() {
	set := func(email string) {
		if _, err := s.Store.DB.NewRaw("UPDATE accounts SET pending_email = ? WHERE username = ?", email, asMember).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	set("camille@nouvelle.example")
	return func() { set("") }
}

func registration(mode string) func(t *testing.T, s *a11ySite) func() {
	return func(t *testing.T, s *a11ySite) func() {
		set := func(m string) {
			if err := s.Store.SetSetting(context.Background(), s.admin, models.SettingRegistration, m); err != nil {
				t.Fatal(err)
			}
		}
		set(mode)
		return func() { set(models.RegistrationOpen) }
	}
}

// a11yExclusions are the GET routes that never answer an HTML page of
// their own, each with a path to check it by and why. The HTML they may
// answer on error is the error page, checked as "not-found" and
// "forbidden". Routes under /api/ are excluded as a whole (JSON, errors
// too: each is checked), and federation's (/.well-known, /actors…), which
// only cmd/odn mounts, answer JSON or redirect to the HTML page.
func a11yExclusions(s *a11ySite) []struct{ route, path, why string } {
	cons, pe := "/consultations/"+s.path("cons-market-id"), itoa(s.petition)
	return []struct{ route, path, why string }{
		{"GET /healthz", "/healthz", "operations: plain text"},
		{"GET /readyz", "/readyz", "operations: plain text"},
		{"GET /metrics", "/metrics", "operations: Prometheus text"},
		{"GET /static/*", "/static/style.css", "files: CSS, scripts, images"},
		{"GET /media/{key}", s.path("upload"), "files: uploads (images, PDF)"},
		{"GET /media/{key}/{name}", s.path("upload-named"), "files: uploads (images, PDF)"},
		{"GET /lang/{lang}", "/lang/fr?next=/", "a redirect back, setting the language cookie"},
		{"GET /account/export", "/account/export", "a JSON download (GDPR access)"},
		{"GET /s/{name}/feed.atom", "/s/ville/feed.atom", "Atom feed"},
		{"GET /s/{name}/proposals.atom", "/s/ville/proposals.atom", "Atom feed"},
		{"GET /s/{name}/debates.atom", "/s/ville/debates.atom", "Atom feed"},
		{"GET /s/{name}/petitions.atom", "/s/ville/petitions.atom", "Atom feed"},
		{"GET /s/{name}/news.atom", "/s/ville/news.atom", "Atom feed"},
		{"GET /pe/{id}/updates.atom", "/pe/" + pe + "/updates.atom", "Atom feed"},
		{"GET /s/{name}/export.{format}", "/s/ville/export.json", "open data download (JSON, ZIP of CSV)"},
		{"GET /s/{name}/export/{table}.csv", "/s/ville/export/proposals.csv", "open data download (CSV)"},
		{"GET /export/{kind}/{id}.{format}", "/export/petition/" + pe + ".json", "open data download (JSON, ZIP of CSV)"},
		{"GET /export/{kind}/{id}/{table}.csv", "/export/petition/" + pe + "/petitions.csv", "open data download (CSV)"},
		{"GET /consultations/{id}/stats.csv", cons + "/stats.csv", "statistics download (CSV)"},
		{"GET /consultations/{id}/stats.json", cons + "/stats.json", "statistics download (JSON)"},
	}
}

// itoa formats an id.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// pageRouter is a router of the web door, for chi.Walk and Find.
func pageRouter(t *testing.T, e *testEnv) chi.Routes {
	t.Helper()
	srv, err := web.New(web.Options{Store: e.Store, BaseURL: e.URL})
	if err != nil {
		t.Fatal(err)
	}
	routes, ok := srv.Handler().(chi.Routes)
	if !ok {
		t.Fatal("the handler is not a chi router")
	}
	return routes
}

// TestEveryHTMLPageIsCheckedForAccessibility: every GET route of the web
// door has a page in a11yPages (which the browser checks with axe-core)
// or is in a11yExclusions, whose paths must answer something other than
// an HTML page (a file, JSON, a feed, a redirect). A page added later
// without a check fails here, saying which route.
func TestEveryHTMLPageIsCheckedForAccessibility(t *testing.T) {
	s := newA11ySite(t)
	router := pageRouter(t, s.testEnv)
	checked := map[string]bool{}
	for _, p := range a11yPages(s) {
		if p.form != nil || p.status == http.StatusNotFound {
			continue
		}
		path, _, _ := strings.Cut(p.path, "?")
		pattern := router.Find(chi.NewRouteContext(), http.MethodGet, path)
		if pattern == "" {
			t.Errorf("page %s: no GET route serves %s", p.name, path)
		}
		checked[routeKey(http.MethodGet, pattern)] = true
	}
	excluded := map[string]string{}
	admin := s.loggedIn(asAdmin)
	for _, x := range a11yExclusions(s) {
		excluded[x.route] = x.path
		if checked[x.route] {
			t.Errorf("%s is both checked and excluded (%s)", x.route, x.why)
		}
	}
	n := 0
	err := chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		key := routeKey(method, route)
		switch {
		case method != http.MethodGet || checked[key]:
			return nil
		case strings.HasPrefix(route, "/api/"):
			checkNotHTML(t, s, admin, key, fillPattern(route, s.civicContent))
		case excluded[key] != "":
			checkNotHTML(t, s, admin, key, excluded[key])
			delete(excluded, key)
		default:
			t.Errorf("%s renders pages no accessibility check visits: add them to a11yPages "+
				"(or, if it never answers an HTML page, to a11yExclusions, saying what it answers)", key)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for route := range excluded {
		t.Errorf("a11yExclusions names %s, which is not a GET route (any more?)", route)
	}
	if len(checked) < 45 || n < 20 {
		t.Errorf("only %d routes checked and %d excluded: is chi.Walk seeing the router?", len(checked), n)
	}
}

// checkNotHTML fails when path, fetched as the admin, answers an HTML
// page (2xx text/html).
func checkNotHTML(t *testing.T, s *a11ySite, c *http.Client, route, path string) {
	t.Helper()
	res := s.get(c, path)
	ct := res.Header.Get("Content-Type")
	if res.StatusCode < 300 && strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s (GET %s) is excluded from the accessibility check but answers %d %s", route, path, res.StatusCode, ct)
	}
}

// TestA11yPagesAreInTheirStates: each page of a11yPages, fetched as its
// user without a browser, answers its status and shows the state it is
// there for, so that a change of the seed cannot quietly leave a state
// unchecked.
func TestA11yPagesAreInTheirStates(t *testing.T) {
	s := newA11ySite(t)
	clients := map[string]*http.Client{}
	for _, p := range a11yPages(s) {
		c := clients[p.as]
		if c == nil {
			c = s.client()
			if p.as != "" {
				secret, err := s.Store.CreateSession(context.Background(), s.account(p.as), "a11y")
				if err != nil {
					t.Fatal(err)
				}
				u, _ := url.Parse(s.URL)
				c.Jar.SetCookies(u, []*http.Cookie{{Name: "odn_session", Value: secret}})
			}
			clients[p.as] = c
		}
		t.Run(p.name, func(t *testing.T) {
			if p.with != nil {
				defer p.with(t, s)()
			}
			res := s.fetch(t, c, p)
			body, want := readBody(res), p.status
			if want == 0 {
				want = http.StatusOK
			}
			if res.StatusCode != want {
				t.Fatalf("%s: status %d, want %d", p.path, res.StatusCode, want)
			}
			if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Errorf("%s: %s, not a page", p.path, res.Header.Get("Content-Type"))
			}
			for _, w := range p.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s does not show %q", p.path, w)
				}
			}
			if p.status == http.StatusUnprocessableEntity && !strings.Contains(body, `class="error`) {
				t.Errorf("%s answered 422 without saying which field is wrong", p.path)
			}
		})
	}
}

// fetch GETs p, or POSTs its form as the browser would.
func (s *a11ySite) fetch(t *testing.T, c *http.Client, p a11yPage) *http.Response {
	t.Helper()
	if p.form == nil {
		res := s.get(c, p.path)
		if res.StatusCode == http.StatusSeeOther && p.status != http.StatusSeeOther {
			// A reset link's token goes into a cookie on the way.
			return s.get(c, res.Header.Get("Location")) // as the browser follows it
		}
		return res
	}
	if !p.multipart {
		res := s.postForm(c, p.path, p.form)
		if res.StatusCode == http.StatusSeeOther && p.status != http.StatusSeeOther {
			return s.get(c, res.Header.Get("Location")) // as the browser follows it
		}
		return res
	}
	fields := map[string]string{}
	for k := range p.form {
		fields[k] = p.form.Get(k)
	}
	ct, body := multipartForm(t, fields, "", "", nil)
	req, _ := http.NewRequest(http.MethodPost, s.URL+p.path, body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Origin", s.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return s.do(c, req)
}
