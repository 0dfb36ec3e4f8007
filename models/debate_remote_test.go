package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

func TestRemoteDebate(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		origin := f.remote(t, "town", "other.example")
		in := models.RemoteDebate{URI: "https://other.example/d/7", Question: "<p>Shared question?</p>",
			Options: []string{"Yes", "No"}, Counts: []int{3, 1}, Voters: 4, Updated: f.now.Add(-time.Hour), SpaceID: f.space.ID}
		d, err := f.s.UpsertRemoteDebate(ctx, origin, in)
		if err != nil || d.Local || d.Origin != "other.example" || d.Question != "Shared question?" || !d.IsOpen() {
			t.Fatalf("%+v %v", d, err)
		}
		t.Run("only its author updates it", func(t *testing.T) {
			if _, err := f.s.UpsertRemoteDebate(ctx, f.remote(t, "mallory", "other.example"), in); !errors.Is(err, models.ErrForbidden) {
				t.Fatalf("got %v", err)
			}
			if _, err := f.s.UpsertRemoteDebate(ctx, f.remote(t, "eve", "evil.example"), in); !errors.Is(err, models.ErrForbidden) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("local vote, final", func(t *testing.T) {
			if _, err := f.s.CastVote(ctx, f.users[0].Actor, d.ID, []string{"No"}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.CastVote(ctx, f.users[0].Actor, d.ID, []string{"Yes"}); !errors.Is(err, models.ErrDuplicate) {
				t.Fatalf("changed: %v", err)
			}
			if _, err := f.s.CloseDebate(ctx, f.mod, d.ID); !errors.Is(err, models.ErrForbidden) {
				t.Fatalf("closed a remote debate: %v", err)
			}
		})
		t.Run("stale update ignored, newer applied", func(t *testing.T) {
			stale := in
			stale.Counts, stale.Voters = []int{0, 0}, 0
			if _, err := f.s.UpsertRemoteDebate(ctx, origin, stale); err != nil {
				t.Fatal(err)
			}
			if r, _ := f.s.Results(ctx, d.ID); r.Voters != 5 {
				t.Fatalf("stale update applied: %+v", r)
			}
			newer := in
			newer.Counts, newer.Voters, newer.Updated, newer.Closed = []int{3, 2}, 5, f.now, true
			got, err := f.s.UpsertRemoteDebate(ctx, origin, newer)
			if err != nil || !got.IsClosed() {
				t.Fatalf("%+v %v", got, err)
			}
			if r, _ := f.s.Results(ctx, d.ID); r.Voters != 5 || r.Options[1].Count != 2 {
				t.Fatalf("%+v", r)
			}
			if _, err := f.s.CastVote(ctx, f.users[1].Actor, d.ID, []string{"Yes"}); !errors.Is(err, models.ErrClosed) {
				t.Fatalf("vote on closed remote: %v", err)
			}
		})
	})
}

// TestRemoteOptionsResetRacesVote (PostgreSQL, where writers run at once):
// new options from the origin void the ballots cast on the old ones, also
// a ballot whose transaction is in flight. The in-flight ballot here holds
// the debate's row as a vote does at its end (castBallot); the reset must
// wait for it and then delete its rows. Reading the debate without the
// row lock, the reset deleted what it saw, the ballot committed, and its
// votes stayed on options that no longer exist.
func TestRemoteOptionsResetRacesVote(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		if f.s.Dialect != models.Postgres {
			t.Skip("SQLite runs one writer at a time")
		}
		ctx := context.Background()
		origin := f.remote(t, "town", "other.example")
		in := models.RemoteDebate{URI: "https://other.example/d/8", Question: "Shared question?",
			Options: []string{"Yes", "No"}, Updated: f.now.Add(-time.Hour)}
		d, err := f.s.UpsertRemoteDebate(ctx, origin, in)
		if err != nil {
			t.Fatal(err)
		}
		voter := f.users[0].Actor
		vote, err := f.s.DB.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer vote.Rollback()
		steps := []string{
			"INSERT INTO debate_votes (debate_id, actor_id, option_index, receipt, created_at) VALUES (?, ?, 0, 'r', now())",
			"INSERT INTO debate_ballots (debate_id, actor_id, receipt, host, created_at, updated_at) VALUES (?, ?, 'r', '', now(), now())",
		}
		for _, q := range steps {
			if _, err := vote.ExecContext(ctx, q, d.ID, voter.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := vote.ExecContext(ctx, "SELECT id FROM debates WHERE id = ? FOR NO KEY UPDATE", d.ID); err != nil {
			t.Fatal(err)
		}
		reset := make(chan error, 1)
		go func() {
			next := in
			next.Options, next.Updated = []string{"Yes", "No", "Later"}, f.now
			_, err := f.s.UpsertRemoteDebate(ctx, origin, next)
			reset <- err
		}()
		time.Sleep(300 * time.Millisecond) // the reset reaches the debate's row
		if err := vote.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-reset; err != nil {
			t.Fatal(err)
		}
		n, err := f.s.DB.NewSelect().TableExpr("debate_votes").Where("debate_id = ?", d.ID).Count(ctx)
		if err != nil || n != 0 {
			t.Fatalf("%d votes on the old options survived the reset (%v)", n, err)
		}
	})
}

// TestRecountRemoteCopy: the tally of a debate copied from another
// instance is its origin's, counting every instance's ballots; a recount
// here, which stores only the local members' share, refuses and leaves it
// as the origin published it.
func TestRecountRemoteCopy(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		origin := f.remote(t, "town", "other.example")
		d, err := f.s.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: "https://other.example/d/7", Question: "Shared question?",
			Options: []string{"Yes", "No"}, Counts: []int{150, 50}, Voters: 200, Updated: f.now.Add(-time.Hour), SpaceID: f.space.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.CastVote(ctx, f.users[0].Actor, d.ID, []string{"No"}); err != nil {
			t.Fatal(err)
		}
		before, err := f.s.Results(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Recount(ctx, f.mod, d.ID); !errors.Is(err, models.ErrRemoteTally) || !errors.Is(err, models.ErrConflict) {
			t.Fatalf("recount of a remote copy: %v", err)
		}
		after, err := f.s.Results(ctx, d.ID)
		if err != nil || after.Voters != before.Voters || after.Voters < 200 || after.Options[0].Count != 150 {
			t.Errorf("the origin's tally was rewritten: %+v -> %+v (%v)", before, after, err)
		}
	})
}
