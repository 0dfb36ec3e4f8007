package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestActionsCheckWhoBeforeInput: an action on another's object with an
// input its rules refuse is ErrForbidden, not the input's
// *ValidationError: a member who may not act learns nothing of the
// input's rules, on the pages (which call these directly) as on the API
// (which asks the May… checks before reading the body, asked here too).
// UpdateProposal, PostPetitionUpdate, EditPetitionUpdate and EditComment
// validated the input first; LocateContribution said a contribution
// outside any consultation cannot be placed before saying who may.
func TestActionsCheckWhoBeforeInput(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		f.at(15)
		ana, ben := f.citizens[0], f.citizens[1]
		if err := f.s.SetDecider(ctx, nil, "modo", true); err != nil {
			t.Fatal(err)
		}
		p, err := f.s.CreateProposal(ctx, ana.Actor, "town", models.ProposalInput{Title: "Benches in the shade", Body: "Under the limes."})
		if err != nil {
			t.Fatal(err)
		}
		pe, err := f.s.CreatePetition(ctx, ana.Actor, "town", models.PetitionInput{Title: "A bench by the school", Body: "Parents wait standing.",
			Addressee: "modo", Goal: 10})
		if err != nil {
			t.Fatal(err)
		}
		up, err := f.s.PostPetitionUpdate(ctx, ana.Actor, pe.ID, "Ten signatures!")
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.s.CreateComment(ctx, ana.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "Good idea."})
		if err != nil {
			t.Fatal(err)
		}
		far, near := 500.0, 2.0
		for _, tc := range []struct {
			name string
			do   func() error
		}{
			{"edit another's proposal", func() error {
				_, err := f.s.UpdateProposal(ctx, ben.Actor, p.ID, models.ProposalInput{})
				return err
			}},
			{"may edit another's proposal", func() error { return f.s.MayEditProposal(ctx, ben.Actor, p.ID) }},
			{"post an update to another's petition", func() error {
				_, err := f.s.PostPetitionUpdate(ctx, ben.Actor, pe.ID, "")
				return err
			}},
			{"edit another's update", func() error {
				_, err := f.s.EditPetitionUpdate(ctx, ben, pe.ID, up.ID, "", 0)
				return err
			}},
			{"may write another's update", func() error { return f.s.MayWritePetitionUpdate(ctx, ben, pe.ID, up.ID) }},
			{"may post to another's petition", func() error { return f.s.MayWritePetitionUpdate(ctx, ben, pe.ID, 0) }},
			{"respond to a petition not addressed to me", func() error {
				_, err := f.s.RespondPetition(ctx, ben, pe.ID, "")
				return err
			}},
			{"may respond", func() error { return f.s.MayRespondPetition(ctx, ben, pe.ID) }},
			{"edit another's comment", func() error {
				_, err := f.s.EditComment(ctx, ben.Actor, c.ID, "", 0)
				return err
			}},
			{"may edit another's comment", func() error { return f.s.MayEditComment(ctx, ben.Actor, c.ID) }},
			{"place another's proposal outside a consultation", func() error {
				return f.s.LocateContribution(ctx, ben, "proposal", p.ID, &far, &near)
			}},
			{"may place another's proposal", func() error { return f.s.MayLocateContribution(ctx, ben, "proposal", p.ID) }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.do(); !errors.Is(err, models.ErrForbidden) {
					t.Errorf("got %v, want ErrForbidden", err)
				}
			})
		}
		// Those who may are told the input's problems.
		if _, err := f.s.UpdateProposal(ctx, ana.Actor, p.ID, models.ProposalInput{}); !errors.As(err, new(*models.ValidationError)) {
			t.Errorf("the author's empty edit: %v, want a *ValidationError", err)
		}
		if err := f.s.MayEditProposal(ctx, ana.Actor, p.ID); err != nil {
			t.Errorf("the author may not edit: %v", err)
		}
		if err := f.s.MayRespondPetition(ctx, f.mod, pe.ID); err != nil {
			t.Errorf("the addressee may not respond: %v", err)
		}
	})
}

