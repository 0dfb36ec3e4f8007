package models_test

import (
	"context"
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
