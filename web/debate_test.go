package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// debateEnv is a web env with a space, a moderator and two members with
// API tokens.
type debateEnv struct {
	*testEnv
	mod, ann, bob  *models.Account
	modTok, annTok string
	space          *models.Space
}

func newDebateEnv(t *testing.T) *debateEnv {
	t.Helper()
	return newDebateEnvOn(t, "sqlite")
}

// newDebateEnvOn is newDebateEnv on a chosen dialect.
func newDebateEnvOn(t *testing.T, dialect string) *debateEnv {
	t.Helper()
	e := &debateEnv{testEnv: newEnvOn(t, dialect)}
	admin := e.user("boss", models.RoleAdmin)
	e.mod = e.user("modo", models.RoleModerator)
	e.ann = e.user("ann", models.RoleMember)
	e.bob = e.user("bob", models.RoleMember)
	var err error
	e.space, err = e.Store.CreateSpace(context.Background(), admin, models.SpaceInput{Name: "town", Kind: models.KindCity, Title: "Town"})
	if err != nil {
		t.Fatal(err)
	}
	e.modTok, e.annTok = e.token("modo"), e.token("ann")
	return e
}

// openDebate creates and opens a debate through the API.
func (e *debateEnv) openDebate(t *testing.T, in map[string]any) string {
	t.Helper()
	var d struct {
		ID, Phase string
	}
	if res := e.api("POST", "/api/v1/spaces/town/debates", e.modTok, in, &d); res.StatusCode != http.StatusCreated || d.Phase != "draft" {
		t.Fatalf("create: %d %+v", res.StatusCode, d)
	}
	if res := e.api("POST", "/api/v1/debates/"+d.ID+"/open", e.modTok, nil, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	return d.ID
}

func TestDebateAPI(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) { testDebateAPI(t, newDebateEnvOn(t, dialect)) })
	}
}

