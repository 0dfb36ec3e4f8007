package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestConcurrentHides: of two moderators hiding the same proposal at
// once, one hides it and the other is told there is nothing to change:
// one audit entry, one event.
func TestConcurrentHides(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		for round := range 10 {
			p, err := f.s.CreateProposal(ctx, f.users[0].Actor, "town", models.ProposalInput{Title: "Benches, round " + string(rune('a'+round)), Body: "More."})
			if err != nil {
				t.Fatal(err)
			}
			start := make(chan struct{})
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Go(func() { <-start; errs[i] = f.s.HideObject(ctx, f.mod, models.ObjectTypeProposal, p.ID, "spam") })
			}
			close(start)
			wg.Wait()
			ok, conflict := 0, 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.Is(err, models.ErrConflict):
					conflict++
				default:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if ok != 1 || conflict != 1 {
				t.Fatalf("round %d: %d hides succeeded, %d conflicts; want 1 and 1", round, ok, conflict)
			}
		}
	})
}
