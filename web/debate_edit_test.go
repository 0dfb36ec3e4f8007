package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDebateEditForm: a moderator edits a draft whole from its page; once
// the vote is open the form no longer offers the options (they are shown
// as fixed, with why) and what a crafted form sends for them is ignored;
// after a vote the question is fixed too; a member may not edit, and a
// closed debate is not edited.
func TestDebateEditForm(t *testing.T) {
	e := newDebateEnv(t)
	mod, ann := e.loggedIn("modo"), e.loggedIn("ann")
	var d struct{ ID string }
	if res := e.api("POST", "/api/v1/spaces/town/debates", e.modTok, map[string]any{"question": "Which trees?", "options": []string{"Limes", "Planes"}}, &d); res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", res.StatusCode)
	}
	edit := "/d/" + d.ID + "/edit"
	type debate struct {
		Question, Description string
		Options               []string
	}
	current := func() debate {
		var got debate
		if res := e.api("GET", "/api/v1/debates/"+d.ID, e.modTok, nil, &got); res.StatusCode != http.StatusOK {
			t.Fatalf("GET debate: %d", res.StatusCode)
		}
		return got
	}
	if body := readBody(e.get(mod, "/d/"+d.ID)); !strings.Contains(body, `href="`+edit+`"`) {
		t.Errorf("the draft's page offers its moderator no edit link")
	}
	if res := e.get(ann, edit); res.StatusCode != http.StatusForbidden {
		t.Errorf("a member's GET of the edit form: %d, want 403", res.StatusCode)
	}
	form := url.Values{"question": {"Which trees for the square?"}, "description": {"By the **fountain**."}, "options": {"Limes\nPlanes\nOaks"},
		"multiple": {"true"}, "results_visibility": {"live"}}
	if res := e.postForm(mod, edit, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit of the draft: %d %s", res.StatusCode, readBody(res))
	}
	if got := current(); got.Question != "Which trees for the square?" || !slices.Equal(got.Options, []string{"Limes", "Planes", "Oaks"}) {
		t.Fatalf("after the draft's edit: %+v", got)
	}

	if res := e.api("POST", "/api/v1/debates/"+d.ID+"/open", e.modTok, nil, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	body := readBody(e.get(mod, edit))
	if strings.Contains(body, `name="options"`) || !strings.Contains(body, "Limes · Planes · Oaks") || !strings.Contains(body, `name="question"`) {
		t.Errorf("the open debate's form should keep the question, and show the options as fixed")
	}
	// A form shown before the vote opened still carries the options: a
	// change of them is refused by name, not dropped in silence.
	form.Set("description", "By the fountain, north side.")
	form.Set("options", "Limes\nPalms")
	if res := e.postForm(mod, edit, form); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(readBody(res), "This cannot change once the debate is open.") {
		t.Errorf("a stale form changing the options of the open debate: %d, want 422 naming the options", res.StatusCode)
	}
	form.Del("options")
	if res := e.postForm(mod, edit, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit of the open debate: %d %s", res.StatusCode, readBody(res))
	}
	if got := current(); got.Description != "By the fountain, north side." || !slices.Equal(got.Options, []string{"Limes", "Planes", "Oaks"}) {
		t.Fatalf("after the open debate's edit: %+v", got)
	}

	if res := e.api("POST", "/api/v1/debates/"+d.ID+"/votes", e.annTok, map[string][]string{"options": {"Oaks"}}, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("vote: %d", res.StatusCode)
	}
	if body := readBody(e.get(mod, edit)); strings.Contains(body, `name="question"`) {
		t.Errorf("after a vote the form still offers the question")
	}
	if res := e.api("POST", "/api/v1/debates/"+d.ID+"/close", e.modTok, nil, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("close: %d", res.StatusCode)
	}
	if res := e.get(mod, edit); res.StatusCode != http.StatusConflict {
		t.Errorf("edit form of a closed debate: %d, want 409", res.StatusCode)
	}
	if body := readBody(e.get(mod, "/d/"+d.ID)); strings.Contains(body, `href="`+edit+`"`) {
		t.Errorf("a closed debate's page still offers the edit link")
	}
}

// TestDebateEditKeepsSeconds: the form shows dates to the minute; saving
// it without touching the closing date keeps that date to the second.
func TestDebateEditKeepsSeconds(t *testing.T) {
	e := newDebateEnv(t)
	mod := e.loggedIn("modo")
	closes := e.Now.Add(72 * time.Hour).UTC().Truncate(time.Minute).Add(42 * time.Second)
	id := e.openDebate(t, map[string]any{"question": "A market on Sundays?", "options": []string{"Yes", "No"}, "closes_at": closes})
	form := url.Values{"question": {"A market on Sundays?"}, "description": {"Clarified."}, "closes_at": {closes.Format("2006-01-02T15:04")}}
	if res := e.postForm(mod, "/d/"+id+"/edit", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", res.StatusCode, readBody(res))
	}
	var d struct {
		ClosesAt time.Time `json:"closes_at"`
	}
	if res := e.api("GET", "/api/v1/debates/"+id, e.modTok, nil, &d); res.StatusCode != http.StatusOK || !d.ClosesAt.Equal(closes) {
		t.Errorf("closes_at %v after the edit, want %v", d.ClosesAt, closes)
	}
}

// TestDebateEditEveryError: an unreadable date does not hide the other
// fields' problems.
func TestDebateEditEveryError(t *testing.T) {
	e := newDebateEnv(t)
	id := e.openDebate(t, map[string]any{"question": "A market on Sundays?", "options": []string{"Yes", "No"}})
	res := e.postForm(e.loggedIn("modo"), "/d/"+id+"/edit", url.Values{"question": {"Why"}, "closes_at": {"soon"}})
	body := readBody(res)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "The question must have 5 to 200 characters.") ||
		!strings.Contains(body, "Enter a date and time such as 2026-12-31T18:00.") {
		t.Errorf("status %d; want 422 with both the question's and the date's errors", res.StatusCode)
	}
}