func testDebateAPI(t *testing.T, e *debateEnv) {
	create := map[string]any{"question": "Which colour for the bikes?", "options": []string{"Red", "Green", "Blue"}, "multiple": false}
	var created struct {
		ID, URI, URL, Phase string
		Options             []string
	}
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		contains                  string
	}{
		{"member cannot create", "POST", "/api/v1/spaces/town/debates", e.annTok, create, 403, "not allowed"},
		{"wrong token", "POST", "/api/v1/spaces/town/debates", "odn_nope", create, 401, "invalid"},
		{"anonymous cannot create", "POST", "/api/v1/spaces/town/debates", "", create, 401, "authentication"},
		{"invalid debate", "POST", "/api/v1/spaces/town/debates", e.modTok, map[string]any{"question": "Hm", "options": []string{"a"}}, 422, "question"},
		{"unknown field", "POST", "/api/v1/spaces/town/debates", e.modTok, map[string]any{"question": "Which colour?", "optionz": 1}, 422, "unknown field"},
		{"unknown space", "POST", "/api/v1/spaces/nowhere/debates", e.modTok, create, 404, "not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.api(tc.method, tc.path, tc.token, tc.body, nil)
			if body := readBody(res); res.StatusCode != tc.status || !strings.Contains(body, tc.contains) {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
		})
	}
	res := e.api("POST", "/api/v1/spaces/town/debates", e.modTok, create, &created)
	if res.StatusCode != 201 || created.Phase != "draft" || created.URI != e.URL+"/d/"+created.ID || len(created.Options) != 3 {
		t.Fatalf("%d %+v", res.StatusCode, created)
	}
	id := created.ID
	steps := []struct {
		name, method, path, token string
		body                      any
		status                    int
		contains                  string
	}{
		{"draft hidden from members", "GET", "/api/v1/debates/" + id, "", nil, 404, ""},
		{"vote in draft refused", "POST", "/api/v1/debates/" + id + "/votes", e.annTok, map[string]any{"options": []string{"Red"}}, 409, "not open"},
		{"member cannot open", "POST", "/api/v1/debates/" + id + "/open", e.annTok, nil, 403, ""},
		{"moderator opens", "POST", "/api/v1/debates/" + id + "/open", e.modTok, nil, 200, `"phase":"open"`},
		{"open twice", "POST", "/api/v1/debates/" + id + "/open", e.modTok, nil, 409, "already"},
		{"unknown option", "POST", "/api/v1/debates/" + id + "/votes", e.annTok, map[string]any{"options": []string{"Purple"}}, 422, "options"},
		{"two options on single choice", "POST", "/api/v1/debates/" + id + "/votes", e.annTok, map[string]any{"options": []string{"Red", "Blue"}}, 422, "options"},
		{"empty body", "POST", "/api/v1/debates/" + id + "/votes", e.annTok, nil, 422, "empty"},
		{"anonymous vote", "POST", "/api/v1/debates/" + id + "/votes", "", map[string]any{"options": []string{"Red"}}, 401, ""},
		{"vote", "POST", "/api/v1/debates/" + id + "/votes", e.annTok, map[string]any{"options": []string{"Red"}}, 200, `"options":["Red"]`},
		{"change vote", "POST", "/api/v1/debates/" + id + "/votes", e.annTok, map[string]any{"options": []string{"Blue"}}, 200, `"options":["Blue"]`},
		{"moderator votes", "POST", "/api/v1/debates/" + id + "/votes", e.modTok, map[string]any{"options": []string{"Blue"}}, 200, "receipt"},
		{"my vote", "GET", "/api/v1/debates/" + id, e.annTok, nil, 200, `"my_vote":{"receipt"`},
		{"live results", "GET", "/api/v1/debates/" + id + "/results", "", nil, 200, `{"name":"Blue","count":2,"percent":100}`},
		{"by instance", "GET", "/api/v1/debates/" + id + "/results", "", nil, 200, `"by_instance":{"127.0.0.1:`},
		{"no ballots while open", "GET", "/api/v1/debates/" + id + "/results", "", nil, 200, `"closed":false}`},
		{"list", "GET", "/api/v1/spaces/town/debates?phase=open", "", nil, 200, `"question":"Which colour for the bikes?"`},
		{"member cannot close", "POST", "/api/v1/debates/" + id + "/close", e.annTok, nil, 403, ""},
		{"moderator closes", "POST", "/api/v1/debates/" + id + "/close", e.modTok, nil, 200, `"phase":"closed"`},
		{"vote after close", "POST", "/api/v1/debates/" + id + "/votes", e.annTok, map[string]any{"options": []string{"Red"}}, 409, "closed"},
		{"ballots after close", "GET", "/api/v1/debates/" + id + "/results", "", nil, 200, `"ballots":[{"receipt":`},
		{"unknown debate", "GET", "/api/v1/debates/999", "", nil, 404, ""},
		{"bad id", "GET", "/api/v1/debates/abc/results", "", nil, 404, ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res := e.api(st.method, st.path, st.token, st.body, nil)
			if body := readBody(res); res.StatusCode != st.status || !strings.Contains(body, st.contains) {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
		})
	}
	t.Run("results after close only", func(t *testing.T) {
		id := e.openDebate(t, map[string]any{"question": "Secret until the end?", "options": []string{"Yes", "No"}, "results_visibility": "after_close"})
		if res := e.api("GET", "/api/v1/debates/"+id+"/results", e.annTok, nil, nil); res.StatusCode != 403 {
			t.Fatalf("member sees results early: %d", res.StatusCode)
		}
		if res := e.api("GET", "/api/v1/debates/"+id+"/results", e.modTok, nil, nil); res.StatusCode != 200 {
			t.Fatalf("moderator: %d", res.StatusCode)
		}
	})
}

