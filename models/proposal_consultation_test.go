package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestProposalsInConsultations checks that proposals, supports and
// signatures follow the phases of the consultation they belong to, which
// must be of the same space.
func TestProposalsInConsultations(t *testing.T) {
	clk := newClock()
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		now, day := clk.Now(), 24*time.Hour
		cons, err := s.CreateConsultation(ctx, c.mod, "ville", models.ConsultationInput{
			Title: "Place du marché", Summary: "Votre avis", OpensAt: now.Add(-day), ContributionAt: now,
			SynthesisAt: now.Add(2 * day), ClosesAt: now.Add(3 * day)})
		if err != nil {
			t.Fatal(err)
		}
		in := models.ProposalInput{Title: "Des arbres sur la place", Body: "x", Consultation: cons.ID}
		p, err := s.CreateProposal(ctx, c.members[0].Actor, "ville", in)
		if err != nil || p.ConsultationID != cons.ID {
			t.Fatalf("proposal in consultation: %+v %v", p, err)
		}
		unsupported, err := s.CreateProposal(ctx, c.members[0].Actor, "ville", models.ProposalInput{Title: "Un banc", Body: "x", Consultation: cons.ID})
		if err != nil {
			t.Fatal(err)
		}
		pe, err := s.CreatePetition(ctx, c.members[0].Actor, "ville", models.PetitionInput{
			Title: "Un kiosque sur la place", Body: "x", Addressee: "maire", Goal: 10, Consultation: cons.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Support(ctx, c.members[1].Actor, p.ID); err != nil {
			t.Fatalf("support during contribution: %v", err)
		}
		// Another space's consultation is refused.
		other, err := s.CreateSpace(ctx, nil, models.SpaceInput{Name: "village", Kind: models.KindCity})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.CreateProposal(ctx, c.members[0].Actor, other.Name, in)
		wantErr(t, err, errValidation)
		// In the synthesis phase, supports, signatures and new proposals are closed.
		clk.Add(2*day + time.Hour)
		_, err = s.Support(ctx, c.members[2].Actor, p.ID)
		wantErr(t, err, models.ErrClosed)
		_, err = s.Unsupport(ctx, c.members[1].Actor, p.ID)
		wantErr(t, err, models.ErrClosed)
		_, _, err = s.Sign(ctx, c.members[2].Actor, pe.ID, false)
		wantErr(t, err, models.ErrClosed)
		_, err = s.CreateProposal(ctx, c.members[0].Actor, "ville", in)
		var phase *models.PhaseError
		if !errors.As(err, &phase) {
			t.Fatalf("proposal in synthesis phase: %v", err)
		}
		// Nor does what is being synthesised move: no edit, no withdrawal.
		_, err = s.UpdateProposal(ctx, c.members[0].Actor, unsupported.ID, models.ProposalInput{Title: "Deux bancs", Body: "y"})
		wantErr(t, err, models.ErrClosed)
		_, err = s.WithdrawProposal(ctx, c.members[0].Actor, p.ID)
		wantErr(t, err, models.ErrClosed)
	}, models.WithClock(clk.Now))
}
