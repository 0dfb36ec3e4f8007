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