func TestDebatePages(t *testing.T) {
	e := newDebateEnv(t)
	id := e.openDebate(t, map[string]any{"question": "Bikes <script>alert(1)</script>?", "options": []string{"Red", "Green <b>x</b>"},
		"description": "Read **this** <script>alert(2)</script>"})
	multi := e.openDebate(t, map[string]any{"question": "Which days?", "options": []string{"Sat", "Sun"}, "multiple": true})
	ann := e.loggedIn("ann")

	t.Run("vote form", func(t *testing.T) {
		body := readBody(e.get(ann, "/d/"+id))
		for _, want := range []string{`<fieldset`, `<legend id="f-options">Bikes &lt;script&gt;`, `type="radio" id="opt-0" name="option" value="Red"`,
			`Green &lt;b&gt;x&lt;/b&gt;`, `<strong>this</strong>`, `role="img" aria-labelledby="debate-`, `-title" hidden>Bikes &lt;script&gt;`, `-desc" hidden>`, `<table class="results-table">`, `Arguments for`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %s", want)
			}
		}
		if strings.Contains(body, "<script>alert") {
			t.Fatal("script injected")
		}
		if body := readBody(e.get(ann, "/d/"+multi)); !strings.Contains(body, `type="checkbox" id="opt-1" name="option" value="Sun"`) {
			t.Error("multiple choice without checkboxes")
		}
	})
	t.Run("vote and receipt", func(t *testing.T) {
		res := e.postForm(ann, "/d/"+id+"/vote", url.Values{"option": {"Red"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%d %s", res.StatusCode, readBody(res))
		}
		body := readBody(e.get(ann, "/d/"+id))
		if !strings.Contains(body, `<code class="receipt">`) || !strings.Contains(body, `value="Red" checked`) {
			t.Fatal("no receipt or choice shown")
		}
		res = e.postForm(ann, "/d/"+id+"/vote", url.Values{"option": {"Nope"}})
		if b := readBody(res); res.StatusCode != 422 || !strings.Contains(b, `aria-invalid`) && !strings.Contains(b, `f-options-err`) {
			t.Fatalf("unknown option: %d", res.StatusCode)
		}
		res = e.postForm(ann, "/d/"+multi+"/vote", url.Values{"option": {"Sat", "Sun"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("multiple: %d", res.StatusCode)
		}
	})
	t.Run("anonymous sees no form", func(t *testing.T) {
		body := readBody(e.get(e.client(), "/d/"+id))
		if strings.Contains(body, `action="/d/`+id+`/vote"`) || !strings.Contains(body, "Log in to vote") {
			t.Fatal("vote form for anonymous")
		}
	})
	t.Run("arguments and comments are safe", func(t *testing.T) {
		res := e.postForm(ann, "/comments", url.Values{"object_type": {"debate"}, "object_id": {id}, "stance": {"against"},
			"body": {"**no** <script>alert(3)</script>\n\n<script>alert(5)</script><img src=x onerror=alert(4)>"}, "back": {"/d/" + id}})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/d/"+id) {
			t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Location"))
		}
		body := readBody(e.get(ann, "/d/"+id))
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "onerror") || !strings.Contains(body, "<strong>no</strong>") {
			t.Fatal("argument not sanitised or missing")
		}
		res = e.postForm(ann, "/comments", url.Values{"object_type": {"debate"}, "object_id": {id}, "body": {""}, "back": {"/d/" + id}})
		if res.StatusCode != 422 {
			t.Fatalf("empty comment: %d", res.StatusCode)
		}
	})
	t.Run("moderator opens and closes from the page", func(t *testing.T) {
		mod := e.loggedIn("modo")
		res := e.postForm(mod, "/s/town/debates/new", url.Values{"question": {"Open now?"}, "options": {"Yes\r\nNo\r\n"}, "multiple": {"false"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create: %d %s", res.StatusCode, readBody(res))
		}
		loc := res.Header.Get("Location")
		path := strings.Split(loc, "?")[0]
		if res := e.postForm(ann, path+"/open", nil); res.StatusCode != 403 {
			t.Fatalf("member opens: %d", res.StatusCode)
		}
		if res := e.postForm(mod, path+"/open", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("open: %d", res.StatusCode)
		}
		if res := e.postForm(mod, path+"/close", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("close: %d", res.StatusCode)
		}
		if body := readBody(e.get(ann, path+"/ballots")); !strings.Contains(body, "0 ballots") {
			t.Fatal("ballot page")
		}
		res = e.postForm(mod, "/s/town/debates/new", url.Values{"question": {"?"}, "options": {"one"}})
		if b := readBody(res); res.StatusCode != 422 || !strings.Contains(b, "f-question-err") {
			t.Fatalf("invalid form: %d", res.StatusCode)
		}
	})
	t.Run("lists", func(t *testing.T) {
		if body := readBody(e.get(ann, "/s/town")); !strings.Contains(body, "Open debates") || !strings.Contains(body, "Which days?") {
			t.Fatal("space section")
		}
		if body := readBody(e.get(ann, "/s/town/debates?phase=closed")); !strings.Contains(body, "Open now?") {
			t.Fatal("closed list")
		}
		// A tampered filter is refused, as the API and the other lists
		// refuse theirs, rather than read as "all".
		for _, q := range []string{"phase=garbage", "before=x", "before=-1"} {
			if res := e.get(ann, "/s/town/debates?"+q); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("?%s: status %d, want 422", q, res.StatusCode)
			}
		}
		if body := readBody(e.get(e.client(), "/about/counting")); !strings.Contains(body, "receipt") {
			t.Fatal("counting page")
		}
	})
}

func TestHiddenContent(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) { testHiddenContent(t, newDebateEnvOn(t, dialect)) })
	}
}

