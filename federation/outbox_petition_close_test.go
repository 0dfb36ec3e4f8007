package federation

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestClosedPetitionUpdate: a petition its author closes before its
// deadline has its final Update{Question} due at once (not at the former
// deadline), and that Update, to the space's followers, says the poll
// closed at the close: closed and endTime set to it, odn:status closed.
func TestClosedPetitionUpdate(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	peer := newPeerInbox(t)
	peer.follower(t, a, "fan", ville.Actor)
	ada := a.user(t, "ada")
	a.user(t, "maire")
	if err := a.st.SetDecider(ctx, nil, "maire", true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * 24 * time.Hour)
	pe, err := a.st.CreatePetition(ctx, ada.Actor, "ville", models.PetitionInput{Title: "A crossing", Body: "By the school.",
		Addressee: "maire", Goal: 10, ClosesAt: &deadline})
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, a) // its Create, and the final Update scheduled at the deadline
	closed, err := a.st.ClosePetition(ctx, ada, pe.ID)
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, a)
	if cu, err := a.st.CountUpdateOf(ctx, models.ObjectTypePetition, pe.ID); err != nil || cu.DueAt == nil || cu.DueAt.After(time.Now()) {
		t.Fatalf("the closed petition's Update is not due now: %+v, %v", cu, err)
	}
	out, _, err := a.s.countUpdate(ctx, models.CountUpdate{ObjectType: models.ObjectTypePetition, ObjectID: pe.ID})
	if err != nil || len(out) == 0 {
		t.Fatalf("count Update: %v, %d sent", err, len(out))
	}
	var update struct {
		Type   string         `json:"type"`
		Object map[string]any `json:"object"`
	}
	if err := json.Unmarshal(out[0].Body, &update); err != nil {
		t.Fatal(err)
	}
	at := closed.ClosesAt.UTC().Format(time.RFC3339)
	if update.Type != "Update" || idOf(update.Object["id"]) != pe.URI || update.Object["closed"] != at ||
		update.Object["endTime"] != at || update.Object[PropODNStatus] != models.PetitionClosed {
		t.Fatalf("sent %s, want the petition's Update closed at %s: %s", update.Type, at, out[0].Body)
	}
	if !slices.Contains(out[0].Inboxes, peer.srv.URL+"/shared") {
		t.Errorf("the Update goes to %v, not to the space's follower", out[0].Inboxes)
	}
}
