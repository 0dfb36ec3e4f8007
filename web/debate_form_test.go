package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
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
