package web_test

import (
	"net/http"
	"net/url"
	"testing"
)

// TestDebateNumbersByLanguage: percentages are written "50.0%" in
// English and "50,0 %" (no-break space) in French, in the results table,
// the chart's labels and description, and the embed.
func TestDebateNumbersByLanguage(t *testing.T) {
	e := newDebateEnv(t)
	id := e.openDebate(t, map[string]any{"question": "Une fontaine sur la place ?", "options": []string{"Oui", "Non"}})
	for _, vote := range []struct{ who, option string }{{"ann", "Oui"}, {"bob", "Non"}} {
		if res := e.postForm(e.loggedIn(vote.who), "/d/"+id+"/vote", url.Values{"option": {vote.option}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("vote: %d", res.StatusCode)
		}
	}
	checkCounts(t, e.testEnv, readers(t, e.testEnv), []countCase{
		{"en", "/d/" + id, []string{"<td>1</td><td>50.0%</td>", ">1 (50.0%)</span>", "Oui: 1 (50.0%). Non: 1 (50.0%)."}},
		{"fr", "/d/" + id, []string{"<td>1</td><td>50,0\u00a0%</td>", ">1 (50,0\u00a0%)</span>", "Oui : 1 (50,0\u00a0%). Non : 1 (50,0\u00a0%)."}},
		{"en", "/embed/debates/" + id, []string{">50.0%</meter> 50.0%</td>"}},
		{"fr", "/embed/debates/" + id, []string{">50,0\u00a0%</meter> 50,0\u00a0%</td>"}},
	})
}

// TestPetitionNumbersByLanguage: the progress and the milestone
// notification write the percentage the reader's way.
func TestPetitionNumbersByLanguage(t *testing.T) {
	e := newEnv(t)
	civicEnv(t, e)
	alice := e.loggedIn("alice")
	id := createdID(t, e.postForm(alice, "/s/ville/petitions/new", url.Values{
		"title": {"Sauvons le kiosque"}, "body": {"Il doit rester."}, "addressee": {"maire"}, "goal": {"2"}}))
	if res := e.postForm(e.loggedIn("bob"), "/pe/"+id+"/sign", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign: %d", res.StatusCode)
	}
	who := readers(t, e)
	who["alice"] = alice
	checkCounts(t, e, who, []countCase{
		{"en", "/pe/" + id, []string{">50%</progress>"}},
		{"fr", "/pe/" + id, []string{">50\u00a0%</progress>"}},
		{"en", "/embed/petitions/" + id, []string{">50%</progress>"}},
		{"fr", "/embed/petitions/" + id, []string{">50\u00a0%</progress>"}},
		{"alice", "/notifications", []string{"reached 50% of its goal."}},
	})
	if res := e.get(alice, "/lang/fr"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch: %d", res.StatusCode)
	}
	checkCounts(t, e, who, []countCase{{"alice", "/notifications", []string{"a atteint 50\u00a0% de son objectif."}}})
}
