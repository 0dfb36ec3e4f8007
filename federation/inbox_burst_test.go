package federation

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestInboxHoldsBackDuringBurst: while POSTs keep arriving the inbox
// worker holds stored items back (receiving gets the CPU), for at most
// InboxLag; once the inbox is quiet an item is applied at once.
func TestInboxHoldsBackDuringBurst(t *testing.T) {
	const lag = 600 * time.Millisecond
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

	// A burst: other peers' POSTs every few milliseconds.
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
				a.s.lastPost.Store(time.Now().UnixNano())
			}
		}
	})
	endBurst := sync.OnceFunc(func() { close(burst); wg.Wait() })
	t.Cleanup(endBurst)
	start := time.Now()
	time.Sleep(50 * time.Millisecond)
	if got := post(t, a.srv.URL+"/inbox", followBody(p.srv.URL+"/acts/1", mallory.Actor.URI, ville.Actor.URI), signerOf(t, mallory.Actor), nil); got != 202 {
		t.Fatalf("POST: %d", got)
	}
	time.Sleep(100 * time.Millisecond)
	if backlog() != 1 {
		t.Fatal("the item was applied during the burst, before InboxLag")
	}
	waitFor(t, "the held item applied", func() bool { return backlog() == 0 })
	if held := time.Since(start); held < lag {
		t.Errorf("applied %s after the burst began, want InboxLag (%s) at least", held, lag)
	}

	endBurst()
	time.Sleep(2 * inboxQuiet)
	sent := time.Now()
	if got := post(t, a.srv.URL+"/inbox", followBody(p.srv.URL+"/acts/2", eve.Actor.URI, ville.Actor.URI), signerOf(t, eve.Actor), nil); got != 202 {
		t.Fatalf("POST: %d", got)
	}
	waitFor(t, "the item applied", func() bool { return backlog() == 0 })
	if d := time.Since(sent); d >= lag {
		t.Errorf("a lone POST was applied after %s, want at once", d)
	}
}
