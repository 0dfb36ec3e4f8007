package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestErrorPagesSpeakTheReadersLanguage: an error page shows the sentence
// of a models error in the reader's language, never its English API text
// ("closed: this debate is closed; …") on a French page; the API keeps
// that text as its "error".
func TestErrorPagesSpeakTheReadersLanguage(t *testing.T) {
	e := newEnv(t)
	civicEnv(t, e)
	modTok := e.token("sacha")
	clients := map[string]map[string]*http.Client{} // lang → user → client
	for _, lang := range []string{"en", "fr"} {
		clients[lang] = map[string]*http.Client{}
		for _, name := range []string{"alice", "bob", "sacha"} {
			c := e.loggedIn(name)
			e.get(c, "/lang/"+lang)
			clients[lang][name] = c
		}
	}
	alice := clients["en"]["alice"]

	open := createdDebate(t, e, modTok)
	closed := createdDebate(t, e, modTok)
	if res := e.api("POST", "/api/v1/debates/"+closed+"/close", modTok, nil, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("close: %d", res.StatusCode)
	}
	pe := createdID(t, e.postForm(alice, "/s/ville/petitions/new", url.Values{"title": {"Un kiosque"}, "body": {"Gardons-le."},
		"addressee": {"maire"}, "goal": {"10"}, "closes_on": {e.Now.AddDate(0, 0, 10).Format(time.DateOnly)}}))
	p := createdID(t, e.postForm(alice, "/s/ville/proposals/new", url.Values{"title": {"Un banc"}, "body": {"Près de la fontaine."}}))
	if res := e.postForm(clients["en"]["bob"], "/p/"+p+"/support", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("support: %d", res.StatusCode)
	}

	cases := []struct {
		name, who, path string
		form            url.Values
		get             bool
		status          int
		api             string // the API's "error", kept in English
		en, fr          string // the page's detail; "" for none
	}{
		{name: "vote on a closed debate", who: "alice", path: "/d/" + closed + "/vote", form: url.Values{"option": {"Non"}}, status: http.StatusConflict,
			api: "closed: this debate is closed; votes are no longer accepted",
			en:  "This debate is closed; votes are no longer accepted.", fr: "Ce débat est clos ; les votes ne sont plus acceptés."},
		{name: "ballot list of an open debate", who: "alice", path: "/d/" + open + "/ballots", get: true, status: http.StatusForbidden,
			en: "The ballot list is published when the debate closes.", fr: "La liste des bulletins est publiée à la clôture du débat."},
		{name: "opening an open debate", who: "sacha", path: "/d/" + open + "/open", form: url.Values{}, status: http.StatusConflict,
			api: "conflict: this debate is already open", en: "This debate is already open.", fr: "Ce débat est déjà ouvert."},
		{name: "petition answered by a signer", who: "bob", path: "/pe/" + pe + "/response", form: url.Values{"response": {"Non."}}, status: http.StatusForbidden,
			en: "Only the addressee responds to a petition.", fr: "Seul le ou la destinataire répond à une pétition."},
		{name: "edit of a supported proposal", who: "alice", path: "/p/" + p + "/edit", form: url.Values{"title": {"Deux bancs"}, "body": {"Près de la fontaine."}}, status: http.StatusConflict,
			en: "A proposal can be edited only while it is open and nobody else supports it.", fr: "Une proposition ne peut être modifiée que tant qu’elle est ouverte et que personne d’autre ne la soutient."},
		// A bare models.ErrForbidden is only its kind, which the title says.
		{name: "a member opens a debate", who: "bob", path: "/d/" + open + "/open", form: url.Values{}, status: http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for lang, want := range map[string]string{"en": tc.en, "fr": tc.fr} {
				c := clients[lang][tc.who]
				var res *http.Response
				if tc.get {
					res = e.get(c, tc.path)
				} else {
					res = e.postForm(c, tc.path, tc.form)
				}
				body := readBody(res)
				if res.StatusCode != tc.status {
					t.Fatalf("%s: status %d, want %d", lang, res.StatusCode, tc.status)
				}
				detail := errorDetailOf(body)
				if detail != want {
					t.Errorf("%s: detail %q, want %q", lang, detail, want)
				}
				for _, english := range []string{"already exists", "not allowed", "closed:", "conflict:", tc.api} {
					if lang == "fr" && english != "" && strings.Contains(body, english) {
						t.Errorf("fr: the page says %q", english)
					}
				}
			}
		})
	}

	t.Run("the API keeps its English error", func(t *testing.T) {
		var out map[string]any
		res := e.api("POST", "/api/v1/debates/"+closed+"/votes", e.token("alice"), map[string]any{"options": []string{"Non"}}, &out)
		if res.StatusCode != http.StatusConflict || out["error"] != cases[0].api {
			t.Fatalf("API: %d %v", res.StatusCode, out)
		}
	})
}

// createdDebate creates and opens a debate of "ville" through the API, as tok.
func createdDebate(t *testing.T, e *testEnv, tok string) string {
	t.Helper()
	var d struct{ ID string }
	if res := e.api("POST", "/api/v1/spaces/ville/debates", tok, map[string]any{"question": "Un kiosque ?", "options": []string{"Oui", "Non"}}, &d); res.StatusCode != http.StatusCreated {
		t.Fatalf("create debate: %d", res.StatusCode)
	}
	if res := e.api("POST", "/api/v1/debates/"+d.ID+"/open", tok, nil, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	return d.ID
}

// errorDetailOf is the text of an error page's detail paragraph, "" when
// it has none.
func errorDetailOf(body string) string {
	_, rest, ok := strings.Cut(body, `<p class="detail">`)
	if !ok {
		return ""
	}
	detail, _, _ := strings.Cut(rest, "</p>")
	return html.UnescapeString(detail)
}
