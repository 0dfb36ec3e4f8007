package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestTombstones: a deleted id is remembered once, whatever the number of
// Deletes, and only that id is tombstoned.
func TestTombstones(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		const dead = "https://remote.example/notes/1"
		for range 2 { // a second Delete is not an error
			if err := s.AddTombstone(ctx, dead, "Note", "https://remote.example/users/ann"); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			uri  string
			want bool
		}{
			{dead, true},
			{"https://remote.example/notes/10", false},
			{"https://remote.example/notes/", false},
			{"", false},
		} {
			got, err := s.IsTombstoned(ctx, c.uri)
			if err != nil || got != c.want {
				t.Errorf("IsTombstoned(%q) = %v, %v; want %v", c.uri, got, err, c.want)
			}
		}
		ts, err := s.TombstoneByURI(ctx, dead)
		if err != nil || ts.Type != "Note" || ts.ActorURI != "https://remote.example/users/ann" {
			t.Fatalf("tombstone %+v %v", ts, err)
		}
		if _, err := s.TombstoneByURI(ctx, "https://remote.example/notes/2"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
	})
}
