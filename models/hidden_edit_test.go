package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestHiddenNotEditable: once moderators hide a proposal or a comment, its
// author may no longer change it (it would go out as an Update nobody in
// moderation saw), and the refusal says why rather than a bare 403.
func TestHiddenNotEditable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 3)
		author := c.members[0]
		p := c.proposal(t, author, "Un banc")
		cm, err := s.CreateComment(ctx, author.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "premier avis"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.HideObject(ctx, c.mod, models.ObjectTypeComment, cm.ID, "rude"); err != nil {
			t.Fatal(err)
		}
		if err := s.HideObject(ctx, c.mod, models.ObjectTypeProposal, p.ID, "spam"); err != nil {
			t.Fatal(err)
		}
		_, err = s.UpdateProposal(ctx, author.Actor, p.ID, models.ProposalInput{Title: "Un autre banc", Body: "x"})
		if !errors.Is(err, models.ErrHiddenNotEditable) || !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("hidden proposal edit: %v", err)
		}
		if _, err := s.EditComment(ctx, author.Actor, cm.ID, "changé", 0); !errors.Is(err, models.ErrHiddenNotEditable) {
			t.Fatalf("hidden comment edit: %v", err)
		}
		got, err := s.ProposalByID(ctx, p.ID)
		if err != nil || got.Title != "Un banc" {
			t.Fatalf("proposal changed: %+v %v", got, err)
		}
		if err := got.EditError(); !errors.Is(err, models.ErrHiddenNotEditable) {
			t.Fatalf("EditError = %v", err)
		}
	})
}
