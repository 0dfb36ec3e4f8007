package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
	"github.com/opendemocracynow/odn/web"
)

// eachDialect runs fn on a fresh web environment per dialect (PostgreSQL
// skips without ODN_TEST_PG).
func eachDialect(t *testing.T, fn func(t *testing.T, e *testEnv)) {
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) { fn(t, newEnvOn(t, d)) })
	}
}

// civicEnv adds the "ville" space (threshold 2), a moderator, a decider
// "maire" and members alice and bob.
func civicEnv(t *testing.T, e *testEnv) {
	t.Helper()
	ctx := context.Background()
	admin := e.user("root_admin", models.RoleAdmin)
	e.user("sacha", models.RoleModerator)
	e.user("maire", models.RoleMember)
	e.user("alice", models.RoleMember)
	e.user("bob", models.RoleMember)
	if err := e.Store.SetDecider(ctx, admin, "maire", true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.CreateSpace(ctx, admin, models.SpaceInput{Name: "ville", Kind: models.KindCity, Title: "Ville", SupportThreshold: 2}); err != nil {
		t.Fatal(err)
	}
}

var locationID = regexp.MustCompile(`/(?:p|pe)/(\d+)`)

// createdID reads the id of the object a 303 points at.
func createdID(t *testing.T, res *http.Response) string {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303: %s", res.StatusCode, readBody(res))
	}
	m := locationID.FindStringSubmatch(res.Header.Get("Location"))
	if m == nil {
		t.Fatalf("location %q", res.Header.Get("Location"))
	}
	return m[1]
}

func TestProposalPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		civicEnv(t, e)
		alice, bob := e.loggedIn("alice"), e.loggedIn("bob")

		// Anonymous visitors are sent to log in.
		if res := e.get(e.client(), "/s/ville/proposals/new"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Fatalf("anonymous new form: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if res := e.get(alice, "/s/ville/proposals/new"); res.StatusCode != 200 || !strings.Contains(readBody(res), `name="title"`) {
			t.Fatalf("new form: %d", res.StatusCode)
		}

		// Bad input re-renders the form with the error, in the reader's language.
		bad := []struct {
			name, title, body, want string
		}{
			{"title too long", strings.Repeat("a", 141), "texte", "The title must have 3 to 140 characters."},
			{"empty body", "Des bancs", "  ", "Please write the text."},
		}
		for _, tc := range bad {
			t.Run(tc.name, func(t *testing.T) {
				res := e.postForm(alice, "/s/ville/proposals/new", url.Values{"title": {tc.title}, "body": {tc.body}})
				if body := readBody(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) || !strings.Contains(body, `aria-invalid="true"`) {
					t.Fatalf("status %d, body lacks %q", res.StatusCode, tc.want)
				}
			})
		}

		// HTML and scripts are stored sanitised and rendered safely.
		id := createdID(t, e.postForm(alice, "/s/ville/proposals/new", url.Values{
			"title": {`<script>alert("t")</script>Des bancs`},
			"body":  {"Des **bancs** <script>alert(1)</script><img src=x onerror=alert(2)> [lien](javascript:alert(3))"},
			"tags":  {"Mobilier urbain, bancs"},
		}))
		page := readBody(e.get(e.client(), "/p/"+id))
		for _, evil := range []string{"<script>alert", "onerror", "javascript:"} {
			if strings.Contains(page, evil) {
				t.Fatalf("page contains %q", evil)
			}
		}
		if !strings.Contains(page, "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;Des bancs") || !strings.Contains(page, "<strong>bancs</strong>") ||
			!strings.Contains(page, "#mobilier-urbain") {
			t.Fatalf("title, body or tags not rendered as expected: %s", page)
		}

		// Edit while unsupported, then support closes editing.
		if res := e.postForm(alice, "/p/"+id+"/edit", url.Values{"title": {"Des bancs place Carnot"}, "body": {"Des bancs."}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", res.StatusCode, readBody(res))
		}
		if res := e.postForm(bob, "/p/"+id+"/edit", url.Values{"title": {"Volé"}, "body": {"x"}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("edit by another: %d", res.StatusCode)
		}
		if res := e.postForm(bob, "/p/"+id+"/support", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("support: %d %s", res.StatusCode, readBody(res))
		}
		if body := readBody(e.get(bob, "/p/"+id)); !strings.Contains(body, "You support this proposal.") || !strings.Contains(body, "Supports: 1") {
			t.Fatal("support not shown")
		}
		if res := e.postForm(bob, "/p/"+id+"/support", nil); res.StatusCode != http.StatusSeeOther ||
			!strings.Contains(res.Header.Get("Location"), "flash=proposal.already_supported") {
			t.Fatalf("second support: %d %s, want back to the page (TestFormsSentAgain)", res.StatusCode, res.Header.Get("Location"))
		}
		if res := e.postForm(alice, "/p/"+id+"/edit", url.Values{"title": {"Autre titre"}, "body": {"x"}}); res.StatusCode != http.StatusConflict {
			t.Fatalf("edit after support: %d", res.StatusCode)
		}
		// The edit form (an old link, another tab) says why, as the edit does.
		if res := e.get(alice, "/p/"+id+"/edit"); res.StatusCode != http.StatusConflict ||
			!strings.Contains(readBody(res), "A proposal can be edited only while it is open and nobody else supports it.") {
			t.Errorf("edit form after support: %d, without the reason", res.StatusCode)
		}
		// The second support reaches the threshold (2).
		if res := e.postForm(alice, "/p/"+id+"/support", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("author support: %d", res.StatusCode)
		}
		if body := readBody(e.get(alice, "/p/"+id)); !strings.Contains(body, "Threshold reached") || !strings.Contains(body, "<progress") {
			t.Fatal("threshold not shown")
		}
		if body := readBody(e.get(alice, "/notifications")); !strings.Contains(body, "reached its support threshold") {
			t.Fatal("threshold notification missing")
		}

		// Moderators answer; members may not.
		if res := e.postForm(bob, "/p/"+id+"/status", url.Values{"status": {"accepted"}, "answer": {"oui"}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("member status: %d", res.StatusCode)
		}
		sacha := e.loggedIn("sacha")
		if res := e.postForm(sacha, "/p/"+id+"/status", url.Values{"status": {"answered"}, "answer": {""}}); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(readBody(res), "Please write the answer.") {
			t.Fatalf("empty answer: %d", res.StatusCode)
		}
		if res := e.postForm(sacha, "/p/"+id+"/status", url.Values{"status": {"accepted"}, "answer": {"Les bancs seront **installés** en mars."}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("status: %d %s", res.StatusCode, readBody(res))
		}
		req, _ := http.NewRequest(http.MethodGet, e.URL+"/p/"+id, nil)
		req.Header.Set("Accept-Language", "fr")
		if body := readBody(e.do(http.DefaultClient, req)); !strings.Contains(body, "Réponse officielle") || !strings.Contains(body, "<strong>installés</strong>") || !strings.Contains(body, "Acceptée") {
			t.Fatal("answer not shown in French")
		}
		if body := readBody(e.get(bob, "/notifications")); !strings.Contains(body, "received an official answer") {
			t.Fatal("answer notification missing")
		}
		if res := e.postForm(bob, "/notifications/read", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("mark read: %d", res.StatusCode)
		}
		if body := readBody(e.get(bob, "/notifications")); strings.Contains(body, "Mark all as read") {
			t.Fatal("still unread")
		}

		// Lists, filters, random order with a published seed, space page.
		createdID(t, e.postForm(bob, "/s/ville/proposals/new", url.Values{"title": {"Une école ouverte"}, "body": {"Le samedi."}, "tags": {"éducation"}}))
		if body := readBody(e.get(e.client(), "/s/ville/proposals?q=ECOLE")); !strings.Contains(body, "Une école ouverte") || strings.Contains(body, "place Carnot") {
			t.Fatal("search")
		}
		if body := readBody(e.get(e.client(), "/s/ville/proposals?tag=education")); !strings.Contains(body, "Une école ouverte") || strings.Contains(body, "place Carnot") {
			t.Fatal("tag filter")
		}
		res := e.get(e.client(), "/s/ville/proposals?sort=random")
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "seed=") {
			t.Fatalf("random without seed: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if body := readBody(e.get(e.client(), "/s/ville/proposals?sort=random&seed=42")); !strings.Contains(body, "seed 42") {
			t.Fatal("seed not shown")
		}
		if res := e.get(e.client(), "/s/ville/proposals?sort=best"); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad sort: %d", res.StatusCode)
		}
		if body := readBody(e.get(e.client(), "/s/ville")); !strings.Contains(body, "Latest proposals") || !strings.Contains(body, "Une école ouverte") {
			t.Fatalf("space section: %s", body)
		}

		// Withdrawal.
		if res := e.postForm(bob, "/p/"+id+"/withdraw", nil); res.StatusCode != http.StatusForbidden {
			t.Fatalf("withdraw by another: %d", res.StatusCode)
		}
		for _, path := range []string{"/p/999999", "/p/abc", "/s/nowhere/proposals"} {
			if res := e.get(e.client(), path); res.StatusCode != http.StatusNotFound {
				t.Fatalf("%s: %d", path, res.StatusCode)
			}
		}
	})
}

func TestProposalAPI(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		civicEnv(t, e)
		alice, bob, sacha := e.token("alice"), e.token("bob"), e.token("sacha")
		var created struct {
			ID, URI, URL, Title, Status, BodyHTML string
			Tags                                  []string
			Supports                              int
			Author                                struct{ Handle string }
		}
		res := e.api("POST", "/api/v1/spaces/ville/proposals", alice, map[string]any{
			"title": "Des fontaines", "body": "Boire **frais** <script>x</script>", "tags": []string{"Eau"}}, &created)
		if res.StatusCode != http.StatusCreated || created.ID == "" || created.URI != e.URL+"/p/"+created.ID || created.URL != created.URI ||
			created.Status != "open" || strings.Contains(created.BodyHTML, "<script") || len(created.Tags) != 1 || created.Tags[0] != "eau" ||
			!strings.HasPrefix(created.Author.Handle, "alice@") || res.Header.Get("Location") == "" {
			t.Fatalf("create: %d %+v", res.StatusCode, created)
		}
		p := "/api/v1/proposals/" + created.ID
		cases := []struct {
			name, method, path, token string
			body                      any
			status                    int
			contains                  string
		}{
			{"no token", "POST", "/api/v1/spaces/ville/proposals", "", map[string]any{"title": "abc", "body": "x"}, 401, "authentication required"},
			{"wrong token", "POST", "/api/v1/spaces/ville/proposals", "nope", map[string]any{"title": "abc", "body": "x"}, 401, "invalid"},
			{"too long title", "POST", "/api/v1/spaces/ville/proposals", alice, map[string]any{"title": strings.Repeat("x", 141), "body": "x"}, 422, `"title"`},
			{"empty body", "POST", "/api/v1/spaces/ville/proposals", alice, map[string]any{"title": "abcd", "body": ""}, 422, `"body"`},
			{"unknown field", "POST", "/api/v1/spaces/ville/proposals", alice, map[string]any{"title": "abcd", "body": "x", "evil": 1}, 422, "unknown field"},
			{"bad consultation", "POST", "/api/v1/spaces/ville/proposals", alice, map[string]any{"title": "abcd", "body": "x", "consultation": "x"}, 422, "consultation"},
			{"unknown space", "POST", "/api/v1/spaces/nowhere/proposals", alice, map[string]any{"title": "abcd", "body": "x"}, 404, "not found"},
			{"unknown id", "GET", "/api/v1/proposals/999999", "", nil, 404, "not found"},
			{"bad id", "GET", "/api/v1/proposals/x", "", nil, 404, "not found"},
			{"support", "POST", p + "/support", bob, nil, 200, `{"supports":1}`},
			{"support twice", "POST", p + "/support", bob, nil, 409, "already exists"},
			{"support unknown", "POST", "/api/v1/proposals/999999/support", bob, nil, 404, "not found"},
			{"get with token", "GET", p, bob, nil, 200, `"supported":true`},
			{"withdraw support", "DELETE", p + "/support", bob, nil, 200, `{"supports":0}`},
			{"withdraw support twice", "DELETE", p + "/support", bob, nil, 404, "not found"},
			{"status by member", "POST", p + "/status", bob, map[string]any{"status": "accepted", "answer": "oui"}, 403, "not allowed"},
			{"status bad", "POST", p + "/status", sacha, map[string]any{"status": "maybe"}, 422, `"status"`},
			{"status by moderator", "POST", p + "/status", sacha, map[string]any{"status": "rejected", "answer": "Pas de **budget**."}, 200, `\u003cstrong\u003ebudget`},
			{"support rejected", "POST", p + "/support", bob, nil, 409, "closed"},
			{"withdraw by other", "POST", p + "/withdraw", bob, nil, 403, "not allowed"},
			{"list", "GET", "/api/v1/spaces/ville/proposals?status=rejected", "", nil, 200, `"title":"Des fontaines"`},
			{"list random", "GET", "/api/v1/spaces/ville/proposals?sort=random&seed=5", "", nil, 200, `"seed":5`},
			{"list random gets a seed", "GET", "/api/v1/spaces/ville/proposals?sort=random", "", nil, 200, `"seed":`},
			{"list bad cursor", "GET", "/api/v1/spaces/ville/proposals?cursor=zz", "", nil, 422, "cursor"},
			{"list bad seed", "GET", "/api/v1/spaces/ville/proposals?sort=random&seed=-1", "", nil, 422, "seed"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				res := e.api(tc.method, tc.path, tc.token, tc.body, nil)
				if body := readBody(res); res.StatusCode != tc.status || !strings.Contains(body, tc.contains) {
					t.Fatalf("%s %s: %d %s", tc.method, tc.path, res.StatusCode, body)
				}
			})
		}
		// Pagination with cursors returns every proposal once.
		for i := range 4 {
			e.api("POST", "/api/v1/spaces/ville/proposals", bob, map[string]any{"title": fmt.Sprintf("Idée %d", i), "body": "x"}, nil)
		}
		seen := map[string]bool{}
		cursor := ""
		for range 10 {
			var page struct {
				Items      []struct{ ID string }
				NextCursor string `json:"next_cursor"`
			}
			e.api("GET", "/api/v1/spaces/ville/proposals?sort=supports&limit=2&status=open&cursor="+url.QueryEscape(cursor), "", nil, &page)
			for _, it := range page.Items {
				if seen[it.ID] {
					t.Fatalf("%s twice", it.ID)
				}
				seen[it.ID] = true
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if len(seen) != 4 {
			t.Fatalf("paged %d proposals, want 4", len(seen))
		}
	})
}

