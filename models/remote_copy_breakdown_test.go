package models_test

import (
	"context"
	"maps"
	"testing"
	"time"
)

// TestCopyResultsPerInstance: a copy's voters per instance add up to its
// voters, as the origin's do ("results per instance and in total"). The
// copy took the origin's total but computed the breakdown from its own
// ballots only (1 of 200); it now keeps the origin's odn:byInstance and
// adds the ballots cast here since, or, for an origin that
// publishes none (a Mastodon poll), shows the voters not from here under
// the origin's host. A breakdown that adds up to more than the voters is
// not believed.
func TestCopyResultsPerInstance(t *testing.T) {
	type step struct {
		origin map[string]int // odn:byInstance of the origin's Update (nil: none)
		voters int            // votersCount of that Update, 4 of them No
		voter  int            // then this member votes Yes (-1: none)
		want   map[string]int
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"no breakdown (Mastodon)", []step{
			{nil, 199, 0, map[string]int{"other.example": 199, "town.example": 1}},
			{nil, 200, -1, map[string]int{"other.example": 199, "town.example": 1}},
			{nil, 200, 1, map[string]int{"other.example": 199, "town.example": 2}},
		}},
		{"origin's breakdown", []step{
			{map[string]int{"other.example": 150, "h.example": 49}, 199, 0,
				map[string]int{"other.example": 150, "h.example": 49, "town.example": 1}},
			{map[string]int{"other.example": 150, "h.example": 49, "town.example": 1}, 200, -1,
				map[string]int{"other.example": 150, "h.example": 49, "town.example": 1}},
			{map[string]int{"other.example": 150, "h.example": 49, "town.example": 1}, 200, 1,
				map[string]int{"other.example": 150, "h.example": 49, "town.example": 2}},
		}},
		{"breakdown beyond the voters", []step{
			{map[string]int{"other.example": 5000}, 199, 0, map[string]int{"other.example": 199, "town.example": 1}},
		}},
	}
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		origin := f.remote(t, "town", "other.example")
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				uri := "https://other.example/d/breakdown-" + string(rune('a'+i))
				for _, st := range c.steps {
					f.tick(time.Minute)
					in := remoteDebate(uri, st.voters, f.now)
					in.ByInstance = st.origin
					d, err := f.s.UpsertRemoteDebate(ctx, origin, in)
					if err != nil {
						t.Fatal(err)
					}
					if st.voter >= 0 {
						if _, err := f.s.CastVote(ctx, f.users[st.voter].Actor, d.ID, []string{"Yes"}); err != nil {
							t.Fatal(err)
						}
					}
					r, err := f.s.Results(ctx, d.ID)
					if err != nil {
						t.Fatal(err)
					}
					sum := 0
					for _, n := range r.ByInstance {
						sum += n
					}
					if !maps.Equal(r.ByInstance, st.want) || sum != r.Voters {
						t.Errorf("origin %v, %d voters: the copy shows %d voters, per instance %v; want %v",
							st.origin, st.voters, r.Voters, r.ByInstance, st.want)
					}
				}
			})
		}
	})
}
