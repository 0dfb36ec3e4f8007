package federation

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestHoldBack: the inbox worker holds back while POSTs arrive at
// burstRate or more, for at most InboxLag from the first hold; a slower
// flow, a lone POST or a quiet inbox do not hold it.
func TestHoldBack(t *testing.T) {
	s := &Service{opts: Options{InboxLag: time.Second}}
	t0 := time.Unix(1_800_000_000, 0)
	m := postMeter{at: t0}
	var held time.Time
	steps := []struct {
		name  string
		posts int64         // POSTs stored since the previous step
		after time.Duration // since the previous step
		hold  bool
	}{
		{"quiet", 0, 20 * time.Millisecond, false},
		{"a lone POST", 1, time.Millisecond, false},
		{"a steady flow, 50 a second", 1, 20 * time.Millisecond, false},
		{"a burst, 1,000 a second", 20, 20 * time.Millisecond, true},
		{"still a burst", 20, 20 * time.Millisecond, true},
		{"still a burst, the lag nearly reached", 900, 900 * time.Millisecond, true},
		{"the lag reached", 100, 100 * time.Millisecond, false},
		{"the burst goes on", 20, 20 * time.Millisecond, false},
	}
	now, n := t0, int64(0)
	for _, st := range steps {
		now, n = now.Add(st.after), n+st.posts
		s.inboxPosts.Store(n)
		if got := s.holdBack(&m, &held, now); got != st.hold {
			t.Errorf("%s: hold %v, want %v", st.name, got, st.hold)
		}
	}
	held = time.Time{} // the backlog was applied: a new burst holds again
	now, n = now.Add(20*time.Millisecond), n+20
	s.inboxPosts.Store(n)
	if !s.holdBack(&m, &held, now) {
		t.Error("a new burst after the backlog was applied did not hold")
	}
}

// TestInboxHoldsBackDuringBurst: with the worker running, an item stored
// during a burst is applied by InboxLag (and a scheduling margin), and a
// lone POST at once. (TestHoldBack checks the decisions themselves,
// without the timing of a loaded machine.)
func TestInboxHoldsBackDuringBurst(t *testing.T) {
	const lag = 1500 * time.Millisecond
	a := newNode(t, func(o *Options) { o.InboxLag = lag })
	p := newNode(t, nil)
	ville := a.space(t, "ville")
	mallory, eve := p.user(t, "mallory"), p.user(t, "eve")
	a.run(t)
	ctx := context.Background()
	backlog := func() int {
		n, err := a.st.InboxBacklog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// A burst: other peers' POSTs, 1,000 a second.
	burst := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-burst:
				return
			case <-tick.C:
				a.s.inboxPosts.Add(5)
			}
		}
	})
	endBurst := sync.OnceFunc(func() { close(burst); wg.Wait() })
	t.Cleanup(endBurst)
	sent := time.Now()
	if got := post(t, a.srv.URL+"/inbox", followBody(p.srv.URL+"/acts/1", mallory.Actor.URI, ville.Actor.URI), signerOf(t, mallory.Actor), nil); got != 202 {
		t.Fatalf("POST: %d", got)
	}
	waitFor(t, "the held item applied", func() bool { return backlog() == 0 })
	if d := time.Since(sent); d > lag+5*time.Second {
		t.Errorf("applied %s after it was stored during a burst, want by InboxLag (%s)", d, lag)
	}

	endBurst()
	time.Sleep(2 * holdPoll)
	sent = time.Now()
	if got := post(t, a.srv.URL+"/inbox", followBody(p.srv.URL+"/acts/2", eve.Actor.URI, ville.Actor.URI), signerOf(t, eve.Actor), nil); got != 202 {
		t.Fatalf("POST: %d", got)
	}
	waitFor(t, "the item applied", func() bool { return backlog() == 0 })
	if d := time.Since(sent); d >= lag {
		t.Errorf("a lone POST was applied after %s, want at once", d)
	}
}
