package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// Route access policies of the authorisation matrix.
const (
	public    = "public"    // anyone; never 401/403
	account   = "account"   // anonymous: log-in redirect (pages) or 401 (API); signed in: per object rules
	moderator = "moderator" // members get 403
	admin     = "admin"     // members and moderators get 403
)

// publicRoutes may be used without an account. Every other route found
// by chi.Walk is expected to require one, so a new route cannot become
// public by mistake: add it here (with a reason) if it must be.
var publicRoutes = []string{
	// operations and assets
	"GET /healthz", "GET /readyz", "GET /metrics", "GET /static/*", "GET /media/{key}", "GET /media/{key}/{name}",
	// reading civic content, feeds, open data and embeds
	"GET /", "GET /about", "GET /about/counting", "GET /privacy", "GET /lang/{lang}", "GET /s", "GET /s/{name}", "GET /@{name}",
	"GET /p/{id}", "GET /d/{id}", "GET /d/{id}/ballots", "GET /pe/{id}", "GET /pe/{id}/updates.atom", "GET /c/{id}",
	"GET /news/{id}", "GET /w/{id}", "GET /consultations/{id}", "GET /consultations/{id}/map", "GET /consultations/{id}/print",
	"GET /consultations/{id}/sheets/{doc}", "GET /consultations/{id}/stats", "GET /consultations/{id}/stats.csv",
	"GET /consultations/{id}/stats.json", "GET /consultations/{id}/synthesis", "GET /consultations/{id}/workshop",
	"GET /embed/debates/{id}", "GET /embed/petitions/{id}", "GET /export/{kind}/{id}.{format}", "GET /export/{kind}/{id}/{table}.csv",
	"GET /s/{name}/*", "GET /s/{name}/proposals", "GET /s/{name}/debates", "GET /s/{name}/petitions", "GET /s/{name}/news",
	"GET /s/{name}/consultations", "GET /s/{name}/data", "GET /s/{name}/feed.atom", "GET /s/{name}/proposals.atom",
	"GET /s/{name}/debates.atom", "GET /s/{name}/petitions.atom", "GET /s/{name}/news.atom", "GET /s/{name}/export.{format}",
	"GET /s/{name}/export/{table}.csv", "GET /search",
	// authentication itself
	"GET /login", "POST /login", "GET /signup", "POST /signup", "POST /logout",
	"GET /password/forgot", "POST /password/forgot", "GET /password/reset", "POST /password/reset",
	// an e-mailed link confirming an address: its token is the proof
	"GET /email/confirm", "POST /email/confirm",
	// the read API (but see accountAPIGets)
	"GET /api/v1/*",
}

// accountAPIGets are the read API routes that are a user's own data.
var accountAPIGets = []string{"GET /api/v1/account", "GET /api/v1/account/export", "GET /api/v1/follows", "GET /api/v1/lookup", "GET /api/v1/notifications"}

// mayForbid are public routes that answer 403 (or 404) to everyone for
// some objects: a secret ballot's list, an unpublished synthesis.
var mayForbid = []string{"GET /d/{id}/ballots", "GET /consultations/{id}/synthesis", "GET /consultations/{id}/workshop",
	"GET /media/{key}", "GET /media/{key}/{name}"}

