package federation

import (
	"context"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestPersonOutboxCountsWhatItLists: a member's outbox counts in
// totalItems only what its pages list; a comment under a hidden proposal
// or below a hidden comment is in neither.
func TestPersonOutboxCountsWhatItLists(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	a.space(t, "ville")
	alice, bob, mod := a.user(t, "alice"), a.user(t, "bob"), moderator(t, a, "modo")
	p, err := a.st.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: "Des bancs", Body: "Oui."})
	if err != nil {
		t.Fatal(err)
	}
	q, err := a.st.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: "Des arbres", Body: "Oui."})
	if err != nil {
		t.Fatal(err)
	}
	say := func(id, parent int64) *models.Comment {
		t.Helper()
		c, err := a.st.CreateComment(ctx, bob.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: id, ParentID: parent, Body: "Oui."})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	shown := say(p.ID, 0)
	rude := say(p.ID, 0)
	say(p.ID, rude.ID)
	say(q.ID, 0)
	if err := a.st.HideObject(ctx, mod, models.ObjectTypeComment, rude.ID, "x"); err != nil {
		t.Fatal(err)
	}
	if err := a.st.HideObject(ctx, mod, models.ObjectTypeProposal, q.ID, "x"); err != nil {
		t.Fatal(err)
	}
	_, coll := getAS(t, a, "/actors/bob/outbox")
	_, page := getAS(t, a, "/actors/bob/outbox?page=1")
	items, _ := page["orderedItems"].([]any)
	if len(items) != 1 || idOf(items[0].(map[string]any)["object"]) != shown.URI {
		t.Errorf("outbox lists %v, want only the Create of %s", items, shown.URI)
	}
	if coll["totalItems"] != float64(len(items)) {
		t.Errorf("outbox totalItems %v, but its page lists %d", coll["totalItems"], len(items))
	}
}
