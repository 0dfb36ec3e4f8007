package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestVoteBatchIsolation: ballot changes that share a transaction on
// SQLite (group commit) keep their own outcome: refused ones (unknown
// option, closed debate) return their error and leave nothing behind,
// the others all count, in two debates at once; the tally matches a
// recount and every counted ballot has its vote.cast event.
func TestVoteBatchIsolation(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		open1 := f.debate(t, models.DebateInput{}, true)
		open2 := f.debate(t, models.DebateInput{Question: "Which day for the market?"}, true)
		closed := f.debate(t, models.DebateInput{Question: "Which name for the square?"}, true)
		if _, err := f.s.CloseDebate(ctx, f.mod, closed.ID); err != nil {
			t.Fatal(err)
		}
		const n = 60
		actors := make([]*models.Actor, n)
		for i := range actors {
			actors[i] = f.remote(t, fmt.Sprint("w", i), fmt.Sprintf("h%d.example", i%4))
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, a := range actors {
			wg.Go(func() {
				switch i % 4 {
				case 0:
					_, errs[i] = f.s.CastVote(ctx, a, open1.ID, []string{"Red"})
				case 1:
					_, errs[i] = f.s.CastVote(ctx, a, open2.ID, []string{"Purple"})
				case 2:
					_, errs[i] = f.s.CastVote(ctx, a, closed.ID, []string{"Red"})
				case 3:
					_, errs[i] = f.s.CastVote(ctx, a, open2.ID, []string{"Green"})
				}
			})
		}
		wg.Wait()
		for i, err := range errs {
			var ve *models.ValidationError
			switch i % 4 {
			case 0, 3:
				if err != nil {
					t.Fatalf("vote %d: %v", i, err)
				}
			case 1:
				if !errors.As(err, &ve) {
					t.Fatalf("vote %d with an unknown option: %v", i, err)
				}
			case 2:
				if !errors.Is(err, models.ErrClosed) {
					t.Fatalf("vote %d on a closed debate: %v", i, err)
				}
			}
		}
		for _, c := range []struct {
			d      *models.Debate
			option int
		}{{open1, 0}, {open2, 1}, {closed, 0}} {
			r, err := f.s.Results(ctx, c.d.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := n / 4
			if c.d.ID == closed.ID {
				want = 0
			}
			if r.Voters != want || r.Options[c.option].Count != want {
				t.Fatalf("debate %d: %+v, want %d voters", c.d.ID, r, want)
			}
			if c.d.ID == closed.ID {
				continue
			}
			rep, err := f.s.Recount(ctx, nil, c.d.ID)
			if err != nil || len(rep.Differences) != 0 {
				t.Fatalf("recount %+v %v", rep, err)
			}
			cast, err := f.s.DB.NewSelect().TableExpr("events").Where("kind = ? AND object_id = ? AND object_type = ?",
				models.EventVoteCast, c.d.ID, models.ObjectTypeDebate).Count(ctx)
			if err != nil || int(cast) != want {
				t.Fatalf("debate %d: %d vote.cast events, want %d (%v)", c.d.ID, cast, want, err)
			}
		}
	})
}
