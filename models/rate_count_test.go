package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestRateCounts: counts add up per limiter, key and window, concurrent
// adds are not lost, only a hash of the key is stored, and a window's row
// is purged once it can no longer be read as the previous window.
func TestRateCounts(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 30, 0, time.UTC)
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		const length = time.Minute
		w0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		w1 := w0.Add(length)
		add := func(limiter, key string, w time.Time, n int) {
			t.Helper()
			if err := s.AddRateCount(ctx, limiter, key, w, length, n); err != nil {
				t.Fatal(err)
			}
		}
		counts := func(limiter, key string, cur, prev time.Time) (int, int) {
			t.Helper()
			c, p, err := s.RateCounts(ctx, limiter, key, cur, prev)
			if err != nil {
				t.Fatal(err)
			}
			return c, p
		}
		add("auth", "192.0.2.7", w0, 1)
		add("auth", "192.0.2.7", w0, 2)
		add("auth", "192.0.2.8", w0, 5)
		add("other", "192.0.2.7", w0, 7)
		done := make(chan error)
		for range 8 {
			go func() { done <- s.AddRateCount(ctx, "auth", "192.0.2.7", w1, length, 1) }()
		}
		for range 8 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			limiter, key     string
			cur, prev        time.Time
			wantCur, wantPrv int
		}{
			{"auth", "192.0.2.7", w0, w0.Add(-length), 3, 0},
			{"auth", "192.0.2.7", w1, w0, 8, 3},
			{"auth", "192.0.2.8", w1, w0, 0, 5},
			{"other", "192.0.2.7", w1, w0, 0, 7},
			{"auth", "198.51.100.1", w1, w0, 0, 0},
			{"auth", "192.0.2.7", w1.Add(length), w1, 0, 8},
		} {
			if cur, prev := counts(c.limiter, c.key, c.cur, c.prev); cur != c.wantCur || prev != c.wantPrv {
				t.Errorf("%s %s at %s: %d, %d; want %d, %d", c.limiter, c.key, c.cur.Format("15:04"), cur, prev, c.wantCur, c.wantPrv)
			}
		}
		// Only hashes are stored.
		var keys []string
		if err := s.DB.NewSelect().Table("rate_counts").Column("key_hash").Scan(ctx, &keys); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if strings.Contains(k, "192.0.2") || len(k) != 32 {
				t.Errorf("stored key %q is not a hash", k)
			}
		}
		// w0 is read as the previous window until w1 ends, w1 until w1+2.
		for _, c := range []struct {
			at   time.Time
			want int64
		}{
			{w1.Add(length - time.Second), 0},
			{w1.Add(length), 3},
			{w1.Add(2 * length), 1},
		} {
			now = c.at
			if n, err := s.PurgeRateCounts(ctx); err != nil || n != c.want {
				t.Errorf("purge at %s: %d rows, %v; want %d", c.at.Format("15:04:05"), n, err, c.want)
			}
		}
		if cur, prev := counts("auth", "192.0.2.7", w1, w0); cur != 0 || prev != 0 {
			t.Errorf("purged windows still counted: %d, %d", cur, prev)
		}
		now = time.Date(2026, 12, 1, 12, 0, 30, 0, time.UTC)
	}, models.WithClock(func() time.Time { return now }))
}
