package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestReportForwardedBackfill: a report filed before 20261207140000 asking
// to forward was forwarded when filed, and shows so after the upgrade
// (forwarded_at = created_at, by no moderator); one filed without asking
// is not forwarded, so a moderator may still forward it.
func TestReportForwardedBackfill(t *testing.T) {
	dbtest.EachDSN(t, func(t *testing.T, dialect, dsn string) {
		ctx := context.Background()
		s := openBefore(t, dsn, "20261207140000")
		filed := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		actor := rawLocalActor(t, s, filed)
		for i, forward := range []bool{true, false} {
			if _, err := s.DB.NewRaw(`INSERT INTO reports (object_type, object_id, reporter_id, reason, status, resolution, created_at, forward)
				VALUES ('comment', ?, ?, 'spam', 'open', '', ?, ?)`, i+1, actor, filed, forward).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			Forward     bool
			ForwardedAt *time.Time
			ForwardedBy *int64
		}
		if err := s.DB.NewRaw("SELECT forward, forwarded_at, forwarded_by FROM reports ORDER BY object_id").Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].ForwardedAt == nil || !rows[0].ForwardedAt.Equal(filed) || rows[0].ForwardedBy != nil {
			t.Errorf("the report asking to forward: %+v, want forwarded at %v by no one", rows, filed)
		}
		if len(rows) == 2 && (rows[1].ForwardedAt != nil || rows[1].ForwardedBy != nil) {
			t.Errorf("the report not asking to forward: %+v, want not forwarded", rows[1])
		}
	})
}