// fakeFederation records content negotiation.
type fakeFederation struct{ served []string }

func (f *fakeFederation) Mount(chi.Router) {}
func (f *fakeFederation) WantsActivity(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "activity+json")
}
func (f *fakeFederation) ServeObject(w http.ResponseWriter, _ *http.Request, kind, id string) {
	f.served = append(f.served, kind+":"+id)
	w.Header().Set("Content-Type", "application/activity+json")
	w.Write([]byte(`{}`)) //nolint:errcheck // test
}

func TestCivicContentNegotiation(t *testing.T) {
	s := dbtest.SQLite(t)
	fed := &fakeFederation{}
	srv, err := web.New(web.Options{Store: s, BaseURL: "http://odn.test", Federation: fed})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	for _, path := range []string{"/p/7", "/pe/8"} {
		req, _ := http.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept", "application/activity+json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if ct := rec.Header().Get("Content-Type"); ct != "application/activity+json" {
			t.Fatalf("%s: %s", path, ct)
		}
	}
	if strings.Join(fed.served, ",") != "proposal:7,petition:8" {
		t.Fatalf("served %v", fed.served)
	}
}

func TestHiddenProposalsAndPetitions(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		civicEnv(t, e)
		ctx := context.Background()
		alice, _ := e.Store.AccountByUsername(ctx, "alice")
		p, err := e.Store.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: "Cachée bientôt", Body: "x"})
		if err != nil {
			t.Fatal(err)
		}
		pe, err := e.Store.CreatePetition(ctx, alice.Actor, "ville", models.PetitionInput{Title: "Cachée aussi", Body: "x", Addressee: "maire", Goal: 5})
		if err != nil {
			t.Fatal(err)
		}
		// What moderation does (models/moderation*.go): set hidden_at.
		for _, table := range []string{"proposals", "petitions"} {
			if _, err := e.Store.DB.NewUpdate().Table(table).Set("hidden_at = ?", e.Now).Where("1 = 1").Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		pp, pep := fmt.Sprintf("/p/%d", p.ID), fmt.Sprintf("/pe/%d", pe.ID)
		for _, path := range []string{pp, pep, "/api/v1/proposals/" + fmt.Sprint(p.ID), "/api/v1/petitions/" + fmt.Sprint(pe.ID)} {
			if res := e.get(e.client(), path); res.StatusCode != http.StatusGone {
				t.Fatalf("%s for a visitor: %d", path, res.StatusCode)
			}
		}
		sacha := e.loggedIn("sacha")
		for _, path := range []string{pp, pep} {
			if body := readBody(e.get(sacha, path)); !strings.Contains(body, "hidden by moderation") {
				t.Fatalf("%s for a moderator lacks the hidden badge", path)
			}
		}
		if body := readBody(e.get(e.client(), "/s/ville/proposals")); strings.Contains(body, "Cachée bientôt") {
			t.Fatal("hidden proposal listed")
		}
		if body := readBody(e.get(e.client(), "/s/ville/petitions")); strings.Contains(body, "Cachée aussi") {
			t.Fatal("hidden petition listed")
		}
		bob := e.token("bob")
		if res := e.api("POST", fmt.Sprintf("/api/v1/proposals/%d/support", p.ID), bob, nil, nil); res.StatusCode != http.StatusNotFound {
			t.Fatalf("support hidden: %d", res.StatusCode)
		}
		if res := e.api("POST", fmt.Sprintf("/api/v1/petitions/%d/signatures", pe.ID), bob, nil, nil); res.StatusCode != http.StatusNotFound {
			t.Fatalf("sign hidden: %d", res.StatusCode)
		}
	})
}

