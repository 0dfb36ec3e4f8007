package fedtest_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/opendemocracynow/odn/federation/fedtest"
	"github.com/opendemocracynow/odn/models"
)

// apiThread is a page of GET /api/v1/{kind}/{id}/comments.
type apiThread struct {
	Items []*apiThreadComment
}

type apiThreadComment struct {
	ID       string
	URI      string
	BodyHTML string `json:"body_html"`
	Deleted  bool
	Replies  []*apiThreadComment
}

// TestCommentThreadAcrossInstances: bob (B) comments on B's copy of A's
// proposal; alice answers him on A. B stores her reply under bob's
// comment, shows it in the copy's thread and tells bob, as Mastodon
// tells a user of a reply. bob deletes his comment on B: A deletes it
// too. A's moderator hides another of bob's comments on A: bob's later
// edit and deletion on B still go through, and A keeps it hidden.
func TestCommentThreadAcrossInstances(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	prop, err := n.a.Store.CreateProposal(n.ctx, n.alice.Actor, "ville", models.ProposalInput{Title: "More trees", Body: "Along the river."})
	if err != nil {
		t.Fatal(err)
	}
	atB := copyOf(t, n.b, "proposal", prop.URI, proposalID(n.b))
	comment := func(body string) *models.Comment {
		t.Helper()
		var c struct {
			ID int64 `json:",string"`
		}
		if st := n.b.API("POST", fmt.Sprintf("/api/v1/proposals/%d/comments", atB), n.bobTok, map[string]any{"body": body}, &c); st != http.StatusCreated {
			t.Fatalf("bob's comment through B: status %d", st)
		}
		bc, err := n.b.Store.CommentByID(n.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return bc
	}
	atA := func(c *models.Comment) *models.Comment {
		t.Helper()
		var ac *models.Comment
		fedtest.Eventually(t, wait, "A to store bob's comment", func() bool {
			ac, err = n.a.Store.CommentByURI(n.ctx, c.URI)
			return err == nil
		})
		return ac
	}
	first := comment("Oaks, please.")
	firstAtA := atA(first)

	// alice answers bob on A.
	reply, err := n.a.Store.CreateComment(n.ctx, n.alice.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal,
		ObjectID: prop.ID, ParentID: firstAtA.ID, Body: "Oaks it is."})
	if err != nil {
		t.Fatal(err)
	}
	var replyAtB *models.Comment
	fedtest.Eventually(t, wait, "B to store alice's reply", func() bool {
		replyAtB, err = n.b.Store.CommentByURI(n.ctx, reply.URI)
		return err == nil
	})
	if replyAtB.ParentID != first.ID || replyAtB.ObjectType != models.ObjectTypeProposal || replyAtB.ObjectID != atB {
		t.Errorf("B's copy of alice's reply: parent %d, object %s %d; want under bob's comment %d on proposal %d",
			replyAtB.ParentID, replyAtB.ObjectType, replyAtB.ObjectID, first.ID, atB)
	}
	fedtest.Eventually(t, wait, "bob to be told of alice's reply", func() bool {
		return hasNotification(t, n.b, n.bob, models.NotifyCommentReply, models.ObjectTypeComment, replyAtB.ID)
	})
	var thread apiThread
	if st := n.b.API("GET", fmt.Sprintf("/api/v1/proposals/%d/comments", atB), n.bobTok, nil, &thread); st != http.StatusOK {
		t.Fatalf("B's thread: status %d", st)
	}
	if len(thread.Items) != 1 || len(thread.Items[0].Replies) != 1 || thread.Items[0].Replies[0].URI != reply.URI {
		t.Errorf("B's thread of the copy does not nest alice's reply under bob's comment: %+v", thread.Items)
	}

	// bob deletes his comment on B; A deletes it too (its reply stays).
	if err := n.b.Store.DeleteComment(n.ctx, n.bob, first.ID); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "A to delete bob's comment", func() bool {
		c, err := n.a.Store.CommentByID(n.ctx, firstAtA.ID)
		return err == nil && c.Deleted()
	})

	// A's moderator hides bob's second comment on A.
	second := comment("And limes.")
	secondAtA := atA(second)
	if err := n.a.Store.HideObject(n.ctx, n.alice, models.ObjectTypeComment, secondAtA.ID, "off topic"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.b.Store.EditComment(n.ctx, n.bob.Actor, second.ID, "And limes, really.", 0); err != nil {
		t.Fatal(err)
	}
	if err := n.b.Store.DeleteComment(n.ctx, n.bob, second.ID); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "A to delete bob's hidden comment", func() bool {
		c, err := n.a.Store.CommentByID(n.ctx, secondAtA.ID)
		return err == nil && c.Deleted() && c.Hidden()
	})
	if c, err := n.b.Store.CommentByID(n.ctx, second.ID); err != nil || !c.Deleted() || c.Hidden() {
		t.Errorf("B's own comment after A hid it: %+v (%v)", c, err)
	}
}

