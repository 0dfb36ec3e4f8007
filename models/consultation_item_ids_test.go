package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestConsultationItemIDs: a synthesis names the ids of its consultation's
// proposals, debates and petitions (odn:items), oldest first.
func TestConsultationItemIDs(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		day := 24 * time.Hour
		cons, err := f.s.CreateConsultation(ctx, f.mod, "town", models.ConsultationInput{Title: "Market", Summary: "x",
			OpensAt: f.now.Add(-day), ContributionAt: f.now.Add(-time.Hour), SynthesisAt: f.now.Add(2 * day), ClosesAt: f.now.Add(3 * day)})
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.s.CreateProposal(ctx, f.users[0].Actor, "town", models.ProposalInput{Title: "Trees", Body: "x", Consultation: cons.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.CreateProposal(ctx, f.users[0].Actor, "town", models.ProposalInput{Title: "Elsewhere", Body: "x"}); err != nil {
			t.Fatal(err)
		}
		f.tick(time.Minute)
		if err := f.s.SetDecider(ctx, nil, "modo", true); err != nil {
			t.Fatal(err)
		}
		pe, err := f.s.CreatePetition(ctx, f.users[1].Actor, "town", models.PetitionInput{Title: "Hall", Body: "x", Goal: 10, Addressee: "modo", Consultation: cons.ID})
		if err != nil {
			t.Fatal(err)
		}
		ids, err := f.s.ConsultationItemIDs(ctx, cons.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 2 || ids[0] != p.URI || ids[1] != pe.URI {
			t.Errorf("ids %v, want [%s %s]", ids, p.URI, pe.URI)
		}
	})
}
