package federation

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestReaddressedPetitionUpdate: a petition given a new addressee (its
// former one left office) has its Update{Question} scheduled, and that
// Update, to the space's followers, carries the new addressee's Mention
// and cc, and no longer the former one's.
func TestReaddressedPetitionUpdate(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	peer := newPeerInbox(t)
	peer.follower(t, a, "fan", ville.Actor)
	ada, maire, adjointe := a.user(t, "ada"), a.user(t, "maire"), a.user(t, "adjointe")
	mod, err := a.st.CreateAccount(ctx, models.NewAccount{Username: "sacha", Password: "correct horse battery", Role: models.RoleModerator})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"maire", "adjointe"} {
		if err := a.st.SetDecider(ctx, nil, name, true); err != nil {
			t.Fatal(err)
		}
	}
	pe, err := a.st.CreatePetition(ctx, ada.Actor, "ville", models.PetitionInput{Title: "A crossing", Body: "By the school.", Addressee: "maire", Goal: 10})
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, a) // its Create
	if err := a.st.SetDecider(ctx, nil, "maire", false); err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.ReaddressPetition(ctx, mod, pe.ID, "adjointe"); err != nil {
		t.Fatal(err)
	}
	runEvents(t, a)
	if cu, err := a.st.CountUpdateOf(ctx, models.ObjectTypePetition, pe.ID); err != nil || cu == nil {
		t.Fatalf("no Update scheduled for the re-addressed petition: %+v, %v", cu, err)
	}
	out, _, err := a.s.countUpdate(ctx, models.CountUpdate{ObjectType: models.ObjectTypePetition, ObjectID: pe.ID})
	if err != nil || len(out) == 0 {
		t.Fatalf("count Update: %v, %d sent", err, len(out))
	}
	var update struct {
		Type   string `json:"type"`
		Object struct {
			ID  string   `json:"id"`
			Cc  []string `json:"cc"`
			Tag []struct {
				Type, Href, Name string
			} `json:"tag"`
		} `json:"object"`
	}
	if err := json.Unmarshal(out[0].Body, &update); err != nil {
		t.Fatal(err)
	}
	if update.Type != "Update" || update.Object.ID != pe.URI {
		t.Fatalf("sent %s of %s, want the petition's Update: %s", update.Type, update.Object.ID, out[0].Body)
	}
	mentions := map[string]bool{}
	for _, tag := range update.Object.Tag {
		if tag.Type == "Mention" {
			mentions[tag.Href] = true
		}
	}
	if !mentions[adjointe.Actor.URI] || !slices.Contains(update.Object.Cc, adjointe.Actor.URI) {
		t.Errorf("the Update does not mention or cc the new addressee %s: %s", adjointe.Actor.URI, out[0].Body)
	}
	if mentions[maire.Actor.URI] || slices.Contains(update.Object.Cc, maire.Actor.URI) {
		t.Errorf("the Update still mentions or ccs the former addressee %s: %s", maire.Actor.URI, out[0].Body)
	}
	if !slices.Contains(out[0].Inboxes, peer.srv.URL+"/shared") {
		t.Errorf("the Update goes to %v, not to the space's follower", out[0].Inboxes)
	}
}
