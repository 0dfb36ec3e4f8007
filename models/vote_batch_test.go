package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

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
		actors := f.remotes(t, "w", n, 4)
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

// TestVoteBatchRefusedAfterWrite: in a shared ballot transaction, a
// change refused after its ballot was written (a remote vote whose record
// is invalid) rolls back its rows and leaves the tally the next changes
// start from as it was: the batch reads a debate once and writes its
// cached tally once (ballotMemo), so a refused change must not leak its
// count into either.
func TestVoteBatchRefusedAfterWrite(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		d := f.debate(t, models.DebateInput{}, true)
		const rounds, n = 4, 48
		good := 0
		for r := range rounds {
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i, a := range f.remotes(t, fmt.Sprint("r", r, "v"), n, 3) {
				rec := &models.Participation{URI: fmt.Sprintf("https://%s/votes/%d", a.Host, i), Kind: models.ParticipationVote,
					ObjectType: models.ObjectTypeDebate, ObjectID: d.ID, ActorID: a.ID, Option: "Blue"}
				if i%3 == 0 {
					rec.URI = "" // refused by recordParticipation, after the ballot is written
				} else {
					good++
				}
				wg.Go(func() { _, errs[i] = f.s.AddRemoteVoteOption(ctx, a, d.ID, "Blue", rec) })
			}
			wg.Wait()
			for i, err := range errs {
				var ve *models.ValidationError
				if (i%3 == 0) != errors.As(err, &ve) || (i%3 != 0 && err != nil) {
					t.Fatalf("round %d vote %d: %v", r, i, err)
				}
			}
		}
		r, err := f.s.Results(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Voters != good || r.Options[2].Count != good {
			t.Fatalf("results %+v, want %d voters for Blue", r, good)
		}
		rep, err := f.s.Recount(ctx, nil, d.ID)
		if err != nil || len(rep.Differences) != 0 {
			t.Fatalf("recount %+v %v", rep, err)
		}
	})
}

// wakeSink records the queues the store tells it about.
type wakeSink struct {
	mu    sync.Mutex
	calls []models.Queue
}

func (w *wakeSink) Notify(q models.Queue) { w.mu.Lock(); w.calls = append(w.calls, q); w.mu.Unlock() }

func (w *wakeSink) told() (calls int, q models.Queue) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.calls {
		q |= c
	}
	return len(w.calls), q
}

// TestBallotWake: a ballot change wakes the outbox (QueueEvents) shortly
// after its commit, not at once, and changes committed meanwhile share
// one wake-up; a refused change wakes nobody.
func TestBallotWake(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		d := f.debate(t, models.DebateInput{}, true)
		sink := &wakeSink{}
		f.s.SetEvents(sink)
		defer f.s.SetEvents(nil)
		waitTold := func(t *testing.T) (int, models.Queue) {
			t.Helper()
			for range 200 {
				if n, q := sink.told(); n > 0 {
					return n, q
				}
				time.Sleep(5 * time.Millisecond)
			}
			t.Fatal("the event sink was never told")
			return 0, 0
		}
		tests := []struct {
			name   string
			voters []*models.Account
			option string
			wantQ  models.Queue // 0: no wake-up
		}{
			{"one vote", f.users[:1], "Red", models.QueueEvents},
			{"a burst", f.users[1:], "Green", models.QueueEvents},
			{"refused", f.users[:1], "Purple", 0},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				time.Sleep(30 * time.Millisecond) // late wake-ups of the case before
				sink.mu.Lock()
				sink.calls = nil
				sink.mu.Unlock()
				var wg sync.WaitGroup
				errs := make([]error, len(tc.voters))
				for i, acc := range tc.voters {
					wg.Go(func() { _, errs[i] = f.s.CastVote(ctx, acc.Actor, d.ID, []string{tc.option}) })
				}
				wg.Wait()
				if tc.wantQ == 0 {
					time.Sleep(50 * time.Millisecond)
					if n, _ := sink.told(); errs[0] == nil || n != 0 {
						t.Fatalf("refused vote: err %v, %d wake-ups", errs[0], n)
					}
					return
				}
				for i, err := range errs {
					if err != nil {
						t.Fatalf("vote %d: %v", i, err)
					}
				}
				n, q := waitTold(t)
				if q != tc.wantQ || n > len(tc.voters) {
					t.Fatalf("told %d times, queues %b; want %b, at most once per vote", n, q, tc.wantQ)
				}
			})
		}
	})
}

// TestVoteRowsTimes: the rows a vote writes through prepared statements
// (ballot, vote, event) hold their times exactly as bun writes them, so
// that queries comparing times (bun arguments) find them.
func TestVoteRowsTimes(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		d := f.debate(t, models.DebateInput{}, true)
		for _, at := range []time.Time{
			time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC),
			time.Date(2026, 11, 23, 12, 0, 1, 123400000, time.UTC), // trailing zero
			time.Date(2026, 11, 23, 12, 0, 2, 999999000, time.UTC),
		} {
			f.now = at
			acc := f.users[at.Second()]
			if _, err := f.s.CastVote(ctx, acc.Actor, d.ID, []string{"Blue"}); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				table, where string
				arg          any
			}{
				{"debate_ballots", "actor_id = ? AND created_at = ? AND updated_at = created_at", acc.Actor.ID},
				{"debate_votes", "actor_id = ? AND created_at = ?", acc.Actor.ID},
				{"events", "actor_id = ? AND created_at = ? AND processed_at IS NULL", acc.Actor.ID},
			}
			for _, tc := range tests {
				t.Run(fmt.Sprint(tc.table, " ", at.Format(time.StampMicro)), func(t *testing.T) {
					var n int
					err := f.s.DB.NewRaw("SELECT count(*) FROM "+tc.table+" WHERE "+tc.where, tc.arg, at).Scan(ctx, &n)
					if err != nil || n != 1 {
						t.Fatalf("%d rows at %s (%v), want 1", n, at, err)
					}
				})
			}
		}
	})
}