// TestMayPlaceOnMapAndDeleteComment: the map page's form (which names
// the contribution in its body) and a comment's deletion are asked who
// first: a moderator, or the author of a contribution to the
// consultation (of the comment); a member with nothing there is
// ErrForbidden, anonymous ErrUnauthorized, an unknown object ErrNotFound.
func TestMayPlaceOnMapAndDeleteComment(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		f.at(15)
		ana, ben := f.citizens[0], f.citizens[1]
		p, err := f.s.CreateProposal(ctx, ana.Actor, "town", models.ProposalInput{Title: "Benches in the shade", Body: "Under the limes.",
			Consultation: f.c.ID})
		if err != nil {
			t.Fatal(err)
		}
		// ben's proposal outside the consultation gives him nothing to place on its map.
		if _, err := f.s.CreateProposal(ctx, ben.Actor, "town", models.ProposalInput{Title: "A fountain", Body: "By the church."}); err != nil {
			t.Fatal(err)
		}
		c, err := f.s.CreateComment(ctx, ana.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "Good idea."})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			err  error
			want error
		}{
			{"the author places on the map", f.s.MayPlaceOnMap(ctx, ana, f.c.ID), nil},
			{"a moderator places on the map", f.s.MayPlaceOnMap(ctx, f.mod, f.c.ID), nil},
			{"a member with nothing in the consultation", f.s.MayPlaceOnMap(ctx, ben, f.c.ID), models.ErrForbidden},
			{"anonymous on the map", f.s.MayPlaceOnMap(ctx, nil, f.c.ID), models.ErrUnauthorized},
			{"no such consultation", f.s.MayPlaceOnMap(ctx, ana, f.c.ID+1000), models.ErrNotFound},
			{"the author deletes a comment", f.s.MayDeleteComment(ctx, ana, c.ID), nil},
			{"a moderator deletes a comment", f.s.MayDeleteComment(ctx, f.mod, c.ID), nil},
			{"another member deletes a comment", f.s.MayDeleteComment(ctx, ben, c.ID), models.ErrForbidden},
			{"anonymous deletes a comment", f.s.MayDeleteComment(ctx, nil, c.ID), models.ErrUnauthorized},
			{"no such comment", f.s.MayDeleteComment(ctx, ana, c.ID+1000), models.ErrNotFound},
		} {
			if !errors.Is(tc.err, tc.want) || (tc.want == nil) != (tc.err == nil) {
				t.Errorf("%s: got %v, want %v", tc.name, tc.err, tc.want)
			}
		}
		if err := f.s.DeleteComment(ctx, ben, c.ID); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("another member deleted the comment: %v", err)
		}
	})
}

// TestMayPlaceOnMapOnlyWhatTheMapShows: a member whose only contribution
// to the consultation is hidden by moderation or deleted has nothing to
// place on its map: the check before the form (MayPlaceOnMap) refuses
// them as the action does (MayLocateContribution, LocateContribution's
// rule), which refuses those contributions to their author and to a
// moderator alike.
func TestMayPlaceOnMapOnlyWhatTheMapShows(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		f.at(15)
		ana, ben, cleo := f.citizens[0], f.citizens[1], f.citizens[2]
		propose := func(by *models.Account, title string) *models.Proposal {
			t.Helper()
			p, err := f.s.CreateProposal(ctx, by.Actor, "town", models.ProposalInput{Title: title, Body: "Somewhere in town.", Consultation: f.c.ID})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		shown, hidden, deleted := propose(ana, "Benches in the shade"), propose(ben, "A fountain"), propose(cleo, "A bike lane")
		if err := f.s.HideObject(ctx, f.mod, models.ObjectTypeProposal, hidden.ID, "spam"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.DB.NewRaw("UPDATE proposals SET deleted_at = ? WHERE id = ?", f.clock.Now(), deleted.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			err  error
			want error
		}{
			{"the author of a shown one may place", f.s.MayPlaceOnMap(ctx, ana, f.c.ID), nil},
			{"the author of a hidden one only", f.s.MayPlaceOnMap(ctx, ben, f.c.ID), models.ErrForbidden},
			{"the author of a deleted one only", f.s.MayPlaceOnMap(ctx, cleo, f.c.ID), models.ErrForbidden},
			{"the action, a shown one", f.s.MayLocateContribution(ctx, ana, "proposal", shown.ID), nil},
			{"the action, a hidden one", f.s.MayLocateContribution(ctx, ben, "proposal", hidden.ID), models.ErrNotFound},
			{"the action, a deleted one", f.s.MayLocateContribution(ctx, cleo, "proposal", deleted.ID), models.ErrNotFound},
			{"a moderator, a hidden one", f.s.MayLocateContribution(ctx, f.mod, "proposal", hidden.ID), models.ErrNotFound},
		} {
			if !errors.Is(tc.err, tc.want) || (tc.want == nil) != (tc.err == nil) {
				t.Errorf("%s: got %v, want %v", tc.name, tc.err, tc.want)
			}
		}
	})
}
