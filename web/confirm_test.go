package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestIrreversibleActionsAskFirst: on the page that offers an action that
// cannot be undone, its control is a link to a confirmation page, not a
// form that does it at once; that page (without JavaScript) names the
// object, says what happens and that it is final, in the member's
// language, and holds the POST form that does it and a link back. The
// POST does the action as before.
func TestIrreversibleActionsAskFirst(t *testing.T) {
	e := newEnv(t)
	civicEnv(t, e)
	ctx := context.Background()
	acc := func(name string) *models.Account {
		a, err := e.Store.AccountByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	alice, sacha := acc("alice"), acc("sacha")
	sp, err := e.Store.SpaceByName(ctx, "ville")
	must(err)
	p, err := e.Store.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: "Un kiosque à livres", Body: "Au parc."})
	must(err)
	cm, err := e.Store.CreateComment(ctx, alice.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "Oui, près du bassin."})
	must(err)
	d, err := e.Store.CreateDebate(ctx, sacha, sp, models.DebateInput{Question: "Un marché le dimanche ?", Options: []string{"Oui", "Non"}})
	must(err)
	c, err := e.Store.CreateConsultation(ctx, sacha, "ville", models.ConsultationInput{Title: "Le parc du canal",
		OpensAt: e.Now.Add(-2 * time.Hour), ContributionAt: e.Now.Add(-time.Hour), SynthesisAt: e.Now.Add(time.Hour), ClosesAt: e.Now.Add(2 * time.Hour)})
	must(err)
	th, err := e.Store.AddTheme(ctx, sacha, c.ID, models.ThemeInput{Name: "Les arbres"})
	must(err)
	doc, err := e.Store.AddDocument(ctx, sacha, c.ID, models.DocumentInput{Kind: models.DocSheet, Title: "Le plan", Body: "Trois allées."})
	must(err)
	ws, err := e.Store.RecordWorkshopContribution(ctx, sacha, c.ID, models.WorkshopInput{Title: "Atelier du lundi", Body: "Des bancs.",
		Place: "Mairie", Participants: 12, HeldAt: e.Now.Add(-30 * time.Minute)})
	must(err)
	n, err := e.Store.PublishNews(ctx, sacha, "ville", models.NewsInput{Title: "Réunion publique", Body: "Jeudi à 18 h."})
	must(err)
	id := func(n int64) string { return fmt.Sprint(n) }
	cons := "/consultations/" + id(c.ID)
	member, mod := e.loggedIn("alice"), e.loggedIn("sacha")
	e.get(member, "/lang/fr")
	cases := []struct {
		name, page, action string
		as                 *http.Client
		object, says, back string // on the confirmation page
		then               string // a page that shows it was done
		done               string // … by this text
	}{
		{"comment", "/p/" + id(p.ID), "/c/" + id(cm.ID) + "/delete", member, "Oui, près du bassin.", "Son texte est effacé pour de bon",
			"/c/" + id(cm.ID), "/c/" + id(cm.ID), "Oui, près du bassin."},
		{"proposal", "/p/" + id(p.ID), "/p/" + id(p.ID) + "/withdraw", member, "Un kiosque à livres", "marquée comme retirée",
			"/p/" + id(p.ID), "/p/" + id(p.ID), `/withdraw"`},
		{"open a vote", "/d/" + id(d.ID), "/d/" + id(d.ID) + "/open", mod, "Un marché le dimanche ?", "Voting starts now",
			"/d/" + id(d.ID), "/d/" + id(d.ID), `/open"`},
		{"close a vote", "/d/" + id(d.ID), "/d/" + id(d.ID) + "/close", mod, "Un marché le dimanche ?", "A closed vote cannot be reopened.",
			"/d/" + id(d.ID), "/d/" + id(d.ID), `/close"`},
		{"theme", cons + "/manage", cons + "/themes/" + id(th.ID) + "/delete", mod, "Les arbres", "lose their theme",
			cons + "/manage", cons + "/manage", "Les arbres"},
		{"document", cons + "/manage", cons + "/documents/" + id(doc.ID) + "/delete", mod, "Le plan", "It is removed from the consultation",
			cons + "/manage", cons + "/manage", "Le plan"},
		{"workshop", "/w/" + id(ws.ID), "/w/" + id(ws.ID) + "/delete", mod, "Atelier du lundi", "no longer counted",
			"/w/" + id(ws.ID), cons, "Atelier du lundi"},
		{"news", "/news/" + id(n.ID), "/news/" + id(n.ID) + "/delete", mod, "Réunion publique", "here and on the instances that follow",
			"/news/" + id(n.ID), "/s/ville/news", "Réunion publique"},
		{"consultation", cons + "/edit", cons + "/delete", mod, "Le parc du canal", "Its published synthesis is withdrawn",
			cons + "/edit", "/s/ville/consultations", "Le parc du canal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			page := readBody(e.get(tc.as, tc.page))
			if strings.Contains(page, `action="`+tc.action+`"`) {
				t.Errorf("%s posts %s at once", tc.page, tc.action)
			}
			if !strings.Contains(page, `href="`+tc.action+`"`) {
				t.Fatalf("%s has no link to confirm %s", tc.page, tc.action)
			}
			res := e.get(tc.as, tc.action)
			body := readBody(res)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("confirmation page: status %d", res.StatusCode)
			}
			for _, want := range []string{
				`<form method="post" action="` + tc.action + `"`, `<button type="submit" class="danger">`,
				`<p class="confirm-object">` + strings.ReplaceAll(tc.object, "'", "&#39;") + `</p>`, tc.says,
				`<a href="` + tc.back + `">`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("the confirmation page lacks %q", want)
				}
			}
			if final := map[bool]string{true: "Cette action est définitive.", false: "This cannot be undone."}[tc.as == member]; !strings.Contains(body, final) {
				t.Errorf("the confirmation page does not say %q", final)
			}
			if res := e.postForm(tc.as, tc.action, url.Values{}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("POST %s: status %d", tc.action, res.StatusCode)
			}
			if after := readBody(e.get(tc.as, tc.then)); strings.Contains(after, tc.done) {
				t.Errorf("%s still shows %q: the POST did nothing", tc.then, tc.done)
			}
		})
	}
	// Who may not do the action gets no confirmation page.
	bob := e.loggedIn("bob")
	for _, path := range []string{"/d/" + id(d.ID) + "/close", cons + "/delete", "/news/" + id(n.ID) + "/delete"} {
		if res := e.get(bob, path); res.StatusCode != http.StatusForbidden {
			t.Errorf("a member's GET %s: status %d, want 403", path, res.StatusCode)
		}
	}
	if res := e.get(e.client(), "/p/"+id(p.ID)+"/withdraw"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("an anonymous GET: status %d, location %q", res.StatusCode, res.Header.Get("Location"))
	}
}