// privileged maps route patterns (regexp on "METHOD pattern") to the role
// they need beyond an account.
var privileged = []struct {
	re   *regexp.Regexp
	role string
}{
	{regexp.MustCompile(`^\w+ /admin/`), admin},
	{regexp.MustCompile(`^\w+ /moderation`), moderator},
	{regexp.MustCompile(`^(PATCH /api/v1/instance|POST /api/v1/invites|\w+ /api/v1/domain-blocks(/\{domain\})?|POST /api/v1/accounts/\{name\}/(role|decider)|PATCH /api/v1/spaces/\{name\}|GET /api/v1/deliveries/dead|POST /api/v1/deliveries/\{id\}/retry)$`), admin},
	{regexp.MustCompile(`^((PATCH|DELETE) /api/v1/consultations/\{id\}|\w+ /api/v1/consultations/\{id\}/themes(/\{theme\})?|DELETE /api/v1/(workshop-contributions|news)/\{id\}|PATCH /api/v1/news/\{id\}|(POST|DELETE) /api/v1/consultations/\{id\}/(documents(/\{doc\})?|banner))$`), moderator},
	{regexp.MustCompile(`^(GET /api/v1/reports|POST /api/v1/reports/\{id\}/(dismiss|forward)|POST /api/v1/moderation/\w+|POST /api/v1/accounts/\{name\}/\w+)$`), moderator},
	{regexp.MustCompile(`^(POST /api/v1/spaces/\{name\}/(consultations|debates|news|relays)|POST /api/v1/consultations/\{id\}/(workshop-contributions|synthesis)|PATCH /api/v1/debates/\{id\}|POST /api/v1/proposals/\{id\}/status|POST /api/v1/petitions/\{id\}/addressee)$`), moderator},
	{regexp.MustCompile(`^POST /api/v1/spaces$`), admin},
	{regexp.MustCompile(`^\w+ /s/\{name\}/edit$`), admin},
	{regexp.MustCompile(`^\w+ /s/\{name\}/(debates|consultations|news)/new$`), moderator},
	{regexp.MustCompile(`^\w+ /news/\{id\}/edit$`), moderator},
	// The page forms of the moderators' API routes above.
	{regexp.MustCompile(`^POST /(consultations/\{id\}/(edit|delete|themes(/\{theme\}/delete)?|documents(/\{doc\}/delete)?|banner|workshop|synthesis)|w/\{id\}/delete|news/\{id\}/delete|d/\{id\}/(edit|open|close)|p/\{id\}/status|pe/\{id\}/addressee|relays)$`), moderator},
	{regexp.MustCompile(`^POST /new-space$`), admin},
}

// routeKey is "METHOD /pattern" without the trailing slash chi adds to
// sub-router roots.
func routeKey(method, pattern string) string {
	if len(pattern) > 1 {
		pattern = strings.TrimSuffix(pattern, "/")
	}
	return method + " " + pattern
}

func policyOf(key string) string {
	if strings.Contains(key, " /static/") {
		return public // a file server, any method
	}
	for _, p := range privileged {
		if p.re.MatchString(key) {
			return p.role
		}
	}
	for _, p := range accountAPIGets {
		if p == key {
			return account
		}
	}
	for _, p := range publicRoutes {
		if p == key || (strings.HasSuffix(p, "*") && strings.HasPrefix(key, strings.TrimSuffix(p, "*")) && strings.HasPrefix(key, "GET ")) {
			return public
		}
	}
	return account
}

