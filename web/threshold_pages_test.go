package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestThresholdReachedWording: past its threshold a proposal says so
// ("3 supports — threshold of 2 reached") instead of "3 of the 2 supports
// needed… 150 %", and its bar stops at 100 %; a petition past its goal
// likewise ("3 signatures, goal of 2 reached").
func TestThresholdReachedWording(t *testing.T) {
	e := newEnv(t)
	civicEnv(t, e) // ville: threshold 2
	ctx := context.Background()
	admin, err := e.Store.AccountByUsername(ctx, "root_admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.CreateSpace(ctx, admin, models.SpaceInput{Name: "hameau", Kind: models.KindCity, Title: "Hameau", SupportThreshold: 1}); err != nil {
		t.Fatal(err)
	}
	e.user("chloe", models.RoleMember)
	alice := e.loggedIn("alice")
	one := createdID(t, e.postForm(alice, "/s/hameau/proposals/new", url.Values{"title": {"Un banc"}, "body": {"Près de l’école."}}))
	two := createdID(t, e.postForm(alice, "/s/ville/proposals/new", url.Values{"title": {"Deux bancs"}, "body": {"Place Carnot."}}))
	pe := createdID(t, e.postForm(alice, "/s/ville/petitions/new", url.Values{
		"title": {"Sauvons le kiosque"}, "body": {"Il doit rester."}, "addressee": {"maire"}, "goal": {"2"}}))
	for _, name := range []string{"bob", "chloe", "maire"} {
		c := e.loggedIn(name)
		for _, path := range []string{"/p/" + two + "/support", "/pe/" + pe + "/sign"} {
			if res := e.postForm(c, path, nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s %s: %d", name, path, res.StatusCode)
			}
		}
		if name == "bob" {
			if res := e.postForm(c, "/p/"+one+"/support", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("support: %d", res.StatusCode)
			}
		}
	}
	// The bar is full, not past its end.
	bar := func(id, threshold string) string {
		return `<progress id="threshold-` + id + `" max="` + threshold + `" value="` + threshold + `">`
	}
	checkCounts(t, e, readers(t, e), []countCase{
		{"en", "/p/" + one, []string{">1 support — threshold of 1 reached</label>", bar(one, "1") + "100%</progress>"}},
		{"fr", "/p/" + one, []string{">1 soutien — seuil de 1 atteint</label>", bar(one, "1") + "100\u00a0%</progress>"}},
		{"en", "/p/" + two, []string{">3 supports — threshold of 2 reached</label>", bar(two, "2") + "100%</progress>", "Supports: 3"}},
		{"fr", "/p/" + two, []string{">3 soutiens — seuil de 2 atteint</label>", bar(two, "2") + "100\u00a0%</progress>", "Soutiens : 3"}},
		{"en", "/pe/" + pe, []string{">3 signatures, goal of 2 reached</label>", `max="2" value="2">100%</progress>`}},
		{"fr", "/pe/" + pe, []string{">3 signatures, objectif de 2 atteint</label>", `max="2" value="2">100` + "\u00a0%</progress>"}},
		{"en", "/s/ville/petitions", []string{">3 signatures, goal of 2 reached</label>"}},
		{"en", "/embed/petitions/" + pe, []string{"<strong>3</strong> signatures, goal of 2 reached<"}},
		{"fr", "/embed/petitions/" + pe, []string{"<strong>3</strong> signatures, objectif de 2 atteint<"}},
	})
}

// TestThresholdBarOnlyOnTheWay: "1 support of the 2 needed for the council
// to examine it" is the way of an open proposal; a withdrawn one is past
// it and no longer shows it (it did, at 50 %), one that reached its
// threshold still says so.
func TestThresholdBarOnlyOnTheWay(t *testing.T) {
	e := newEnv(t)
	civicEnv(t, e) // ville: threshold 2
	alice, bob := e.loggedIn("alice"), e.loggedIn("bob")
	id := createdID(t, e.postForm(alice, "/s/ville/proposals/new", url.Values{"title": {"Un banc"}, "body": {"Place Carnot."}}))
	if res := e.postForm(bob, "/p/"+id+"/support", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("support: %d", res.StatusCode)
	}
	bar := `<progress id="threshold-` + id + `"`
	if body := readBody(e.get(bob, "/p/"+id)); !strings.Contains(body, bar) {
		t.Fatalf("an open proposal shows no way to its threshold")
	}
	if res := e.postForm(alice, "/p/"+id+"/withdraw", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", res.StatusCode)
	}
	if body := readBody(e.get(bob, "/p/"+id)); strings.Contains(body, bar) || strings.Contains(body, "needed for the council") {
		t.Errorf("a withdrawn proposal still shows how many supports it needs")
	}
}
