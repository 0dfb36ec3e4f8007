package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// newsEnv is civicEnv with a news post of sacha (a moderator) in ville;
// it returns its id.
func newsEnv(t *testing.T, e *testEnv) string {
	t.Helper()
	civicEnv(t, e)
	sacha, err := e.Store.AccountByUsername(context.Background(), "sacha")
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.Store.PublishNews(context.Background(), sacha, "ville", models.NewsInput{Title: "Atelier mardi", Body: "À *18 h*."})
	if err != nil {
		t.Fatal(err)
	}
	return itoa(n.ID)
}

// newsUpdates counts the pending news.updated events, from which
// federation sends the Article's Update.
func newsUpdates(t *testing.T, e *testEnv) int {
	t.Helper()
	evs, err := e.Store.PendingEvents(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Kind == models.EventNewsUpdated {
			n++
		}
	}
	return n
}

// TestNewsEditForm: moderators edit a news post from its page's "Edit"
// button; its form is filled with the post, refuses an empty title, and
// saves; members are neither offered nor allowed it.
func TestNewsEditForm(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		id := newsEnv(t, e)
		sacha, alice := e.loggedIn("sacha"), e.loggedIn("alice")
		link := `href="/news/` + id + `/edit"`
		if body := readBody(e.get(sacha, "/news/"+id)); !strings.Contains(body, link) {
			t.Error("the moderator is not offered the edit")
		}
		if body := readBody(e.get(alice, "/news/"+id)); strings.Contains(body, link) {
			t.Error("a member is offered the edit")
		}
		if res := e.get(alice, "/news/"+id+"/edit"); res.StatusCode != http.StatusForbidden {
			t.Errorf("a member's edit form: %d, want 403", res.StatusCode)
		}
		if res := e.postForm(alice, "/news/"+id+"/edit", url.Values{"title": {"Pris"}, "body": {"x"}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("a member's edit: %d, want 403", res.StatusCode)
		}
		res := e.get(sacha, "/news/"+id+"/edit")
		if body := readBody(res); res.StatusCode != http.StatusOK || !strings.Contains(body, `action="/news/`+id+`/edit"`) ||
			!strings.Contains(body, `value="Atelier mardi"`) || !strings.Contains(body, "À *18 h*.") {
			t.Fatalf("edit form: %d %s", res.StatusCode, body)
		}
		res = e.postForm(sacha, "/news/"+id+"/edit", url.Values{"title": {""}, "body": {"À 19 h."}})
		if body := readBody(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `aria-invalid="true"`) ||
			!strings.Contains(body, "À 19 h.") {
			t.Fatalf("empty title: %d %s", res.StatusCode, body)
		}
		res = e.postForm(sacha, "/news/"+id+"/edit", url.Values{"title": {"Atelier mercredi"}, "body": {"À **19 h**."}})
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "flash=news.saved") {
			t.Fatalf("save: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if page := readBody(e.get(e.client(), "/news/"+id)); !strings.Contains(page, "Atelier mercredi") || !strings.Contains(page, "<strong>19 h</strong>") {
			t.Errorf("the page does not show the edit: %s", page)
		}
		if k := newsUpdates(t, e); k != 1 {
			t.Errorf("%d news.updated events, want 1", k)
		}
	})
}

// TestNewsEditAPI: PATCH /api/v1/news/{id}, for moderators, replaces the
// fields sent and keeps the others.
func TestNewsEditAPI(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		id := newsEnv(t, e)
		p := "/api/v1/news/" + id
		for _, tc := range []struct {
			name, token string
			body        map[string]any
			status      int
			contains    string
		}{
			{"no token", "", map[string]any{"body": "x"}, 401, "authentication"},
			{"member", e.token("alice"), map[string]any{"body": "x"}, 403, ""},
			{"empty title", e.token("sacha"), map[string]any{"title": " "}, 422, `"title"`},
			{"consultation", e.token("sacha"), map[string]any{"consultation": "1"}, 422, "consultation"},
			{"body only", e.token("sacha"), map[string]any{"body": "À **19 h**."}, 200, `"title":"Atelier mardi"`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := e.api("PATCH", p, tc.token, tc.body, nil)
				if body := readBody(res); res.StatusCode != tc.status || !strings.Contains(body, tc.contains) {
					t.Fatalf("%d %s", res.StatusCode, body)
				}
			})
		}
		var got struct {
			Title    string
			BodyHTML string `json:"body_html"`
		}
		if res := e.api("GET", p, "", nil, &got); res.StatusCode != 200 || got.Title != "Atelier mardi" || !strings.Contains(got.BodyHTML, "<strong>19 h</strong>") {
			t.Fatalf("GET %s: %d %+v", p, res.StatusCode, got)
		}
		if k := newsUpdates(t, e); k != 1 {
			t.Errorf("%d news.updated events, want 1", k)
		}
	})
}
