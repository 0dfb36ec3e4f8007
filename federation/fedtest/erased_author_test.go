package fedtest_test

import (
	"net/http"
	"testing"

	"github.com/opendemocracynow/odn/federation/fedtest"
	"github.com/opendemocracynow/odn/models"
)

// TestDraftOfErasedModeratorReachesCopies: a moderator prepares a draft
// debate, comments on it, and has their account erased; another
// moderator opens it. The debate and the draft comment go out only now,
// when their author can no longer sign: they go out as the space's (the
// Group signs, and is their attributedTo), so B takes the Create (it
// drops one whose attributedTo is another actor of the sender's host, as
// Mastodon ignores one whose actor is not the attributedTo), and bob's
// vote on B's copy reaches A.
func TestDraftOfErasedModeratorReachesCopies(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	mo, _ := n.a.User("mo", true)
	d, err := n.a.Store.CreateDebate(n.ctx, mo, n.ville, models.DebateInput{Question: "A new market hall?", Options: n.debateOptions})
	if err != nil {
		t.Fatal(err)
	}
	c, err := n.a.Store.CreateComment(n.ctx, mo.Actor, models.CommentInput{ObjectType: models.ObjectTypeDebate, ObjectID: d.ID, Body: "Background: the old hall closes in May."})
	if err != nil {
		t.Fatal(err)
	}
	n.a.Settle()
	if err := n.a.Store.DeleteAccount(n.ctx, mo); err != nil {
		t.Fatal(err)
	}
	if _, err := n.a.Store.OpenDebate(n.ctx, n.alice, d.ID); err != nil {
		t.Fatal(err)
	}
	atB := copyOf(t, n.b, "debate", d.URI, debateID(n.b))
	fedtest.Eventually(t, wait, "B to show the draft comment on its copy", func() bool {
		_, err := n.b.Store.CommentByURI(n.ctx, c.URI)
		return err == nil
	})
	if cp, err := n.b.Store.DebateByURI(n.ctx, d.URI); err != nil || cp.Author == nil || cp.Author.URI != n.ville.Actor.URI {
		t.Errorf("B's copy: %v, author %+v; want it by %s", err, cp, n.ville.Actor.URI)
	}
	if st := vote(n.b, n.bobTok, atB, "Yes"); st >= 300 {
		t.Fatalf("vote on B's copy: status %d", st)
	}
	fedtest.Eventually(t, wait, "A to count bob's vote, sent to the space", func() bool {
		d, err := n.a.Store.DebateByID(n.ctx, d.ID)
		return err == nil && d.Voters == 1
	})
}

// TestLookupOfErasedAuthorsProposal: B never heard of ada, whose account
// A erased after she wrote a proposal; B can still copy the proposal (a
// lookup here; an Update or a boost take the same path): ada's actor
// answers 410, and B keeps her as a deleted account.
func TestLookupOfErasedAuthorsProposal(t *testing.T) {
	n := startCivicNet(t)
	ada, _ := n.a.User("ada", false)
	prop, err := n.a.Store.CreateProposal(n.ctx, ada.Actor, "ville", models.ProposalInput{Title: "A fountain", Body: "On the square."})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.a.Store.DeleteAccount(n.ctx, ada); err != nil {
		t.Fatal(err)
	}
	n.a.Settle()
	var lookup struct{ Kind, ID string }
	if st := n.b.API("GET", "/api/v1/lookup?uri="+prop.URI, n.bobTok, nil, &lookup); st != http.StatusOK || lookup.Kind != models.ObjectTypeProposal {
		t.Fatalf("lookup: status %d, %+v", st, lookup)
	}
	p, err := n.b.Store.ProposalByURI(n.ctx, prop.URI)
	if err != nil || p.Author == nil || p.Author.URI != ada.Actor.URI || p.Author.DeletedAt == nil {
		t.Fatalf("B's copy: %v, author %+v; want it by %s, deleted", err, p, ada.Actor.URI)
	}
}

// TestCommentBeforeItsDebate: B gets a comment of A's before the debate
// it belongs to (here B's member followed A's space after the debate
// opened; deliveries are not ordered either, and a draft debate's
// comments go out right after it): B fetches the debate from A and
// copies it, as Mastodon fetches a reply's inReplyTo, instead of
// dropping the comment.
func TestCommentBeforeItsDebate(t *testing.T) {
	n := startCivicNet(t)
	d := n.openDebate(t, n.ville)
	n.a.Settle()
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	c, err := n.a.Store.CreateComment(n.ctx, n.alice.Actor, models.CommentInput{ObjectType: models.ObjectTypeDebate, ObjectID: d.ID, Body: "The vote closes on Sunday."})
	if err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B to show the comment, on its copy of the debate", func() bool {
		_, err := n.b.Store.CommentByURI(n.ctx, c.URI)
		return err == nil
	})
	if _, err := n.b.Store.DebateByURI(n.ctx, d.URI); err != nil {
		t.Errorf("B's copy of the debate: %v", err)
	}
}