func testHiddenContent(t *testing.T, e *debateEnv) {
	id := e.openDebate(t, map[string]any{"question": "Hidden soon?", "options": []string{"Yes", "No"}})
	other := e.openDebate(t, map[string]any{"question": "Still here?", "options": []string{"Yes", "No"}})
	var c struct{ ID string }
	if res := e.api("POST", "/api/v1/debates/"+other+"/comments", e.annTok, map[string]any{"body": "spam spam"}, &c); res.StatusCode != 201 {
		t.Fatalf("comment: %d", res.StatusCode)
	}
	if res := e.api("POST", "/api/v1/reports", e.annTok, map[string]any{"object_type": "debate", "object_id": id, "reason": "off topic"}, nil); res.StatusCode != 201 {
		t.Fatalf("report: %d %s", res.StatusCode, readBody(res))
	}
	if res := e.api("POST", "/api/v1/reports", e.annTok, map[string]any{"object_type": "debate", "object_id": id, "reason": "again"}, nil); res.StatusCode != 409 {
		t.Fatalf("second report: %d", res.StatusCode)
	}
	mod, ann := e.loggedIn("modo"), e.loggedIn("ann")
	if res := e.get(ann, "/moderation"); res.StatusCode != 403 {
		t.Fatalf("member sees the queue: %d", res.StatusCode)
	}
	if body := readBody(e.get(mod, "/moderation")); !strings.Contains(body, "off topic") || !strings.Contains(body, "Hidden soon?") {
		t.Fatal("queue lacks the report")
	}
	for _, form := range []url.Values{{"type": {"debate"}, "id": {id}, "reason": {"off topic"}}, {"type": {"comment"}, "id": {c.ID}}} {
		if res := e.postForm(ann, "/moderation/hide", form); res.StatusCode != 403 {
			t.Fatalf("member hides: %d", res.StatusCode)
		}
		if res := e.postForm(mod, "/moderation/hide", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("hide: %d", res.StatusCode)
		}
	}
	cases := []struct {
		name   string
		client *http.Client
		path   string
		status int
		absent string
	}{
		{"permalink 410", ann, "/d/" + id, 410, "Hidden soon?"},
		{"moderator still sees", mod, "/d/" + id, 200, ""},
		{"space section", ann, "/s/town", 200, "Hidden soon?"},
		{"debate list", ann, "/s/town/debates", 200, "Hidden soon?"},
		{"thread", ann, "/d/" + other, 200, "spam spam"},
		{"comment permalink", ann, "/c/" + c.ID, 410, "spam spam"},
		{"api debate", http.DefaultClient, "/api/v1/debates/" + id, 410, "Hidden soon?"},
		{"api list", http.DefaultClient, "/api/v1/spaces/town/debates", 200, "Hidden soon?"},
		{"api comments", http.DefaultClient, "/api/v1/debates/" + other + "/comments", 200, "spam spam"},
		{"api comment", http.DefaultClient, "/api/v1/comments/" + c.ID, 410, "spam spam"},
		{"api results", http.DefaultClient, "/api/v1/debates/" + id + "/results", 410, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.get(tc.client, tc.path)
			body := readBody(res)
			if res.StatusCode != tc.status || (tc.absent != "" && strings.Contains(body, tc.absent)) {
				t.Fatalf("%d, body has %q: %v", res.StatusCode, tc.absent, strings.Contains(body, tc.absent))
			}
		})
	}
	if body := readBody(e.get(mod, "/moderation/audit")); !strings.Contains(body, "Hidden") {
		t.Fatal("audit log lacks the action")
	}
	if res := e.postForm(mod, "/moderation/restore", url.Values{"type": {"debate"}, "id": {id}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("restore: %d", res.StatusCode)
	}
	if res := e.get(ann, "/d/"+id); res.StatusCode != 200 {
		t.Fatalf("restored: %d", res.StatusCode)
	}
}

