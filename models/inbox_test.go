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

// TestFinishInboxItems: one call records a batch's outcomes: applied items
// are processed, a failure is due again after its backoff, a permanent
// one (or one out of attempts) is processed with its error, and items
// whose lease another node took are left alone.
func TestFinishInboxItems(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		for i := range 5 {
			it := &models.InboxItem{ActivityID: fmt.Sprintf("https://peer.example/a/%d", i), Type: "Create",
				ActorURI: "https://peer.example/users/u", KeyOwner: "https://peer.example/users/u", Host: "peer.example", Body: "{}"}
			if ok, err := s.StoreInboxItem(ctx, it); err != nil || !ok {
				t.Fatalf("store: %v %v", ok, err)
			}
		}
		items, err := s.ClaimInboxItems(ctx, "node", 10, time.Minute)
		if err != nil || len(items) != 5 {
			t.Fatalf("claim: %d %v", len(items), err)
		}
		items[3].Attempts = models.MaxInboxAttempts // as if it had failed that often
		retry := errors.New("origin down")
		err = s.FinishInboxItems(ctx, "node",
			models.InboxOutcome{Item: &items[0]},
			models.InboxOutcome{Item: &items[1]},
			models.InboxOutcome{Item: &items[2], Err: retry, RetryIn: time.Hour},
			models.InboxOutcome{Item: &items[3], Err: retry, RetryIn: time.Hour},
			models.InboxOutcome{Item: &items[4], Err: errors.New("malformed")},
		)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FinishInboxItems(ctx, "other-node", models.InboxOutcome{Item: &items[2]}); err != nil {
			t.Fatal(err)
		}
		var rows []models.InboxItem
		if err := s.DB.NewSelect().Model(&rows).Order("id").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			processed, errText := r.ProcessedAt != nil, r.Error
			want := map[int]struct {
				processed bool
				err       string
			}{0: {true, ""}, 1: {true, ""}, 2: {false, "origin down"}, 3: {true, "origin down"}, 4: {true, "malformed"}}[i]
			if processed != want.processed || errText != want.err || r.LockedBy != "" {
				t.Errorf("item %d: processed %v error %q locked by %q, want %v %q unlocked", i, processed, errText, r.LockedBy, want.processed, want.err)
			}
		}
		if !rows[2].NextAttemptAt.After(s.Now().Add(50 * time.Minute)) {
			t.Errorf("retried item due at %s, want in an hour", rows[2].NextAttemptAt)
		}
		if n, err := s.InboxBacklog(ctx); err != nil || n != 1 {
			t.Errorf("backlog %d %v, want 1", n, err)
		}
	})
}
