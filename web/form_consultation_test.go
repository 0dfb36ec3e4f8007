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

// TestFormsOpenedFromAConsultationSaySo: the proposal, petition and
// debate forms opened from a consultation (?consultation=, ?theme=) say
// which consultation (and theme) the contribution will join, with a link
// to it, and still do once shown again with errors, the hidden
// consultation and theme kept; the contribution then joins it.
func TestFormsOpenedFromAConsultationSaySo(t *testing.T) {
	e := newEnv(t)
	civicEnv(t, e)
	ctx := context.Background()
	sacha, err := e.Store.AccountByUsername(ctx, "sacha")
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.Store.CreateConsultation(ctx, sacha, "ville", models.ConsultationInput{Title: "Le parc du canal",
		OpensAt: e.Now.Add(-2 * time.Hour), ContributionAt: e.Now.Add(-time.Hour), SynthesisAt: e.Now.Add(48 * time.Hour), ClosesAt: e.Now.Add(72 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	th, err := e.Store.AddTheme(ctx, sacha, c.ID, models.ThemeInput{Name: "Les arbres"})
	if err != nil {
		t.Fatal(err)
	}
	cid, tid := strconv.FormatInt(c.ID, 10), strconv.FormatInt(th.ID, 10)
	alice, mod := e.loggedIn("alice"), e.loggedIn("sacha")
	e.get(alice, "/lang/fr")
	link := `<a href="/consultations/` + cid + `">Le parc du canal</a>`
	cases := []struct {
		name, path string
		as         *http.Client
		query      string
		says       []string
		bad, good  url.Values
		theme      bool
	}{
		{"proposal", "/s/ville/proposals/new", alice, "?consultation=" + cid + "&theme=" + tid,
			[]string{"Cette proposition fera partie de la consultation", link, "Les arbres"},
			url.Values{"title": {""}, "body": {""}}, url.Values{"title": {"Planter des tilleuls"}, "body": {"Le long du canal."}}, true},
		{"petition", "/s/ville/petitions/new", alice, "?consultation=" + cid + "&theme=" + tid,
			[]string{"Cette pétition fera partie de la consultation", link, "Les arbres"},
			url.Values{"title": {""}, "body": {""}, "addressee": {"maire"}, "goal": {"10"}},
			url.Values{"title": {"Des bancs au parc"}, "body": {"Pour s’asseoir."}, "addressee": {"maire"}, "goal": {"10"}}, true},
		{"debate", "/s/ville/debates/new", mod, "?consultation=" + cid,
			[]string{"This debate will be part of the consultation", link},
			url.Values{"question": {""}, "options": {"Oui\nNon"}}, url.Values{"question": {"Un kiosque au parc ?"}, "options": {"Oui\nNon"}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := func(what, body string) {
				t.Helper()
				for _, want := range tc.says {
					if !strings.Contains(body, want) {
						t.Errorf("%s lacks %q", what, want)
					}
				}
				if !strings.Contains(body, `<input type="hidden" name="consultation" value="`+cid+`">`) {
					t.Errorf("%s lost the consultation", what)
				}
				if tc.theme && !strings.Contains(body, `<input type="hidden" name="theme" value="`+tid+`">`) {
					t.Errorf("%s lost the theme", what)
				}
			}
			check("the form", readBody(e.get(tc.as, tc.path+tc.query)))
			bad := url.Values{"consultation": {cid}}
			if tc.theme {
				bad.Set("theme", tid)
			}
			good := url.Values{}
			for k, v := range bad {
				good[k] = v
			}
			for k, v := range tc.bad {
				bad[k] = v
			}
			for k, v := range tc.good {
				good[k] = v
			}
			res := e.postForm(tc.as, tc.path, bad)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("with errors: status %d", res.StatusCode)
			}
			check("the form shown again", readBody(res))
			res = e.postForm(tc.as, tc.path, good)
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sent: status %d", res.StatusCode)
			}
			if page := readBody(e.get(tc.as, res.Header.Get("Location"))); !strings.Contains(page, `class="meta consultation-context"`) {
				t.Errorf("%s does not say it is part of the consultation", res.Header.Get("Location"))
			}
		})
	}
}
