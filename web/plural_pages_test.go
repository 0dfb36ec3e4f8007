package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// readers are anonymous clients reading in English and in French.
func readers(t *testing.T, e *testEnv) map[string]*http.Client {
	t.Helper()
	out := map[string]*http.Client{"en": e.client(), "fr": e.client()}
	for lang, c := range out {
		if res := e.get(c, "/lang/"+lang); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("switch to %s: %d", lang, res.StatusCode)
		}
	}
	return out
}

// countCase is what a page says in one language after some participation.
type countCase struct {
	lang, path string
	want       []string
}

func checkCounts(t *testing.T, e *testEnv, who map[string]*http.Client, cases []countCase) {
	t.Helper()
	for _, tc := range cases {
		body := readBody(e.get(who[tc.lang], tc.path))
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s %s lacks %q", tc.lang, tc.path, w)
			}
		}
	}
}

// TestDebateCountsPlural: one voter is "1 voter", "1 votant", not
// "1 voters" (and in French 0 is singular too).
func TestDebateCountsPlural(t *testing.T) {
	e := newDebateEnv(t)
	id := e.openDebate(t, map[string]any{"question": "Une fontaine sur la place ?", "options": []string{"Oui", "Non"}})
	who := readers(t, e.testEnv)
	d, list := "/d/"+id, "/s/town/debates"
	checkCounts(t, e.testEnv, who, []countCase{
		{"en", d, []string{"Bar chart of the results, 0 voters."}},
		{"fr", d, []string{"Diagramme en barres des résultats, 0 votant."}},
	})
	if res := e.postForm(e.loggedIn("ann"), d+"/vote", url.Values{"option": {"Oui"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("vote: %d", res.StatusCode)
	}
	checkCounts(t, e.testEnv, who, []countCase{
		{"en", d, []string{"Bar chart of the results, 1 voter."}},
		{"en", list, []string{"· 1 voter </p>"}},
		{"fr", d, []string{"Diagramme en barres des résultats, 1 votant."}},
		{"fr", list, []string{"· 1 votant </p>"}},
		{"en", "/embed/debates/" + id, []string{"Results, 1 voter<"}},
		{"fr", "/embed/debates/" + id, []string{"Résultats, 1 votant<"}},
	})
	if res := e.postForm(e.loggedIn("bob"), d+"/vote", url.Values{"option": {"Non"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("vote: %d", res.StatusCode)
	}
	checkCounts(t, e.testEnv, who, []countCase{
		{"en", d, []string{"Bar chart of the results, 2 voters."}},
		{"en", list, []string{"· 2 voters </p>"}},
		{"fr", d, []string{"Diagramme en barres des résultats, 2 votants."}},
		{"fr", list, []string{"· 2 votants </p>"}},
		{"en", "/embed/debates/" + id, []string{"Results, 2 voters<"}},
		{"fr", "/embed/debates/" + id, []string{"Résultats, 2 votants<"}},
	})
}

// TestPetitionCountsPlural: "1 signature of 10", "1 public signature,
// 0 anonymous", "1 signature publique, 0 anonyme"…
func TestPetitionCountsPlural(t *testing.T) {
	e := newEnv(t)
	civicEnv(t, e)
	id := createdID(t, e.postForm(e.loggedIn("alice"), "/s/ville/petitions/new", url.Values{
		"title": {"Sauvons le kiosque"}, "body": {"Il doit rester."}, "addressee": {"maire"}, "goal": {"10"}}))
	who := readers(t, e)
	pe := "/pe/" + id
	if res := e.postForm(e.loggedIn("bob"), pe+"/sign", url.Values{"public": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign: %d", res.StatusCode)
	}
	checkCounts(t, e, who, []countCase{
		{"en", pe, []string{"1 signature of 10 (10%)", "1 public signature, 0 anonymous<"}},
		{"fr", pe, []string{"1 signature sur 10 (10\u00a0%)", "1 signature publique, 0 anonyme<"}},
		{"en", "/embed/petitions/" + id, []string{"<strong>1</strong> signature of 10<"}},
		{"fr", "/embed/petitions/" + id, []string{"<strong>1</strong> signature sur 10<"}},
	})
	if res := e.postForm(e.loggedIn("alice"), pe+"/sign", url.Values{"public": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign: %d", res.StatusCode)
	}
	checkCounts(t, e, who, []countCase{
		{"en", pe, []string{"2 signatures of 10 (20%)", "2 public signatures, 0 anonymous<"}},
		{"fr", pe, []string{"2 signatures sur 10 (20\u00a0%)", "2 signatures publiques, 0 anonyme<"}},
		{"en", "/embed/petitions/" + id, []string{"<strong>2</strong> signatures of 10<"}},
		{"fr", "/embed/petitions/" + id, []string{"<strong>2</strong> signatures sur 10<"}},
	})
}

// TestProposalCountsPlural: the count of supports, not the threshold,
// picks the plural form ("0 soutien sur 1 requis").
func TestProposalCountsPlural(t *testing.T) {
	e := newEnv(t)
	civicEnv(t, e)
	admin, err := e.Store.AccountByUsername(context.Background(), "root_admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.CreateSpace(context.Background(), admin, models.SpaceInput{Name: "hameau", Kind: models.KindCity, Title: "Hameau", SupportThreshold: 1}); err != nil {
		t.Fatal(err)
	}
	alice := e.loggedIn("alice")
	one := "/p/" + createdID(t, e.postForm(alice, "/s/hameau/proposals/new", url.Values{"title": {"Un banc"}, "body": {"Près de l’école."}}))
	two := "/p/" + createdID(t, e.postForm(alice, "/s/ville/proposals/new", url.Values{"title": {"Deux bancs"}, "body": {"Place Carnot."}}))
	who := readers(t, e)
	if res := e.postForm(e.loggedIn("bob"), two+"/support", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("support: %d", res.StatusCode)
	}
	checkCounts(t, e, who, []countCase{
		{"en", one, []string{"0 supports of the 1 needed for the council to examine it"}},
		{"fr", one, []string{"0 soutien sur 1 requis pour un examen par le conseil"}},
		{"en", two, []string{"Supports: 1", "1 support of the 2 needed for the council to examine it"}},
		{"fr", two, []string{"Soutiens : 1", "1 soutien sur 2 requis pour un examen par le conseil"}},
	})
}
