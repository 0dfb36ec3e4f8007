package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
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
		{"edit form for the author", ann, "/c/" + top + "/edit", 200, []string{"First *point* &lt;script&gt;",
			"<h1>Edit your comment</h1>", `href="/c/` + top + `">Cancel</a>`}}, // named, with a way back
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
	t.Run("the edit form shown again keeps its way back", func(t *testing.T) {
		res := e.postForm(ann, "/c/"+top+"/edit", url.Values{"body": {""}})
		if body := readBody(res); res.StatusCode != 422 || !strings.Contains(body, `href="/c/`+top+`">Cancel</a>`) {
			t.Fatalf("%d, or no Cancel link", res.StatusCode)
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
		// The form shown again keeps its link to what is reported.
		link := `href="` + e.URL + "/c/" + reply + `"`
		if res := e.get(ann, "/report?type=comment&id="+reply); !strings.Contains(readBody(res), link) {
			t.Fatalf("the report form has no %s", link)
		}
		if res := e.postForm(ann, "/report", url.Values{"type": {"comment"}, "id": {reply}}); res.StatusCode != 422 {
			t.Fatalf("no reason: %d", res.StatusCode)
		} else if !strings.Contains(readBody(res), link) {
			t.Errorf("the report form shown again with its error lost its link to the reported comment (%s)", link)
		}
	})
}

// commentRead is a read through a comment door: the API with token, or a
// page with client, and the status wanted.
type commentRead struct {
	name   string
	token  string
	client *http.Client
	path   string
	status int
}

// TestCommentsFollowTheirObject: every door to comments answers as the
// object's own page does. A draft debate (404 but to moderators) takes no
// member's comment and lists none; a reply below a hidden comment answers
// 410 like the hidden comment.
func TestCommentsFollowTheirObject(t *testing.T) {
	e := newDebateEnv(t)
	var d struct{ ID string }
	if res := e.api("POST", "/api/v1/spaces/town/debates", e.modTok, map[string]any{"question": "Shall we talk?", "options": []string{"Yes", "No"}}, &d); res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", res.StatusCode)
	}
	comments := "/api/v1/debates/" + d.ID + "/comments"
	var note struct{ ID string }
	if res := e.api("POST", comments, e.modTok, map[string]any{"body": "Draft note"}, &note); res.StatusCode != http.StatusCreated {
		t.Fatalf("moderator comments on the draft: %d", res.StatusCode)
	}
	bobTok := e.token("bob")
	if res := e.api("POST", comments, e.annTok, map[string]any{"body": "Before it opens"}, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("member comments on a draft: %d, want 404", res.StatusCode)
	}
	ann, mod := e.loggedIn("ann"), e.loggedIn("modo")
	form := url.Values{"object_type": {"debate"}, "object_id": {d.ID}, "body": {"Form"}, "back": {"/d/" + d.ID}}
	if res := e.postForm(ann, "/comments", form); res.StatusCode != http.StatusNotFound {
		t.Errorf("member comments on a draft through the form: %d, want 404", res.StatusCode)
	}
	reads := []commentRead{
		{"draft's comments, anonymous", "", nil, comments, 404},
		{"draft's comments, member", e.annTok, nil, comments, 404},
		{"draft's comments, moderator", e.modTok, nil, comments, 200},
		{"comment on a draft, anonymous", "", nil, "/api/v1/comments/" + note.ID, 404},
		{"comment on a draft, moderator", e.modTok, nil, "/api/v1/comments/" + note.ID, 200},
		{"permalink on a draft, member", "", ann, "/c/" + note.ID, 404},
		{"permalink on a draft, moderator", "", mod, "/c/" + note.ID, 200},
	}
	check := func(t *testing.T, cases []commentRead) {
		t.Helper()
		for _, tc := range cases {
			var res *http.Response
			if tc.client != nil {
				res = e.get(tc.client, tc.path)
			} else {
				res = e.api("GET", tc.path, tc.token, nil, nil)
			}
			if res.StatusCode != tc.status {
				t.Errorf("%s: %d, want %d", tc.name, res.StatusCode, tc.status)
			}
		}
	}
	check(t, reads)

	if res := e.api("POST", "/api/v1/debates/"+d.ID+"/open", e.modTok, nil, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	var top, reply struct{ ID string }
	if res := e.api("POST", comments, e.annTok, map[string]any{"body": "Now it is open"}, &top); res.StatusCode != http.StatusCreated {
		t.Fatalf("member comments on the open debate: %d", res.StatusCode)
	}
	if res := e.api("POST", comments, bobTok, map[string]any{"body": "Answer", "in_reply_to": top.ID}, &reply); res.StatusCode != http.StatusCreated {
		t.Fatalf("reply: %d", res.StatusCode)
	}
	id, _ := strconv.ParseInt(top.ID, 10, 64)
	if err := e.Store.HideObject(context.Background(), e.mod, models.ObjectTypeComment, id, "rude"); err != nil {
		t.Fatal(err)
	}
	check(t, []commentRead{
		{"open debate's comments, anonymous", "", nil, comments, 200},
		{"comment on the opened debate, anonymous", "", nil, "/api/v1/comments/" + note.ID, 200},
		{"reply below a hidden comment, API", "", nil, "/api/v1/comments/" + reply.ID, 410},
		{"reply below a hidden comment, page", "", ann, "/c/" + reply.ID, 410},
		{"reply below a hidden comment, moderator", "", mod, "/c/" + reply.ID, 200},
	})
}
