package fedtest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/federation/fedtest"
	"github.com/opendemocracynow/odn/models"
)

// TestCommentsAcrossInstances: bob (B) follows A's space, comments on
// B's copy of A's proposal and argues against A's debate through B's API;
// A, the origin, stores the comment in the proposal's thread and the
// argument with its stance, then applies bob's edit. B's Notes carry
// odn:type (Comment, Argument), which A once took for copies to store
// and dropped: odn↔odn discussion never reached the origin.
func TestCommentsAcrossInstances(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)

	prop, err := n.a.Store.CreateProposal(n.ctx, n.alice.Actor, "ville", models.ProposalInput{Title: "More trees", Body: "Plant trees along the river."})
	if err != nil {
		t.Fatal(err)
	}
	d := n.openDebate(t, n.ville)
	propAtB := copyOf(t, n.b, "proposal", prop.URI, func(ctx context.Context, uri string) (int64, error) {
		p, err := n.b.Store.ProposalByURI(ctx, uri)
		if err != nil {
			return 0, err
		}
		return p.ID, nil
	})
	debateAtB := copyOf(t, n.b, "debate", d.URI, debateID(n.b))

	var c, arg struct {
		ID int64 `json:",string"`
	}
	if st := n.b.API("POST", fmt.Sprintf("/api/v1/proposals/%d/comments", propAtB), n.bobTok, map[string]any{"body": "Oaks, please."}, &c); st != http.StatusCreated {
		t.Fatalf("bob's comment through B: status %d", st)
	}
	if st := n.b.API("POST", fmt.Sprintf("/api/v1/debates/%d/comments", debateAtB), n.bobTok, map[string]any{"body": "The market is fine where it is.", "stance": "against"}, &arg); st != http.StatusCreated {
		t.Fatalf("bob's argument through B: status %d", st)
	}
	fedtest.Eventually(t, wait, "A to store bob's comment and argument", func() bool {
		np, _ := n.a.Store.CountComments(n.ctx, models.ObjectTypeProposal, prop.ID)
		nd, _ := n.a.Store.CountComments(n.ctx, models.ObjectTypeDebate, d.ID)
		return np == 1 && nd == 1
	})
	ba, err := n.b.Store.CommentByID(n.ctx, arg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if aa, err := n.a.Store.CommentByURI(n.ctx, ba.URI); err != nil || aa.Stance != models.StanceAgainst || aa.ObjectID != d.ID {
		t.Errorf("A's copy of bob's argument: %+v (%v)", aa, err)
	}

	bc, err := n.b.Store.CommentByID(n.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.b.Store.EditComment(n.ctx, n.bob.Actor, c.ID, "Oaks and limes, please.", 0); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "A to apply bob's edit", func() bool {
		ac, err := n.a.Store.CommentByURI(n.ctx, bc.URI)
		return err == nil && strings.Contains(ac.BodyHTML, "limes")
	})
}
