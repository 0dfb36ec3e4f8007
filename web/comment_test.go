package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestCommentPages posts, answers, edits and deletes comments through the
// forms and reads them back on the permalinks.
func TestCommentPages(t *testing.T) {
	e := newDebateEnv(t)
	id := e.openDebate(t, map[string]any{"question": "Shall we talk?", "options": []string{"Yes", "No"}})
	ann, bob := e.loggedIn("ann"), e.loggedIn("bob")
	post := func(c *http.Client, form url.Values) string {
		t.Helper()
		form.Set("object_type", "debate")
		form.Set("object_id", id)
		form.Set("back", "/d/"+id)
		res := e.postForm(c, "/comments", form)
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "#c-") {
			t.Fatalf("post: %d %s", res.StatusCode, readBody(res))
		}
		return loc[strings.Index(loc, "#c-")+3:]
	}
	top := post(ann, url.Values{"body": {"First *point* <script>alert(1)</script>"}})
	reply := post(bob, url.Values{"body": {"An answer"}, "in_reply_to": {top}})

	cases := []struct {
		name     string
		client   *http.Client
		path     string
		status   int
		contains []string
	}{
		{"permalink", bob, "/c/" + top, 200, []string{"First <em>point</em>", `id="c-` + reply + `"`, `id="reply"`}},
		{"reply permalink links its parent", bob, "/c/" + reply, 200, []string{`href="/c/` + top + `"`}},
		{"edit form for the author", ann, "/c/" + top + "/edit", 200, []string{"First *point* &lt;script&gt;"}},
		{"no edit form for others", bob, "/c/" + top + "/edit", 403, nil},
		{"unknown comment", bob, "/c/999", 404, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.get(tc.client, tc.path)
			body := readBody(res)
			if res.StatusCode != tc.status {
				t.Fatalf("%d", res.StatusCode)
			}
			if strings.Contains(body, "<script>alert") {
				t.Fatal("script injected")
			}
			for _, want := range tc.contains {
				if !strings.Contains(body, want) {
					t.Errorf("lacks %s", want)
				}
			}
		})
	}
	t.Run("notification of the reply", func(t *testing.T) {
		list, err := e.Store.Notifications(context.Background(), e.ann, 0, 10)
		if err != nil || len(list) != 1 || list[0].Kind != models.NotifyCommentReply {
			t.Fatalf("%+v %v", list, err)
		}
	})
	t.Run("edit within the window, then too late", func(t *testing.T) {
		if res := e.postForm(ann, "/c/"+top+"/edit", url.Values{"body": {"First point, **edited**"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%d", res.StatusCode)
		}
		if body := readBody(e.get(bob, "/c/"+top)); !strings.Contains(body, "<strong>edited</strong>") || !strings.Contains(body, "edited <time") {
			t.Fatal("edit not shown")
		}
		e.Now = e.Now.Add(16 * time.Minute)
		if res := e.postForm(ann, "/c/"+top+"/edit", url.Values{"body": {"again"}}); res.StatusCode != http.StatusConflict {
			t.Fatalf("late edit: %d", res.StatusCode)
		}
	})
	t.Run("tombstone keeps the reply", func(t *testing.T) {
		if res := e.postForm(bob, "/c/"+top+"/delete", nil); res.StatusCode != 403 {
			t.Fatalf("other deletes: %d", res.StatusCode)
		}
		if res := e.postForm(ann, "/c/"+top+"/delete", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete: %d", res.StatusCode)
		}
		body := readBody(e.get(bob, "/d/"+id))
		if !strings.Contains(body, "[deleted]") || strings.Contains(body, "First point") || !strings.Contains(body, "An answer") {
			t.Fatal("tombstone")
		}
	})
	t.Run("validation re-renders the form", func(t *testing.T) {
		res := e.postForm(bob, "/comments", url.Values{"object_type": {"debate"}, "object_id": {id}, "body": {strings.Repeat("x", 5001)}, "back": {"/d/" + id}})
		if body := readBody(res); res.StatusCode != 422 || !strings.Contains(body, "A comment must have 1 to 5000 characters.") {
			t.Fatalf("%d", res.StatusCode)
		}
	})
	t.Run("report a comment", func(t *testing.T) {
		if res := e.get(ann, "/report?type=comment&id="+reply); res.StatusCode != 200 {
			t.Fatalf("form: %d", res.StatusCode)
		}
		res := e.postForm(ann, "/report", url.Values{"type": {"comment"}, "id": {reply}, "reason": {"rude"}})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/c/"+reply) {
			t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if res := e.postForm(ann, "/report", url.Values{"type": {"comment"}, "id": {reply}}); res.StatusCode != 422 {
			t.Fatalf("no reason: %d", res.StatusCode)
		}
	})
}