// TestOriginCommentsReachCopies: the discussion on A reaches B's copies:
// alice's comment on her proposal and her argument on her debate land in
// the copies' threads on B (the argument with its stance); bob answers
// her comment on B and A stores his reply under it. When A's moderator
// hides alice's comment, B removes it.
func TestOriginCommentsReachCopies(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	prop, err := n.a.Store.CreateProposal(n.ctx, n.alice.Actor, "ville", models.ProposalInput{Title: "More trees", Body: "Along the river."})
	if err != nil {
		t.Fatal(err)
	}
	d := n.openDebate(t, n.ville)
	propAtB := copyOf(t, n.b, "proposal", prop.URI, proposalID(n.b))
	debateAtB := copyOf(t, n.b, "debate", d.URI, debateID(n.b))

	c, err := n.a.Store.CreateComment(n.ctx, n.alice.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: prop.ID, Body: "Which trees?"})
	if err != nil {
		t.Fatal(err)
	}
	arg, err := n.a.Store.CreateComment(n.ctx, n.alice.Actor, models.CommentInput{ObjectType: models.ObjectTypeDebate, ObjectID: d.ID,
		Body: "The square is too small.", Stance: models.StanceFor})
	if err != nil {
		t.Fatal(err)
	}
	var cAtB, argAtB *models.Comment
	fedtest.Eventually(t, wait, "B to store alice's comment and argument", func() bool {
		cAtB, err = n.b.Store.CommentByURI(n.ctx, c.URI)
		if err != nil {
			return false
		}
		argAtB, err = n.b.Store.CommentByURI(n.ctx, arg.URI)
		return err == nil && argAtB.Stance == models.StanceFor
	})
	if cAtB.ObjectType != models.ObjectTypeProposal || cAtB.ObjectID != propAtB || argAtB.ObjectID != debateAtB {
		t.Errorf("B put alice's comments on %s %d and debate %d, want proposal %d and debate %d",
			cAtB.ObjectType, cAtB.ObjectID, argAtB.ObjectID, propAtB, debateAtB)
	}
	var thread apiThread
	if st := n.b.API("GET", fmt.Sprintf("/api/v1/proposals/%d/comments", propAtB), n.bobTok, nil, &thread); st != http.StatusOK {
		t.Fatalf("B's thread: status %d", st)
	}
	if len(thread.Items) != 1 || thread.Items[0].URI != c.URI {
		t.Errorf("B's thread of the copy = %+v, want alice's comment", thread.Items)
	}

	// bob answers alice on B; A stores the reply under her comment.
	var r struct {
		ID int64 `json:",string"`
	}
	if st := n.b.API("POST", fmt.Sprintf("/api/v1/proposals/%d/comments", propAtB), n.bobTok,
		map[string]any{"body": "Oaks.", "in_reply_to": strconv.FormatInt(cAtB.ID, 10)}, &r); st != http.StatusCreated {
		t.Fatalf("bob's reply through B: status %d", st)
	}
	br, err := n.b.Store.CommentByID(n.ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "A to store bob's reply under alice's comment", func() bool {
		ac, err := n.a.Store.CommentByURI(n.ctx, br.URI)
		return err == nil && ac.ParentID == c.ID
	})
	fedtest.Eventually(t, wait, "alice to be told of bob's reply", func() bool {
		ac, _ := n.a.Store.CommentByURI(n.ctx, br.URI)
		return ac != nil && hasNotification(t, n.a, n.alice, models.NotifyCommentReply, models.ObjectTypeComment, ac.ID)
	})

	// A's moderator hides alice's comment: B removes it.
	if err := n.a.Store.HideObject(n.ctx, n.alice, models.ObjectTypeComment, c.ID, "off topic"); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B to remove alice's hidden comment", func() bool {
		got, err := n.b.Store.CommentByID(n.ctx, cAtB.ID)
		return err == nil && got.Deleted()
	})
}