// TestCivicFormsWayBack: the proposal and petition forms name their
// space and link back to its list, on the empty form and on the form shown
// again with errors, and the edit form links back to the proposal; they
// had neither, where the debate form had its breadcrumb.
func TestCivicFormsWayBack(t *testing.T) {
	e := newEnv(t)
	civicEnv(t, e)
	alice := e.loggedIn("alice")
	proposals, petitions := `href="/s/ville/proposals">Propositions de Ville</a>`, `href="/s/ville/petitions">Pétitions de Ville</a>`
	page := readBody
	fr := func(method, path string, form url.Values) *http.Response {
		req, _ := http.NewRequest(method, e.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Accept-Language", "fr")
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", e.URL)
		}
		return e.do(alice, req)
	}
	for _, tc := range []struct {
		name, method, path string
		form               url.Values
		want               string
	}{
		{"new proposal", "GET", "/s/ville/proposals/new", nil, proposals},
		{"proposal errors", "POST", "/s/ville/proposals/new", url.Values{"title": {"ab"}}, proposals},
		{"new petition", "GET", "/s/ville/petitions/new", nil, petitions},
		{"petition errors", "POST", "/s/ville/petitions/new", url.Values{"title": {"ab"}}, petitions},
	} {
		if body := page(fr(tc.method, tc.path, tc.form)); !strings.Contains(body, tc.want) {
			t.Errorf("%s: no way back %s", tc.name, tc.want)
		}
	}
	id := createdID(t, e.postForm(alice, "/s/ville/proposals/new", url.Values{"title": {"Un banc"}, "body": {"Place Carnot."}}))
	back := `href="/p/` + id + `">Retour à la proposition</a>`
	if body := page(fr("GET", "/p/"+id+"/edit", nil)); !strings.Contains(body, back) {
		t.Errorf("edit form: no way back %s", back)
	}
	if body := page(fr("POST", "/p/"+id+"/edit", url.Values{"title": {"ab"}, "body": {"x"}})); !strings.Contains(body, back) {
		t.Errorf("edit form with errors: no way back %s", back)
	}
}
