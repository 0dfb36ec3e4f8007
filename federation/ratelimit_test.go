package federation

import (
	"fmt"
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

// TestKeyLimiterFullSweepsOnceASecond: a map full of live buckets (a
// flood of new keys) is swept once a second at most, not at every new
// key under the lock every caller takes.
func TestKeyLimiterFullSweepsOnceASecond(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	l := newKeyLimiter(10, 100, func() time.Time { return now }) // full again after 10 s
	l.maxKeys = 100
	for i := range 100 {
		l.allow(fmt.Sprint("old", i))
	}
	before := l.sweeps
	for i := range 1000 {
		now = now.Add(time.Millisecond) // 1,000 new keys in one second
		if ok, retry := l.allow(fmt.Sprint("new", i)); ok || retry <= 0 {
			t.Fatalf("new key %d admitted into a full map of live buckets (%v, %v)", i, ok, retry)
		}
	}
	if n := l.sweeps - before; n > 1 {
		t.Errorf("%d sweeps in one second of new keys, want at most 1", n)
	}
}

// TestLimitHost: one server's budget, however its name is spelled.
func TestLimitHost(t *testing.T) {
	for in, want := range map[string]string{
		"Peer.Example": "peer.example", "peer.example.": "peer.example", "peer.example:443": "peer.example",
		"peer.example.:0443": "peer.example", "127.0.0.1:8080": "127.0.0.1", "127.0.0.1:008080": "127.0.0.1",
		"[::ffff:127.0.0.1]:80": "127.0.0.1", "[2001:DB8::1]:443": "2001:db8::1", "[2001:db8:0::1]": "2001:db8::1",
	} {
		if got := limitHost(in); got != want {
			t.Errorf("limitHost(%q) = %q, want %q", in, got, want)
		}
	}
}
