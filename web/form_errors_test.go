package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var summaryLink = regexp.MustCompile(`<li><a href="#([^"]+)">`)

// errorSummary returns the ids the error summary of a form page links
// to, in its order, and fails when one is not an element of the page.
func errorSummary(t *testing.T, body string) []string {
	t.Helper()
	_, summary, ok := strings.Cut(body, `<div class="error-summary"`)
	if !ok {
		t.Fatal("the page has no error summary")
	}
	summary, _, _ = strings.Cut(summary, "</div>")
	var ids []string
	for _, m := range summaryLink.FindAllStringSubmatch(summary, -1) {
		if !strings.Contains(body, ` id="`+m[1]+`"`) {
			t.Errorf("the summary links to #%s, which is not on the page", m[1])
		}
		ids = append(ids, m[1])
	}
	return ids
}

// TestSignupTakenNameMarksUsername: a name already taken is the user
// name field's error, linked from the summary and marked on the field.
func TestSignupTakenNameMarksUsername(t *testing.T) {
	e := newEnv(t)
	e.user("alex", "member")
	c := e.client()
	e.get(c, "/lang/fr")
	res := e.postForm(c, "/signup", url.Values{"username": {"alex"}, "password": {testPassword}, "password_confirm": {testPassword}})
	body := readBody(res)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.StatusCode)
	}
	if ids := errorSummary(t, body); !slices.Equal(ids, []string{"f-username"}) {
		t.Errorf("summary links to %v", ids)
	}
	if !regexp.MustCompile(`<input id="f-username"[^>]*aria-invalid="true"`).MatchString(body) {
		t.Error("the user name field is not marked invalid")
	}
	if !strings.Contains(body, `<p class="error" id="f-username-err">ce nom est déjà pris</p>`) {
		t.Error("the user name field does not say why")
	}
}

// TestErrorSummaryFollowsTheForm: a form's error summary lists its errors
// in the order of its fields, each as "label : message" in French, and
// an error on a hidden input (a tampered form) as its message alone,
// unlinked.
func TestErrorSummaryFollowsTheForm(t *testing.T) {
	e := newEnv(t)
	civicEnv(t, e)
	alice := e.loggedIn("alice")
	e.get(alice, "/lang/fr")
	cases := []struct {
		name, path string
		form       url.Values
		ids        []string
		says       []string // lines of the summary, in order
	}{
		{"petition", "/s/ville/petitions/new", url.Values{"title": {""}, "body": {""}, "addressee": {""}, "goal": {"0"}}, []string{"f-title", "f-body", "f-addressee", "f-goal"},
			[]string{"Titre\u00a0: ", "Texte\u00a0: ", "Destinataire\u00a0: ", "Objectif de signatures\u00a0: "}},
		{"tampered report", "/report", url.Values{"type": {"bogus"}, "id": {"1"}, "reason": {""}}, []string{"f-reason"},
			[]string{"Motif\u00a0: ", "<li>Seuls les propositions, débats, pétitions, commentaires et comptes peuvent être signalés.</li>"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.postForm(alice, tc.path, tc.form)
			body := readBody(res)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", res.StatusCode)
			}
			if ids := errorSummary(t, body); !slices.Equal(ids, tc.ids) {
				t.Errorf("summary links to %v, want %v", ids, tc.ids)
			}
			_, summary, _ := strings.Cut(body, `<div class="error-summary"`)
			summary, _, _ = strings.Cut(summary, "</div>")
			at := 0
			for _, s := range tc.says {
				i := strings.Index(summary[at:], s)
				if i < 0 {
					t.Fatalf("the summary lacks %q after %q", s, summary[:at])
				}
				at += i + len(s)
			}
			if strings.Contains(summary, "object_type") || strings.Contains(summary, "Objet commenté") {
				t.Errorf("the summary names a field the form does not show: %s", summary)
			}
		})
	}
}
