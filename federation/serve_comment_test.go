package federation

import (
	"context"
	"strconv"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestServeCommentFollowsItsObject: a comment's ActivityStreams form
// answers as its HTML page does for a visitor: 404 on a draft debate, 410
// Gone (a Tombstone) when its object, the comment or one it answers is
// hidden.
func TestServeCommentFollowsItsObject(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	alice, bob := a.user(t, "alice"), a.user(t, "bob")
	mod, err := a.st.CreateAccount(ctx, models.NewAccount{Username: "modo", Password: "correct horse battery", Role: models.RoleModerator})
	if err != nil {
		t.Fatal(err)
	}
	debate := func(open bool) *models.Debate {
		t.Helper()
		d, err := a.st.CreateDebate(ctx, mod, ville, models.DebateInput{Question: "Un marché le dimanche ?", Options: []string{"Oui", "Non"}})
		if err != nil {
			t.Fatal(err)
		}
		if open {
			if d, err = a.st.OpenDebate(ctx, mod, d.ID); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	say := func(by *models.Account, typ string, id, parent int64) int64 {
		t.Helper()
		c, err := a.st.CreateComment(ctx, by.Actor, models.CommentInput{ObjectType: typ, ObjectID: id, ParentID: parent, Body: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	hide := func(typ string, id int64) {
		t.Helper()
		if err := a.st.HideObject(ctx, mod, typ, id, "rude"); err != nil {
			t.Fatal(err)
		}
	}

	open := debate(true)
	visible := say(alice, "debate", open.ID, 0)
	rude := say(alice, "debate", open.ID, 0)
	below := say(bob, "debate", open.ID, rude)
	draft := debate(false)
	onDraft := say(mod, "debate", draft.ID, 0)
	hiddenDebate := debate(true)
	onHiddenDebate := say(bob, "debate", hiddenDebate.ID, 0)
	p, err := a.st.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: "Des bancs", Body: "x"})
	if err != nil {
		t.Fatal(err)
	}
	onHiddenProposal := say(bob, "proposal", p.ID, 0)
	hide("comment", rude)
	hide("debate", hiddenDebate.ID)
	hide("proposal", p.ID)

	for _, tc := range []struct {
		name string
		id   int64
		code int
	}{
		{"visible", visible, 200},
		{"hidden comment", rude, 410},
		{"reply below a hidden comment", below, 410},
		{"on a draft debate", onDraft, 404},
		{"on a hidden debate", onHiddenDebate, 410},
		{"on a hidden proposal", onHiddenProposal, 410},
	} {
		code, m := serveAS(a, "comment", strconv.FormatInt(tc.id, 10))
		if code != tc.code {
			t.Errorf("%s: %d, want %d", tc.name, code, tc.code)
		}
		if code == 410 && m["type"] != "Tombstone" {
			t.Errorf("%s: %v, want a Tombstone", tc.name, m)
		}
	}
}
