package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestDebateFormInConsultation: an organiser puts a debate in a
// consultation from the web, as proposals and petitions already could:
// the consultation page links the three forms (the debate one for
// moderators, who alone create debates), the debate form keeps the
// consultation through an error, and the debate is attached to it.
func TestDebateFormInConsultation(t *testing.T) {
	cw := newConsWeb(t, "sqlite")
	cw.day(12) // contribution
	modo, ana := cw.loggedIn("modo"), cw.loggedIn("ana")
	debateForm := "/s/town/debates/new?consultation=" + cw.id

	page := readBody(cw.get(modo, "/consultations/"+cw.id))
	for _, link := range []string{"/s/town/proposals/new?consultation=" + cw.id, "/s/town/petitions/new?consultation=" + cw.id, debateForm} {
		if !strings.Contains(page, `href="`+link+`"`) {
			t.Errorf("the moderator's consultation page has no link to %s", link)
		}
	}
	page = readBody(cw.get(ana, "/consultations/"+cw.id))
	if !strings.Contains(page, `href="/s/town/petitions/new?consultation=`+cw.id+`"`) || strings.Contains(page, "/debates/new") {
		t.Errorf("a citizen's consultation page should link the petition form and not the debate form")
	}
	if res := cw.get(modo, "/s/town/debates/new?consultation=x"); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("debate form for consultation x: status %d, want 422", res.StatusCode)
	}
	hidden := `name="consultation" value="` + cw.id + `"`
	if body := readBody(cw.get(modo, debateForm)); !strings.Contains(body, hidden) {
		t.Fatalf("the debate form forgets its consultation")
	}

	form := url.Values{"question": {"Which trees for the square?"}, "options": {"Limes"}, "multiple": {"false"},
		"open_now": {"true"}, "results_visibility": {"live"}, "consultation": {cw.id}}
	res := cw.postForm(modo, "/s/town/debates/new", form)
	body := readBody(res)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("one option: status %d, want 422", res.StatusCode)
	}
	if !strings.Contains(body, `name="open_now" value="true" checked`) {
		t.Errorf("the form lost its ticked \"open the vote now\"")
	}
	if !strings.Contains(body, hidden) {
		t.Errorf("the form lost its consultation on an error")
	}

	form.Set("options", "Limes\nPlanes")
	res = cw.postForm(modo, "/s/town/debates/new", form)
	id, ok := strings.CutPrefix(strings.TrimSuffix(res.Header.Get("Location"), "?flash=debate.created"), "/d/")
	if res.StatusCode != http.StatusSeeOther || !ok {
		t.Fatalf("create: status %d, location %q", res.StatusCode, res.Header.Get("Location"))
	}
	var d struct {
		Consultation string `json:"consultation"`
		Phase        string `json:"phase"`
	}
	if res := cw.api("GET", "/api/v1/debates/"+id, "", nil, &d); res.StatusCode != http.StatusOK || d.Consultation != cw.id || d.Phase != "open" {
		t.Errorf("the debate: status %d, %+v; want it open in consultation %s", res.StatusCode, d, cw.id)
	}
}

// TestDebatePageTimes: a debate closes at an hour, which its page gives
// (as a petition's page does), in the reader's way; a scheduled draft's
// page tells its moderators when the vote opens. Lists keep the day.
func TestDebatePageTimes(t *testing.T) {
	e := newDebateEnv(t)
	mod := e.loggedIn("modo")
	day := e.Now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 3)
	opens, closes := day.Add(8*time.Hour), day.Add(5*24*time.Hour+18*time.Hour)
	create := func(in map[string]any) string {
		var d struct{ ID string }
		in["options"] = []string{"Yes", "No"}
		if res := e.api("POST", "/api/v1/spaces/town/debates", e.modTok, in, &d); res.StatusCode != http.StatusCreated {
			t.Fatalf("create: %d", res.StatusCode)
		}
		return d.ID
	}
	open := create(map[string]any{"question": "A market on Sundays?", "opens_at": e.Now.Add(-time.Minute), "closes_at": closes})
	draft := create(map[string]any{"question": "A fair in June?", "opens_at": opens, "closes_at": closes})
	page := func(path, lang string) string {
		req, _ := http.NewRequest("GET", e.URL+path, nil)
		req.Header.Set("Accept-Language", lang)
		return readBody(e.do(mod, req))
	}
	for lang, layout := range map[string]string{"fr": "02/01/2006 15:04 UTC", "en": "2006-01-02 15:04 UTC"} {
		if body := page("/d/"+open, lang); !strings.Contains(body, ">"+closes.Format(layout)+"</time>") {
			t.Errorf("%s debate page: no closing time %q", lang, closes.Format(layout))
		}
		body := page("/d/"+draft, lang)
		if !strings.Contains(body, ">"+opens.Format(layout)+"</time>") || !strings.Contains(body, ">"+closes.Format(layout)+"</time>") {
			t.Errorf("%s page of a scheduled draft: no opening %q and closing %q", lang, opens.Format(layout), closes.Format(layout))
		}
	}
	if body := page("/s/town/debates", "fr"); !strings.Contains(body, ">"+closes.Format("02/01/2006")+"</time>") {
		t.Errorf("the debate list should keep the closing day")
	}
}

// TestDebateEmptyArgumentColumns: an argument column without arguments
// says so ("No arguments yet."), not "No comments yet.", which the
// comments below say.
func TestDebateEmptyArgumentColumns(t *testing.T) {
	e := newDebateEnv(t)
	id := e.openDebate(t, map[string]any{"question": "A market on Sundays?", "options": []string{"Yes", "No"}})
	body := readBody(e.get(e.client(), "/d/"+id))
	if n := strings.Count(body, "No arguments yet."); n != 2 {
		t.Errorf("%d argument columns say they have no argument, want 2", n)
	}
	if n := strings.Count(body, "No comments yet."); n != 1 {
		t.Errorf("%d lines say there is no comment, want 1 (the comments')", n)
	}
}