// walkRoutes lists every route of the web door.
func walkRoutes(t *testing.T, e *testEnv) []string {
	t.Helper()
	seen := map[string]bool{}
	err := chi.Walk(pageRouter(t, e), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		seen[routeKey(method, route)] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fillPattern replaces route parameters with ids of seeded content.
func fillPattern(pattern string, c *civicContent) string {
	id := strconv.FormatInt(c.proposal, 10)
	switch {
	case strings.HasPrefix(pattern, "/d/"), strings.HasPrefix(pattern, "/debates/"), strings.Contains(pattern, "/debates/{id}"):
		id = strconv.FormatInt(c.openDebate, 10)
	case strings.HasPrefix(pattern, "/pe/"), strings.Contains(pattern, "/petitions/{id}"):
		id = strconv.FormatInt(c.petition, 10)
	case strings.HasPrefix(pattern, "/c/"), strings.Contains(pattern, "/comments/{id}"):
		id = strconv.FormatInt(c.comment, 10)
	}
	r := strings.NewReplacer("{id}", id, "{name}", "ville", "{lang}", "fr", "{kind}", "proposal", "{format}", "json",
		"{table}", "proposals", "{key}", "nokey", "{doc}", "1", "{token}", "notoken", "*", "x")
	return r.Replace(pattern)
}

// TestAuthorisationMatrix: every route of the router × anonymous,
// remote actor (an HTTP signature but no session), member, moderator and
// admin gets the status its policy allows. Routes come from chi.Walk.
func TestAuthorisationMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("matrix of every route skipped in -short mode")
	}
	e := newEnv(t)
	c := seedCivic(t, e)
	e.user("moderatrice", models.RoleModerator)
	roles := []string{"anonymous", "remote", "member", "moderator", "admin"}
	users := map[string]string{"member": "citoyenne", "moderator": "moderatrice", "admin": "root_admin"}
	ctx := context.Background()
	hc := e.client()
	// The anonymous and remote roles send from their own loopback
	// addresses, a new one every 40 routes: the API's write limit counts
	// unauthenticated writes per address (60 a minute), and the API has
	// more write routes than one address may send.
	fromHC := map[string]*http.Client{}
	from := func(role string, i int) *http.Client {
		ip := net.IPv4(127, 0, map[string]byte{"anonymous": 4, "remote": 5}[role], byte(1+i/40))
		if fromHC[ip.String()] == nil {
			c := e.client()
			c.Transport = &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}).DialContext}
			fromHC[ip.String()] = c
		}
		return fromHC[ip.String()]
	}
	routes := walkRoutes(t, e)
	if len(routes) < 50 {
		t.Fatalf("chi.Walk found only %d routes", len(routes))
	}
	for i, key := range routes {
		method, pattern, _ := strings.Cut(key, " ")
		if method == http.MethodPost && pattern == "/account/delete" || pattern == "/logout" {
			continue // would end the sessions the matrix relies on; covered in auth_test.go
		}
		policy := policyOf(key)
		for _, role := range roles {
			t.Run(role+"/"+key, func(t *testing.T) {
				path := fillPattern(pattern, c)
				req, _ := http.NewRequest(method, e.URL+path, strings.NewReader(url.Values{"body": {"x"}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				api := strings.HasPrefix(pattern, "/api/")
				if name, ok := users[role]; ok {
					acc, err := e.Store.AccountByUsername(ctx, name)
					if err != nil {
						t.Fatal(err)
					}
					if api {
						tok, err := e.Store.CreateToken(ctx, acc, "matrix")
						if err != nil {
							t.Fatal(err)
						}
						req.Header.Set("Authorization", "Bearer "+tok)
						req.Header.Set("Content-Type", "application/json")
						req.Body = http.NoBody
					} else {
						secret, err := e.Store.CreateSession(ctx, acc, "matrix")
						if err != nil {
							t.Fatal(err)
						}
						req.AddCookie(&http.Cookie{Name: "odn_session", Value: secret})
					}
				}
				if role == "remote" {
					req.Header.Set("Signature", `keyId="https://mastodon.example/users/mallory#main-key",algorithm="rsa-sha256",headers="(request-target) host date",signature="AAAA"`)
					req.Header.Set("Date", http.TimeFormat)
				}
				client := hc
				if role == "anonymous" || role == "remote" {
					client = from(role, i)
				}
				res := e.do(client, req)
				checkStatus(t, policy, role, api, key, res)
			})
		}
	}
}

func checkStatus(t *testing.T, policy, role string, api bool, key string, res *http.Response) {
	t.Helper()
	st := res.StatusCode
	if st >= 500 {
		t.Fatalf("status %d (policy %s)", st, policy)
	}
	anonymous := role == "anonymous" || role == "remote"
	if policy == public {
		if key == "POST /login" && st == 401 || slices.Contains(mayForbid, key) && st == 403 {
			return // wrong password; an object closed to everyone
		}
		if st == 401 || st == 403 {
			t.Fatalf("public route answered %d", st)
		}
		return
	}
	if anonymous {
		loginRedirect := st == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login")
		if api && st != http.StatusUnauthorized || !api && !loginRedirect {
			t.Fatalf("%s got %d (Location %q), want %s", role, st, res.Header.Get("Location"), map[bool]string{true: "401", false: "a log-in redirect"}[api])
		}
		return
	}
	denied := st == http.StatusForbidden || st == http.StatusNotFound
	switch {
	case policy == admin && role != "admin", policy == moderator && role == "member":
		if !denied {
			t.Fatalf("%s reached a %s route: %d", role, policy, st)
		}
	case st == http.StatusUnauthorized:
		t.Fatalf("%s with a valid session or token got 401", role)
	}
}

// TestCSRFOnEveryStateChangingPageRoute: every non-GET page route (from
// chi.Walk) refuses a cross-site request carrying a valid session.
func TestCSRFOnEveryStateChangingPageRoute(t *testing.T) {
	e := newEnv(t)
	c := seedCivic(t, e)
	acc, err := e.Store.AccountByUsername(context.Background(), "root_admin")
	if err != nil {
		t.Fatal(err)
	}
	hc := e.client()
	n := 0
	for _, key := range walkRoutes(t, e) {
		method, pattern, _ := strings.Cut(key, " ")
		if method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions || strings.HasPrefix(pattern, "/api/") || pattern == "/static/*" {
			continue
		}
		n++
		secret, err := e.Store.CreateSession(context.Background(), acc, "csrf")
		if err != nil {
			t.Fatal(err)
		}
		for _, site := range []string{"cross-site", "same-site"} {
			req, _ := http.NewRequest(method, e.URL+fillPattern(pattern, c), strings.NewReader("body=x&confirm=root_admin"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", site)
			req.Header.Set("Origin", "http://evil.example")
			req.AddCookie(&http.Cookie{Name: "odn_session", Value: secret})
			if res := e.do(hc, req); res.StatusCode != http.StatusForbidden {
				t.Errorf("%s from a %s origin: status %d, want 403", key, site, res.StatusCode)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d state-changing page routes found", n)
	}
	if _, err := e.Store.AccountByUsername(context.Background(), "root_admin"); err != nil {
		t.Fatalf("a cross-site request deleted the account: %v", err)
	}
}

// TestNoOpenRedirect: every door that redirects to a path the client
// chose (language switch, log-in, comment) keeps the browser on the site.
// Browsers drop tabs and newlines inside a URL and read "\" as "/", so
// "/\t/evil.example" is "//evil.example" to them.
func TestNoOpenRedirect(t *testing.T) {
	e := newEnv(t)
	c := seedCivic(t, e)
	evil := []string{
		"//evil.example/", "/\t/evil.example/", "/\n/evil.example/", "/\r/evil.example/", "/\x0b/evil.example/",
		"/\\evil.example/", "/./\\evil.example/", "/\x7f/evil.example/", "/\u0085/evil.example/",
		"https://evil.example/", "\t//evil.example/", " //evil.example/", "/\xff/evil.example/",
	}
	member := e.loggedIn(c.member.Username)
	tries := 0
	doors := []struct {
		name string
		try  func(next string) *http.Response
	}{
		{"language", func(next string) *http.Response { return e.get(e.client(), "/lang/fr?next="+url.QueryEscape(next)) }},
		{"log-in", func(next string) *http.Response {
			// Each try from its own address, under the log-in rate limit.
			tries++
			from := e.client()
			from.Transport = &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 2, byte(tries))}}).DialContext}
			return e.postForm(from, "/login", url.Values{"username": {c.member.Username}, "password": {testPassword}, "next": {next}})
		}},
		{"sign-up", func(next string) *http.Response {
			tries++ // from its own address too
			from := e.client()
			from.Transport = &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 2, byte(tries))}}).DialContext}
			return e.postForm(from, "/signup", url.Values{"username": {fmt.Sprintf("newcomer%d", tries)}, "password": {testPassword},
				"password_confirm": {testPassword}, "next": {next}})
		}},
		{"comment", func(next string) *http.Response {
			return e.postForm(member, "/comments", url.Values{"object_type": {"proposal"}, "object_id": {strconv.FormatInt(c.proposal, 10)},
				"body": {"A comment."}, "back": {next}})
		}},
	}
	for _, d := range doors {
		for _, next := range evil {
			res := d.try(next)
			if res.StatusCode == http.StatusBadRequest && !utf8.ValidString(next) {
				continue // refused at the door, before any redirect
			}
			loc := res.Header.Get("Location")
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") ||
				strings.ContainsAny(loc, "\\\t\r\n") || strings.Contains(loc, "evil.example") {
				t.Errorf("%s, next %q: %d to %q", d.name, next, res.StatusCode, loc)
			}
		}
	}
	// A local path still works.
	if res := e.get(e.client(), "/lang/fr?next="+url.QueryEscape("/s/ville?tab=1")); res.Header.Get("Location") != "/s/ville?tab=1" {
		t.Errorf("local path: %q", res.Header.Get("Location"))
	}
}

