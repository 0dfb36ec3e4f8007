package federation

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestDebateEditUpdate: an edit of a published debate schedules its
// Update{Question} at once (not after the count window), carrying the
// new text; an edit of a draft schedules nothing (it is not published).
func TestDebateEditUpdate(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	peer := newPeerInbox(t)
	peer.follower(t, a, "fan", ville.Actor)
	mod, err := a.st.CreateAccount(ctx, models.NewAccount{Username: "sacha", Password: "correct horse battery", Role: models.RoleModerator})
	if err != nil {
		t.Fatal(err)
	}
	in := models.DebateInput{Question: "Which colour for the bikes?", Options: []string{"Red", "Green"}}
	draft, err := a.st.CreateDebate(ctx, mod, ville, in)
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.st.CreateDebate(ctx, mod, ville, in)
	if err != nil {
		t.Fatal(err)
	}
	if d, err = a.st.OpenDebate(ctx, mod, d.ID); err != nil {
		t.Fatal(err)
	}
	runEvents(t, a) // the Create of the open one
	in.Question = "Which colour for the tram?"
	if _, err := a.st.UpdateDebate(ctx, mod, draft.ID, in); err != nil {
		t.Fatal(err)
	}
	in.Description, in.OpensAt = "Vote for **one** colour.", d.OpensAt
	if _, err := a.st.UpdateDebate(ctx, mod, d.ID, in); err != nil {
		t.Fatal(err)
	}
	runEvents(t, a)
	if cu, err := a.st.CountUpdateOf(ctx, models.ObjectTypeDebate, draft.ID); err == nil && cu.DueAt != nil {
		t.Errorf("an Update of a draft is scheduled: %+v", cu)
	}
	cu, err := a.st.CountUpdateOf(ctx, models.ObjectTypeDebate, d.ID)
	if err != nil || cu.DueAt == nil || cu.DueAt.After(a.st.Now()) {
		t.Fatalf("the edited debate's Update is not due now: %+v, %v", cu, err)
	}
	out, _, err := a.s.countUpdate(ctx, *cu)
	if err != nil || len(out) == 0 {
		t.Fatalf("Update: %v, %d sent", err, len(out))
	}
	var update struct {
		Type   string
		Object struct {
			ID, Type, Name, Content string
		}
	}
	if err := json.Unmarshal(out[0].Body, &update); err != nil {
		t.Fatal(err)
	}
	if update.Type != "Update" || update.Object.ID != d.URI || update.Object.Type != "Question" ||
		!strings.Contains(update.Object.Name+update.Object.Content, "tram") || !strings.Contains(update.Object.Content, "<strong>one</strong>") {
		t.Errorf("sent %s", out[0].Body)
	}
}