func TestCommentAPI(t *testing.T) {
	e := newDebateEnv(t)
	id := e.openDebate(t, map[string]any{"question": "Talk about it?", "options": []string{"Yes", "No"}})
	var top, reply struct{ ID string }
	base := "/api/v1/debates/" + id + "/comments"
	if res := e.api("POST", base, e.annTok, map[string]any{"body": "I agree", "stance": "for"}, &top); res.StatusCode != 201 {
		t.Fatalf("%d", res.StatusCode)
	}
	cases := []struct {
		name   string
		body   any
		status int
	}{
		{"reply", map[string]any{"body": "Why?", "in_reply_to": top.ID}, 201},
		{"empty body", map[string]any{"body": ""}, 422},
		{"no body", nil, 422},
		{"bad parent", map[string]any{"body": "x", "in_reply_to": "abc"}, 422},
		{"unknown parent", map[string]any{"body": "x", "in_reply_to": "999"}, 422},
		{"stance on reply", map[string]any{"body": "x", "in_reply_to": top.ID, "stance": "against"}, 422},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out any
			if tc.status == 201 {
				out = &reply
			}
			if res := e.api("POST", base, e.annTok, tc.body, out); res.StatusCode != tc.status {
				t.Fatalf("%d %s", res.StatusCode, readBody(res))
			}
		})
	}
	if res := e.api("POST", base, "", map[string]any{"body": "x"}, nil); res.StatusCode != 401 {
		t.Fatalf("anonymous: %d", res.StatusCode)
	}
	if res := e.api("POST", "/api/v1/proposals/999/comments", e.annTok, map[string]any{"body": "x"}, nil); res.StatusCode != 404 {
		t.Fatalf("unknown proposal: %d", res.StatusCode)
	}
	var page struct {
		Items []struct {
			ID      string
			Stance  string
			Replies []struct{ ID, InReplyTo string }
		}
	}
	res := e.api("GET", base, "", nil, &page)
	if res.StatusCode != 200 || len(page.Items) != 1 || page.Items[0].Stance != "for" || len(page.Items[0].Replies) != 1 {
		t.Fatalf("%d %+v", res.StatusCode, page)
	}
	if body := readBody(e.api("GET", base+"?stance=against", "", nil, nil)); !strings.Contains(body, `"items":[]`) {
		t.Fatalf("stance filter: %s", body)
	}
	if body := readBody(e.api("GET", "/api/v1/comments/"+top.ID, "", nil, nil)); !strings.Contains(body, fmt.Sprintf(`"url":"%s/c/%s"`, e.URL, top.ID)) {
		t.Fatalf("comment: %s", body)
	}
}

