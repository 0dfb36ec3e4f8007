package federation

import (
	"context"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestPetitionEditsFederate: an edited update of a petition and its
// edited official response go out as Updates of the same Notes (never a
// second Create), carrying the new text and when it changed, signed by
// whom the Notes are attributed to. Once the addressee who gave the
// response is erased, an edit they made just before goes out as the
// space's Create of the response (peers deleted the addressee's copy),
// naming them nowhere.
func TestPetitionEditsFederate(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	newPeerInbox(t).follower(t, a, "fan", ville.Actor)
	ada, maire := a.user(t, "ada"), a.user(t, "maire")
	if _, err := a.st.DB.NewUpdate().Model((*models.Account)(nil)).Set("decider = ?", true).Where("id = ?", maire.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	pe, err := a.st.CreatePetition(ctx, ada.Actor, "ville", models.PetitionInput{Title: "A crossing", Body: "By the school.", Addressee: "maire", Goal: 10})
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.st.PostPetitionUpdate(ctx, ada.Actor, pe.ID, "We met the mayr.")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.RespondPetition(ctx, maire, pe.ID, "It will be painted."); err != nil {
		t.Fatal(err)
	}
	response := pe.URI + ResponseSuffix
	first := activitiesOf(t, runEvents(t, a))
	if len(first["Create "+u.URI]) == 0 || len(first["Create "+response]) == 0 {
		t.Fatalf("the update's and the response's Creates were not sent: %v", keysOf(first))
	}

	if _, err := a.st.EditPetitionUpdate(ctx, ada, pe.ID, u.ID, "We met the mayor.", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.EditPetitionResponse(ctx, maire, pe.ID, "It will be painted in May.", 0); err != nil {
		t.Fatal(err)
	}
	edits := activitiesOf(t, runEvents(t, a))
	for _, c := range []struct {
		id, text string
		by       *models.Actor
	}{{u.URI, "We met the mayor.", ada.Actor}, {response, "It will be painted in May.", maire.Actor}} {
		if len(edits["Create "+c.id]) != 0 {
			t.Errorf("the edit of %s sent a Create", c.id)
		}
		list := edits["Update "+c.id]
		if len(list) == 0 {
			t.Errorf("the edit of %s sent no Update; sent %v", c.id, keysOf(edits))
		}
		direct := false
		for _, act := range list { // the author's own, and inside the space's Announce
			obj, _ := act.m["object"].(map[string]any)
			direct = direct || act.signer == c.by.ID
			if act.m["actor"] != c.by.URI || obj["attributedTo"] != c.by.URI || !strings.Contains(str(obj, "content"), c.text) || obj["updated"] == nil {
				t.Errorf("Update of %s: actor %v, attributedTo %v, updated %v, content %v", c.id, act.m["actor"], obj["attributedTo"], obj["updated"], obj["content"])
			}
		}
		if len(list) > 0 && !direct {
			t.Errorf("the Update of %s was not sent signed by %s", c.id, c.by.URI)
		}
	}

	// Edited, then erased before the outbox ran: the space Creates it.
	if _, err := a.st.EditPetitionResponse(ctx, maire, pe.ID, "It will be painted in June.", 0); err != nil {
		t.Fatal(err)
	}
	if err := a.st.DeleteAccount(ctx, maire); err != nil {
		t.Fatal(err)
	}
	outs := runEvents(t, a)
	later := activitiesOf(t, outs)
	var creates []sentActivity
	for key, list := range later {
		if key == "Create "+response {
			creates = append(creates, list...)
		}
	}
	if len(creates) == 0 {
		t.Fatalf("the edit after the erasure sent no Create of the response; sent %v", keysOf(later))
	}
	for _, act := range creates {
		obj, _ := act.m["object"].(map[string]any)
		if act.m["actor"] != ville.Actor.URI || obj["attributedTo"] != ville.Actor.URI || str(act.m, "id") == response+"#create" ||
			!strings.Contains(str(obj, "content"), "June") {
			t.Errorf("Create after the erasure: actor %v, id %v, attributedTo %v", act.m["actor"], act.m["id"], obj["attributedTo"])
		}
	}
	for _, o := range outs {
		if strings.Contains(string(o.Body), maire.Actor.URI) {
			t.Errorf("%s, built after the erasure, names the addressee", o.ActivityID)
		}
	}
}

func keysOf(m map[string][]sentActivity) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
