package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestReportForwardOutcomeBackfill: a report forwarded before
// 20261207190000 reads "sent" (its Flag went to the outbox; what became
// of it is not known), one attempt, never delivered; a report not
// forwarded reads no status.
func TestReportForwardOutcomeBackfill(t *testing.T) {
	dbtest.EachDSN(t, func(t *testing.T, dialect, dsn string) {
		ctx := context.Background()
		s := openBefore(t, dsn, "20261207190000")
		filed := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		actor := rawLocalActor(t, s, filed)
		for i, at := range []*time.Time{&filed, nil} {
			if _, err := s.DB.NewRaw(`INSERT INTO reports (object_type, object_id, reporter_id, reason, status, resolution, created_at, forward, forwarded_at)
				VALUES ('comment', ?, ?, 'spam', 'open', '', ?, ?, ?)`, i+1, actor, filed, at != nil, at).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			ForwardStatus      string
			ForwardAttempts    int
			ForwardDeliveredAt *time.Time
		}
		if err := s.DB.NewRaw("SELECT forward_status, forward_attempts, forward_delivered_at FROM reports ORDER BY object_id").Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].ForwardStatus != "sent" || rows[0].ForwardAttempts != 1 || rows[0].ForwardDeliveredAt != nil {
			t.Errorf("the report forwarded before: %+v, want sent, one attempt, no delivery time", rows)
		}
		if len(rows) == 2 && (rows[1].ForwardStatus != "" || rows[1].ForwardAttempts != 0) {
			t.Errorf("the report not forwarded: %+v, want no status", rows[1])
		}
		var jobs int
		if err := s.DB.NewRaw("SELECT COUNT(*) FROM deliveries WHERE report_id IS NOT NULL").Scan(ctx, &jobs); err != nil {
			t.Errorf("deliveries.report_id: %v", err)
		}
	})
}
