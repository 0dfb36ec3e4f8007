package models_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestFinishEventOnOneConnection: finishing an event must not need a
// second pool connection while its transaction holds the SQLite write
// lock. Under load every other connection waits for that lock (busy
// timeout 10 s), so a query outside the transaction deadlocked the
// outbox worker and every vote behind it (found by odnbench vote_api).
func TestFinishEventOnOneConnection(t *testing.T) {
	s := dbtest.SQLite(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sp, err := s.CreateSpace(ctx, nil, models.SpaceInput{Name: "ville", Kind: models.KindCity})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s.ClaimEvents(ctx, "node", 10, time.Minute)
	if err != nil || len(evs) == 0 {
		t.Fatalf("claim: %v %d", err, len(evs))
	}
	s.DB.SetMaxOpenConns(1)
	out := models.Outgoing{ActivityID: "http://x/acts/1", Body: []byte(`{}`), SignerID: sp.ActorID, Inboxes: []string{"http://peer.example/inbox"}}
	if err := s.FinishEvent(ctx, evs[0].ID, "node", out); err != nil {
		t.Fatalf("finish event with deliveries on one connection: %v", err)
	}
	if len(evs) > 1 {
		if err := s.FinishEvent(ctx, evs[1].ID, "node"); err != nil {
			t.Fatalf("finish event without deliveries on one connection: %v", err)
		}
	}
}

// TestFinishEvents: one call finishes a batch of claimed events and queues
// their deliveries, except for an event another node claimed after this
// one's lease expired: that one stays the other node's, without its
// deliveries queued twice.
func TestFinishEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var actorID int64
		for _, name := range []string{"ville", "bourg", "hameau"} {
			sp, err := s.CreateSpace(ctx, nil, models.SpaceInput{Name: name, Kind: models.KindCity})
			if err != nil {
				t.Fatal(err)
			}
			actorID = sp.ActorID
		}
		evs, err := s.ClaimEvents(ctx, "node", 10, time.Minute)
		if err != nil || len(evs) != 3 {
			t.Fatalf("claim: %v %d", err, len(evs))
		}
		if _, err := s.DB.NewUpdate().Model((*models.Event)(nil)).Set("claimed_by = 'other'").Where("id = ?", evs[2].ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		out := func(i int) []models.Outgoing {
			return []models.Outgoing{{ActivityID: fmt.Sprintf("http://x/acts/%d", i), Body: []byte(`{}`), SignerID: actorID,
				Inboxes: []string{"http://a.example/inbox", "http://b.example/inbox"}}}
		}
		n, err := s.FinishEvents(ctx, "node", models.FinishedEvent{ID: evs[0].ID, Out: out(0)},
			models.FinishedEvent{ID: evs[1].ID}, models.FinishedEvent{ID: evs[2].ID, Out: out(2)})
		if err != nil || n != 2 {
			t.Fatalf("finish: %d %v, want 2", n, err)
		}
		if ds, _ := s.DeliveriesFor(ctx, "http://x/acts/0"); len(ds) != 2 {
			t.Errorf("event 0 queued %d deliveries, want 2", len(ds))
		}
		if ds, _ := s.DeliveriesFor(ctx, "http://x/acts/2"); len(ds) != 0 {
			t.Errorf("the other node's event queued %d deliveries here", len(ds))
		}
		if left, _ := s.PendingEvents(ctx, 10); len(left) != 1 || left[0].ID != evs[2].ID {
			t.Errorf("unprocessed events %+v, want only the other node's", left)
		}
		if err := s.FinishEvent(ctx, evs[2].ID, "node"); !errors.Is(err, models.ErrConflict) {
			t.Errorf("finishing another node's event: %v, want ErrConflict", err)
		}
	})
}
