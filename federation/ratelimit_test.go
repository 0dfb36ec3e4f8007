package federation

import (
	"testing"
	"time"
)

// TestKeyLimiter: a burst, then one token per 1/rate; buckets are per
// key; a bucket full again is forgotten; past maxKeys a new key is
// refused until an old bucket is full again.
func TestKeyLimiter(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	l := newKeyLimiter(2, 3, func() time.Time { return now }) // 2/s, burst 3: full again after 1.5 s
	l.maxKeys = 2
	type step struct {
		advance time.Duration
		key     string
		ok      bool
		retry   time.Duration
	}
	steps := []step{
		{0, "a", true, 0}, {0, "a", true, 0}, {0, "a", true, 0},
		{0, "a", false, 500 * time.Millisecond},
		{250 * time.Millisecond, "a", false, 250 * time.Millisecond},
		{250 * time.Millisecond, "a", true, 0},
		{0, "b", true, 0},                        // another key has its own bucket
		{0, "c", false, 1500 * time.Millisecond}, // two keys held, neither full: refused
		{1500 * time.Millisecond, "c", true, 0},  // a and b are full again: dropped, c admitted
	}
	for i, st := range steps {
		now = now.Add(st.advance)
		ok, retry := l.allow(st.key)
		if ok != st.ok || retry != st.retry {
			t.Errorf("step %d (%s): allow = %v, %v; want %v, %v", i, st.key, ok, retry, st.ok, st.retry)
		}
	}
	if len(l.buckets) != 1 {
		t.Errorf("%d buckets kept, want 1 (c)", len(l.buckets))
	}
}
