package models_test

import (
	"context"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

func TestDemoProposalsAndPetitions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		byTitle := map[string]*models.Proposal{}
		list, err := s.ListProposals(ctx, models.ProposalQuery{Space: "ville", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range list.Items {
			byTitle[p.Title] = p
		}
		if p := byTitle["Végétaliser la cour de l'école Jean-Moulin"]; p == nil || p.Status != models.ProposalThresholdReached || p.SupportsCount != 6 {
			t.Fatalf("threshold proposal = %+v", p)
		}
		if p := byTitle["Des pistes cyclables sécurisées rue de la République"]; p == nil || p.Status != models.ProposalAccepted || p.AnswerHTML == "" {
			t.Fatalf("answered proposal = %+v", p)
		}
		petitions, err := s.ListPetitions(ctx, models.PetitionQuery{Space: "ville", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var open, answered int
		for _, p := range petitions.Items {
			switch {
			case p.Title == "Sauvons les platanes de l'avenue Foch" && p.SignaturesCount == 8 && p.Goal == 10 && p.State(s.Now()) == models.PetitionOpen:
				open++
			case p.Status == models.PetitionAnswered && p.ResponseHTML != "":
				answered++
			}
		}
		if open != 1 || answered < 1 {
			t.Fatalf("demo petitions: open near goal %d, answered %d", open, answered)
		}
		// Seeding again keeps the data as it is.
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