// TestReportAccount: a member reports an account through the API by its
// user name; the moderators' queue shows it with "disable the account"
// and no "hide" (accounts are disabled, not hidden); disabling closes the
// account's reports, and the closed ones offer to re-enable it. Unknown
// names and spaces are refused; staff accounts are the admins' to disable.
func TestReportAccount(t *testing.T) {
	e := newDebateEnv(t)
	report := func(name string) int {
		res := e.api("POST", "/api/v1/reports", e.annTok, map[string]any{"object_type": "account", "object_id": name, "reason": "spam in every debate"}, nil)
		return res.StatusCode
	}
	for name, want := range map[string]int{"bob": http.StatusCreated, "nobody": http.StatusNotFound, "town": http.StatusNotFound} {
		if got := report(name); got != want {
			t.Errorf("report %q: %d, want %d", name, got, want)
		}
	}
	// On a profile: the link for other members, the form, back to the
	// profile (cleo reports bob; ann's report above is the API's).
	e.user("cleo", models.RoleMember)
	cleo := e.loggedIn("cleo")
	bob, err := e.Store.AccountByUsername(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	link := "/report?type=account&amp;id=" + strconv.FormatInt(bob.Actor.ID, 10)
	if body := readBody(e.get(cleo, "/@bob")); !strings.Contains(body, link) {
		t.Errorf("bob's profile offers cleo no report link")
	}
	for who, client := range map[string]*http.Client{"bob himself": e.loggedIn("bob"), "a visitor": e.client()} {
		if body := readBody(e.get(client, "/@bob")); strings.Contains(body, "type=account") {
			t.Errorf("%s is offered to report bob", who)
		}
	}
	form := "/report?type=account&id=" + strconv.FormatInt(bob.Actor.ID, 10)
	if res := e.get(cleo, form); res.StatusCode != http.StatusOK {
		t.Errorf("report form: %d", res.StatusCode)
	}
	res := e.postForm(cleo, "/report", url.Values{"type": {"account"}, "id": {strconv.FormatInt(bob.Actor.ID, 10)}, "reason": {"spam"}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/@bob") {
		t.Errorf("report sent: %d to %q, want back to the profile", res.StatusCode, loc)
	}

	modo := e.loggedIn("modo")
	body := readBody(e.get(modo, "/moderation"))
	row := body[strings.Index(body, `id="report-`):]
	row = row[:strings.Index(row, "</tr>")]
	// The moderator gives the reason (the report's is offered as a start).
	if !strings.Contains(row, "@bob") || !strings.Contains(row, `action="/moderation/accounts/bob/disable"`) || strings.Contains(row, "/moderation/hide") ||
		!strings.Contains(row, "/dismiss") || !strings.Contains(row, `name="reason" maxlength="1000" value="spam"`) {
		t.Errorf("queue row of the account report:\n%s", row)
	}
	clients := map[string]*http.Client{"ann": e.loggedIn("ann"), "modo": modo}
	for _, tc := range []struct {
		who, path string
		want      int
	}{
		{"ann", "/moderation/accounts/bob/disable", http.StatusForbidden},
		{"modo", "/moderation/accounts/boss/disable", http.StatusForbidden},
		{"modo", "/moderation/accounts/modo/disable", http.StatusUnprocessableEntity},
		{"modo", "/moderation/accounts/nobody/disable", http.StatusNotFound},
		{"modo", "/moderation/accounts/bob/enable", http.StatusConflict},
	} {
		if res := e.postForm(clients[tc.who], tc.path, nil); res.StatusCode != tc.want {
			t.Errorf("%s posts %s: %d, want %d", tc.who, tc.path, res.StatusCode, tc.want)
		}
	}
	res = e.postForm(modo, "/moderation/accounts/bob/disable", url.Values{"reason": {"spam seen by modo"}, "status": {"open"}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/moderation?status=open&flash=") {
		t.Fatalf("disable: %d to %q", res.StatusCode, loc)
	}
	if _, err := e.Store.Authenticate(context.Background(), "bob", testPassword); err == nil {
		t.Error("bob logs in, disabled")
	}
	if body := readBody(e.get(cleo, "/@bob")); strings.Contains(body, "type=account") {
		t.Error("a disabled account's profile offers to report it")
	}
	if body := readBody(e.get(modo, "/moderation")); strings.Contains(body, `id="report-`) {
		t.Error("bob's reports are still open")
	}
	body = readBody(e.get(modo, "/moderation?status=actioned"))
	if n := strings.Count(body, `action="/moderation/accounts/bob/enable"`); n != 2 {
		t.Errorf("actioned tab: %d re-enable forms, want one per report (2)", n)
	}
	if n := strings.Count(body, "spam seen by modo"); n != 2 {
		t.Errorf("actioned tab: the moderator's reason shown %d times, want once per report (2)", n)
	}
	if res := e.postForm(modo, "/moderation/accounts/bob/enable", url.Values{"status": {"actioned"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("re-enable: %d", res.StatusCode)
	}
	if _, err := e.Store.Authenticate(context.Background(), "bob", testPassword); err != nil {
		t.Errorf("bob cannot log in, re-enabled: %v", err)
	}
}
