package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestDebateRefusesOtherSpacesConsultation: proposals and petitions refuse a
// consultation of another space (CheckConsultationRef); a debate must too,
// or it lands in the other town's consultation pages and statistics.
func TestDebateRefusesOtherSpacesConsultation(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		f.at(11) // contribution phase
		other, err := f.s.CreateSpace(ctx, nil, models.SpaceInput{Name: "village", Kind: models.KindCity})
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.s.CreateDebate(ctx, f.mod, other, models.DebateInput{Question: "Which colour for the bikes?",
			Options: []string{"Red", "Blue"}, ConsultationID: f.c.ID})
		if err == nil {
			if _, err := f.s.OpenDebate(ctx, f.mod, d.ID); err != nil {
				t.Fatal(err)
			}
			st, _ := f.s.ConsultationStatistics(ctx, f.c.ID)
			t.Fatalf("debate of space %d attached to consultation %d of space %d (by_type debate=%d after opening)",
				d.SpaceID, f.c.ID, f.c.SpaceID, st.ByType["debate"])
		}
		var inv *models.ValidationError
		if !errors.As(err, &inv) || inv.Fields["consultation"] == "" {
			t.Fatalf("err = %v, want a validation error on the consultation", err)
		}
	})
}
