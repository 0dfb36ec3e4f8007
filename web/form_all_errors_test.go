package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestFormsShowEveryErrorAtOnce: a form with a field the form itself
// cannot read (a date, a number, two passwords that differ, an unknown
// invitation) and fields the rules refuse shows all of their errors in
// one answer, each in the summary and beside its field, not the form's
// first and the rules' at the next try.
func TestFormsShowEveryErrorAtOnce(t *testing.T) {
	e := newEnv(t)
	e.Store.SetDataDir(t.TempDir()) // the document form's upload
	civicEnv(t, e)
	ctx := context.Background()
	sacha, err := e.Store.AccountByUsername(ctx, "sacha")
	if err != nil {
		t.Fatal(err)
	}
	cons, err := e.Store.CreateConsultation(ctx, sacha, "ville", models.ConsultationInput{Title: "Le parc",
		OpensAt: e.Now.Add(-time.Hour), ContributionAt: e.Now.Add(-time.Hour), SynthesisAt: e.Now.Add(time.Hour), ClosesAt: e.Now.Add(2 * time.Hour), MapEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	c := "/consultations/" + strconv.FormatInt(cons.ID, 10)
	mod, alice := e.loggedIn("sacha"), e.loggedIn("alice")
	dates := url.Values{"title": {"x"}, "opens_at": {"demain"}, "contribution_at": {"2030-01-01T09:00"},
		"synthesis_at": {"2030-02-01T09:00"}, "closes_at": {"2030-03-01T09:00"}}
	cases := []struct {
		name, path string
		as         *http.Client
		form       url.Values
		ids        []string // the summary's links, in order
	}{
		{"signup, passwords differ", "/signup", e.client(),
			url.Values{"username": {"X Y"}, "email": {"pas-un-courriel"}, "password": {"court"}, "password_confirm": {"autre"}},
			[]string{"f-username", "f-email", "f-password", "f-password_confirm"}},
		{"signup, name taken and passwords differ", "/signup", e.client(),
			url.Values{"username": {"alice"}, "password": {testPassword}, "password_confirm": {testPassword + "!"}},
			[]string{"f-username", "f-password_confirm"}},
		{"workshop", c + "/workshop", mod,
			url.Values{"title": {""}, "body": {""}, "place": {""}, "participants": {"0"}, "held_at": {"hier"}, "lat": {"nord"}, "lon": {"2"}},
			[]string{"f-title", "f-body", "f-held_at", "f-place", "f-participants", "f-lat"}},
		{"password change", "/account/password", alice, url.Values{"current_password": {"faux"}, "new_password": {"court"}},
			[]string{"f-current_password", "f-new_password"}},
		{"document file", c + "/documents", mod, nil, []string{"f-title", "f-file"}},
		{"space, name taken", "/new-space", e.loggedIn("root_admin"), url.Values{"name": {"ville"}, "kind": {"city"}, "title": {strings.Repeat("x", 1000)}},
			[]string{"f-name", "f-title"}},
		{"consultation create", "/s/ville/consultations/new", mod, dates, []string{"f-title", "f-opens_at"}},
		{"consultation edit", c + "/edit", mod, dates, []string{"f-title", "f-opens_at"}},
		{"debate", "/s/ville/debates/new", mod,
			url.Values{"question": {""}, "options": {"Oui"}, "closes_at": {"vendredi"}}, []string{"f-question", "f-options", "f-closes_at"}},
		{"petition", "/s/ville/petitions/new", alice,
			url.Values{"title": {""}, "body": {""}, "addressee": {"maire"}, "goal": {"1000"}, "closes_on": {"bientôt"}},
			[]string{"f-title", "f-body", "f-closes_at"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var res *http.Response
			if tc.form != nil {
				res = e.postForm(tc.as, tc.path, tc.form)
			} else { // a file that is not a document, and no title
				ct, body := multipartForm(t, map[string]string{"kind": models.DocFile, "title": ""}, "file", "notes.txt", []byte("plain text"))
				req, _ := http.NewRequest(http.MethodPost, e.URL+tc.path, body)
				req.Header.Set("Content-Type", ct)
				req.Header.Set("Origin", e.URL)
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				res = e.do(tc.as, req)
			}
			body := readBody(res)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d: %s", res.StatusCode, body)
			}
			ids := errorSummary(t, body)
			if !slices.Equal(ids, tc.ids) {
				t.Errorf("the summary links to %v, want %v", ids, tc.ids)
			}
			for _, id := range tc.ids {
				if !strings.Contains(body, `id="`+id+`-err"`) {
					t.Errorf("no error beside #%s", id)
				}
			}
		})
	}
}

// TestSignupByInvitationShowsEveryError: by invitation, an unusable code
// is shown with the other fields' errors, and refusing the form uses no
// code.
func TestSignupByInvitationShowsEveryError(t *testing.T) {
	e := newEnv(t)
	admin := e.user("root_admin", models.RoleAdmin)
	ctx := context.Background()
	if err := e.Store.SetSetting(ctx, admin, models.SettingRegistration, models.RegistrationInvite); err != nil {
		t.Fatal(err)
	}
	res := e.postForm(e.client(), "/signup", url.Values{"username": {"X"}, "password": {"court"}, "password_confirm": {"court"}, "invite": {"inconnu"}})
	body := readBody(res)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.StatusCode)
	}
	if ids := errorSummary(t, body); !slices.Equal(ids, []string{"f-username", "f-password", "f-invite"}) {
		t.Errorf("the summary links to %v", ids)
	}
	code, err := e.Store.CreateInvite(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"username": {"nouvelle"}, "password": {testPassword}, "password_confirm": {"autre"}, "invite": {code}}
	if res := e.postForm(e.client(), "/signup", form); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("passwords that differ: status %d", res.StatusCode)
	}
	form.Set("password_confirm", testPassword)
	if res := e.postForm(e.client(), "/signup", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the code was used by a refused form: status %d", res.StatusCode)
	}
}
