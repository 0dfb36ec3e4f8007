package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// What a local member taking part in a copy is told when its origin's
// Update says the object changed: what the origin tells its own, once,
// however often and in whatever order the versions arrive (a replay,
// the space's relay of the same Update, a refetch).

// toldOf counts acc's notifications of kind about (typ, id).
func toldOf(t *testing.T, f *civicFixture, acc *models.Account, kind, typ string, id int64) int {
	t.Helper()
	notes, err := f.s.Notifications(context.Background(), acc, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range notes {
		if x.Kind == kind && x.ObjectType == typ && x.ObjectID == id {
			n++
		}
	}
	return n
}

// TestRemoteDebateCloseTellsVoters: the origin's Update closing a debate
// tells the copy's local voters that the results are final, once; a
// member who did not vote is not told.
func TestRemoteDebateCloseTellsVoters(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		origin := f.remote(t, "town", "far.example")
		t0 := f.now.Add(-time.Hour)
		open := models.RemoteDebate{URI: "https://far.example/d/1", Question: "Trees?", Options: []string{"Yes", "No"},
			Counts: []int{1, 0}, Voters: 1, Updated: t0}
		d, err := f.s.UpsertRemoteDebate(ctx, origin, open)
		if err != nil {
			t.Fatal(err)
		}
		voter, other := f.users[0], f.users[1]
		if _, err := f.s.CastVote(ctx, voter.Actor, d.ID, []string{"No"}); err != nil {
			t.Fatal(err)
		}
		counted := open
		counted.Counts, counted.Voters, counted.Updated = []int{1, 1}, 2, t0.Add(time.Minute)
		closed := counted
		closed.Closed, closed.Updated = true, t0.Add(2*time.Minute)
		// The close, its replay, then the older count Update late.
		for _, in := range []models.RemoteDebate{closed, closed, counted, closed} {
			if _, err := f.s.UpsertRemoteDebate(ctx, origin, in); err != nil {
				t.Fatal(err)
			}
		}
		if n := toldOf(t, f, voter, models.NotifyDebateClosed, models.ObjectTypeDebate, d.ID); n != 1 {
			t.Errorf("voter told %d times of the close, want 1", n)
		}
		if n := toldOf(t, f, other, models.NotifyDebateClosed, models.ObjectTypeDebate, d.ID); n != 0 {
			t.Errorf("a member who did not vote told %d times", n)
		}
		// A later Update of the closed debate (a correction) tells no one.
		later := closed
		later.DescriptionHTML, later.Updated = "<p>Thanks.</p>", t0.Add(3*time.Minute)
		if _, err := f.s.UpsertRemoteDebate(ctx, origin, later); err != nil {
			t.Fatal(err)
		}
		if n := toldOf(t, f, voter, models.NotifyDebateClosed, models.ObjectTypeDebate, d.ID); n != 1 {
			t.Errorf("voter told %d times after a later Update, want 1", n)
		}
	})
}
