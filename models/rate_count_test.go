package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestRateCounts: each add returns the count of its limiter, key and
// window, and the previous window's; concurrent adds are not lost; only a
// hash of the key is stored; a window's row is purged once it can no
// longer be read as the previous window.
func TestRateCounts(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 30, 0, time.UTC)
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		const length = time.Minute
		w0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		w1 := w0.Add(length)
		add := func(limiter, key string, w time.Time) (int, int) {
			t.Helper()
			cur, prev, err := s.AddRateCount(ctx, limiter, key, w, length)
			if err != nil {
				t.Fatal(err)
			}
			return cur, prev
		}
		for _, c := range []struct {
			limiter, key      string
			w                 time.Time
			wantCur, wantPrev int
		}{
			{"auth", "192.0.2.7", w0, 1, 0},
			{"auth", "192.0.2.7", w0, 2, 0},
			{"auth", "192.0.2.7", w0, 3, 0},
			{"auth", "192.0.2.8", w0, 1, 0},
			{"other", "192.0.2.7", w0, 1, 0},
			{"auth", "192.0.2.8", w1, 1, 1},
			{"other", "192.0.2.7", w1, 1, 1},
			{"auth", "198.51.100.1", w1, 1, 0},
		} {
			if cur, prev := add(c.limiter, c.key, c.w); cur != c.wantCur || prev != c.wantPrev {
				t.Errorf("%s %s at %s: %d, %d; want %d, %d", c.limiter, c.key, c.w.Format("15:04"), cur, prev, c.wantCur, c.wantPrev)
			}
		}
		// Concurrent adds are not lost: each sees its own count, 1 to 8.
		seen := make(chan int)
		for range 8 {
			go func() {
				cur, prev, err := s.AddRateCount(ctx, "auth", "192.0.2.7", w1, length)
				if err != nil || prev != 3 {
					t.Errorf("concurrent add: %d, %d, %v; want the previous window's 3", cur, prev, err)
				}
				seen <- cur
			}()
		}
		got := map[int]bool{}
		for range 8 {
			got[<-seen] = true
		}
		for i := 1; i <= 8; i++ {
			if !got[i] {
				t.Errorf("concurrent adds returned %v; want each of 1 to 8 once", got)
				break
			}
		}
		if cur, prev := add("auth", "192.0.2.7", w1.Add(length)); cur != 1 || prev != 8 {
			t.Errorf("the window after: %d, %d; want 1, 8", cur, prev)
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
		// w0 is read as the previous window until w1 ends, w1 until w1+2,
		// w1+1 until w1+3.
		for _, c := range []struct {
			at   time.Time
			want int64
		}{
			{w1.Add(length - time.Second), 0},
			{w1.Add(length), 3},
			{w1.Add(2 * length), 4},
			{w1.Add(3 * length), 1},
		} {
			now = c.at
			if n, err := s.PurgeRateCounts(ctx); err != nil || n != c.want {
				t.Errorf("purge at %s: %d rows, %v; want %d", c.at.Format("15:04:05"), n, err, c.want)
			}
		}
		if cur, prev := add("auth", "192.0.2.7", w1); cur != 1 || prev != 0 {
			t.Errorf("purged windows still counted: %d, %d; want 1, 0", cur, prev)
		}
		now = time.Date(2026, 12, 1, 12, 0, 30, 0, time.UTC)
	}, models.WithClock(func() time.Time { return now }))
}
