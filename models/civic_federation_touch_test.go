package models

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestTouchCountUpdate: ScheduleCountUpdate's fast path writes only when
// an Update is already pending and the change leaves its due time as it
// is, and then only requested_at moves; otherwise it leaves the row to
// the full path. (SQLite only: dbtest imports models; the behaviour on
// both dialects is TestCountUpdateBatching's.)
func TestTouchCountUpdate(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 123400000, time.UTC)
	now := t0
	s, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "odn.db"), WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const window = 30 * time.Second
	tm := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
	tests := []struct {
		name    string
		before  func(t *testing.T) // state before the change at now
		at      time.Duration      // now = t0 + at
		force   bool
		wantHit bool
		wantDue *time.Time
	}{
		{"no row yet", nil, 0, false, false, nil},
		{"pending, due unchanged", func(t *testing.T) {
			if err := s.ScheduleCountUpdate(ctx, "debate", 1, now, window, false); err != nil {
				t.Fatal(err)
			}
		}, time.Second, false, true, tm(0)},
		{"sent, nothing pending", func(t *testing.T) {
			cus, err := s.ClaimCountUpdates(ctx, "n1", 10, time.Minute)
			if err != nil || len(cus) != 1 {
				t.Fatalf("claim %v %v", cus, err)
			}
			if err := s.FinishCountUpdate(ctx, cus[0], "n1", nil, window); err != nil {
				t.Fatal(err)
			}
			if row, err := s.CountUpdateOf(ctx, "debate", 1); err != nil || row.DueAt != nil {
				t.Fatalf("after the send: %+v %v, want nothing pending", row, err)
			}
		}, 2 * time.Second, false, false, nil},
		{"pending one window after the send", func(t *testing.T) {
			if err := s.ScheduleCountUpdate(ctx, "debate", 1, now, window, false); err != nil {
				t.Fatal(err)
			}
		}, 3 * time.Second, false, true, tm(time.Second + window)},
		{"forced earlier", nil, 4 * time.Second, true, false, tm(time.Second + window)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before(t)
			}
			now = t0.Add(tc.at)
			hit, err := s.touchCountUpdate(ctx, "debate", 1, now, window, tc.force, s.Now())
			if err != nil || hit != tc.wantHit {
				t.Fatalf("touch: %v %v, want %v", hit, err, tc.wantHit)
			}
			if !hit {
				return
			}
			row, err := s.CountUpdateOf(ctx, "debate", 1)
			if err != nil || !row.RequestedAt.Equal(now) || row.DueAt == nil || !row.DueAt.Equal(*tc.wantDue) {
				t.Fatalf("row %+v %v: want requested %s, due %s", row, err, now, tc.wantDue)
			}
		})
	}
}