// TestUnreadableFormIsClientError: every state-changing page route (from
// chi.Walk) answers a form it cannot read with a 4xx, never a 500.
func TestUnreadableFormIsClientError(t *testing.T) {
	e := newEnv(t)
	c := seedCivic(t, e)
	acc, err := e.Store.AccountByUsername(context.Background(), "root_admin")
	if err != nil {
		t.Fatal(err)
	}
	bodies := []struct{ name, body string }{
		{"larger than 1 MB", "body=" + strings.Repeat("x", 1<<20+10)},
		{"with a NUL byte", "body=a%00b&title=a%00b&name=a%00b&reason=a%00b&confirm=a%00b"},
		{"with invalid UTF-8", "body=a%FFb&title=a%FFb&name=a%FFb&reason=a%FFb&confirm=a%FFb"},
	}
	hc := e.client()
	for _, key := range walkRoutes(t, e) {
		method, pattern, _ := strings.Cut(key, " ")
		if method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions || strings.HasPrefix(pattern, "/api/") ||
			pattern == "/static/*" {
			continue
		}
		for _, b := range bodies {
			secret, err := e.Store.CreateSession(context.Background(), acc, "form")
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(method, e.URL+fillPattern(pattern, c), strings.NewReader(b.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			req.AddCookie(&http.Cookie{Name: "odn_session", Value: secret})
			if res := e.do(hc, req); res.StatusCode >= 500 {
				t.Errorf("%s, a form %s: status %d", key, b.name, res.StatusCode)
			}
		}
	}
}

// TestNULAndInvalidUTF8Refused: a NUL byte or invalid UTF-8 anywhere a
// client writes text (path, query, form, JSON) is refused at the door
// with 400 (422 for a JSON body, like every invalid body), on both
// databases, instead of failing the query with a 500 (NUL) or being
// stored altered (bun turns invalid UTF-8 into U+FFFD).
func TestNULAndInvalidUTF8Refused(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			e := newEnvOn(t, dialect)
			c := seedCivic(t, e)
			tok := e.token(c.member.Username)
			member := e.loggedIn(c.member.Username)
			get := func(path string) func() *http.Response {
				return func() *http.Response { return e.get(e.client(), path) }
			}
			post := func(hc *http.Client, path string, form url.Values) func() *http.Response {
				return func() *http.Response { return e.postForm(hc, path, form) }
			}
			comment := func(body string) url.Values {
				return url.Values{"object_type": {"proposal"}, "object_id": {strconv.FormatInt(c.proposal, 10)}, "body": {body}, "back": {"/"}}
			}
			propose := func(title string) func() *http.Response {
				return func() *http.Response {
					return e.api(http.MethodPost, "/api/v1/spaces/ville/proposals", tok, map[string]string{"title": title, "body": "Some body text."}, nil)
				}
			}
			cons, err := e.Store.CreateConsultation(context.Background(), c.admin, "ville", models.ConsultationInput{Title: "Le parc", Summary: "Un parc.",
				OpensAt: e.Now, ContributionAt: e.Now.Add(time.Hour), SynthesisAt: e.Now.Add(2 * time.Hour), ClosesAt: e.Now.Add(3 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			admin := e.loggedIn(c.admin.Username)
			document := fmt.Sprintf("/consultations/%d/documents", cons.ID)
			cases := []struct {
				name string
				try  func() *http.Response
				want int
			}{
				{"NUL in a consultation document", post(admin, document, url.Values{"kind": {"text"}, "title": {"Plan\x00"}, "body": {"Text."}}), http.StatusBadRequest},
				{"NUL in a space name", get("/s/a%00b"), http.StatusBadRequest},
				{"NUL in a user name", get("/@x%00"), http.StatusBadRequest},
				{"invalid UTF-8 in a space name", get("/s/a%FFb"), http.StatusBadRequest},
				{"NUL in the query", get("/s/ville/proposals?q=a%00"), http.StatusBadRequest},
				{"invalid UTF-8 in the query", get("/s/ville/proposals?q=%C3"), http.StatusBadRequest},
				{"NUL in an API path", get("/api/v1/spaces/a%00b"), http.StatusBadRequest},
				{"NUL in a log-in name", post(e.client(), "/login", url.Values{"username": {"bob\x00"}, "password": {testPassword}}), http.StatusBadRequest},
				{"invalid UTF-8 in a log-in name", post(e.client(), "/login", url.Values{"username": {"bob\xff"}, "password": {testPassword}}), http.StatusBadRequest},
				{"NUL in a comment", post(member, "/comments", comment("a\x00b")), http.StatusBadRequest},
				{"invalid UTF-8 in a comment", post(member, "/comments", comment("caf\xc3")), http.StatusBadRequest},
				{"NUL in a form field name", post(member, "/comments", url.Values{"x\x00": {"1"}}), http.StatusBadRequest},
				{"NUL in API JSON", propose("Plant trees\x00 now"), http.StatusUnprocessableEntity},
				{"a backslash and u0000 in API JSON is text", propose(`Plant trees \u0000 now`), http.StatusCreated},
			}
			for _, tc := range cases {
				if res := tc.try(); res.StatusCode != tc.want {
					t.Errorf("%s: status %d, want %d: %.200s", tc.name, res.StatusCode, tc.want, readBody(res))
				}
			}
		})
	}
}
