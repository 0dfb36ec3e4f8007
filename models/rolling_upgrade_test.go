package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestOlderNodeToleratesNewColumns: during a rolling upgrade, the first
// node of the new version migrates the shared PostgreSQL database while
// nodes of the old one still run. A column it adds must not stop them:
// bun refused to scan a row with a column its model lacks, so an older
// node could no longer claim deliveries (their jobs gained report_id) or
// read a debate until restarted. Simulated here by adding columns the
// models do not know.
func TestOlderNodeToleratesNewColumns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc := sender(t, s)
		for _, q := range []string{"ALTER TABLE deliveries ADD COLUMN from_the_future TEXT", "ALTER TABLE actors ADD COLUMN from_the_future TEXT"} {
			if _, err := s.DB.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		out := models.Outgoing{ActivityID: "https://x.example/a/1", Body: []byte("{}"), SignerID: acc.Actor.ID,
			Inboxes: []string{"https://peer.example/inbox"}}
		if _, err := s.EnqueueDeliveries(ctx, out); err != nil {
			t.Fatal(err)
		}
		jobs, err := s.ClaimDeliveries(ctx, "node-a", 10, time.Minute)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("claim with a column this version does not know: %d jobs, %v", len(jobs), err)
		}
		if _, err := s.ActorByURI(ctx, acc.Actor.URI); err != nil {
			t.Errorf("read an actor with a column this version does not know: %v", err)
		}
	})
}
