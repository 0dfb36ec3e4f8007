package models

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPasswordWorkBounded: no more hashes run at once than the gate has
// slots, a bounded number of callers wait, the next one is refused at once,
// and a caller giving up while queued leaves its place.
func TestPasswordWorkBounded(t *testing.T) {
	p := &passwordWork{slots: make(chan struct{}, 2), maxWaiting: 3}
	release := make(chan struct{})
	var running, most atomic.Int32
	work := func() {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		running.Add(-1)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 { // 2 run, 3 wait
		wg.Go(func() { errs <- p.do(context.Background(), work) })
	}
	waitFor(t, func() bool { return running.Load() == 2 && p.waiting.Load() == 3 })

	start := time.Now()
	if err := p.do(context.Background(), work); !errors.Is(err, ErrPasswordWorkBusy) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("sixth caller: got %v, want ErrPasswordWorkBusy (an ErrUnavailable)", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("a full queue must refuse at once, took %v", d)
	}

	// A fourth waiter that gives up frees its place in the queue.
	p.maxWaiting = 4
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() { gaveUp <- p.do(ctx, work) }()
	waitFor(t, func() bool { return p.waiting.Load() == 4 })
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: got %v, want context.Canceled", err)
	}
	if w := p.waiting.Load(); w != 3 {
		t.Fatalf("after a waiter gave up, %d wait, want 3", w)
	}

	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("queued caller: %v", err)
		}
	}
	if m := most.Load(); m != 2 {
		t.Fatalf("at most %d hashes ran at once, want exactly the 2 slots", m)
	}
	if w := p.waiting.Load(); w != 0 || len(p.slots) != 0 {
		t.Fatalf("gate not empty after the work: %d waiting, %d slots held", w, len(p.slots))
	}
}

// TestAuthenticateWhenPasswordWorkBusy: a log-in that finds the gate full is
// ErrUnavailable, not a wrong password, and is not counted against the
// name (else an attacker flooding the server could lock members out).
func TestAuthenticateWhenPasswordWorkBusy(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "odn.db"), WithFastPasswordHashing())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAccount(ctx, NewAccount{Username: "ann", Password: "long enough pw"}); err != nil {
		t.Fatal(err)
	}
	s.passwords = &passwordWork{slots: make(chan struct{}, 1), maxWaiting: 0}
	s.passwords.slots <- struct{}{} // a hash in progress
	for _, tc := range []struct{ name, user, password string }{
		{"right password", "ann", "long enough pw"},
		{"wrong password", "ann", "not the password"},
		{"unknown name", "bob", "long enough pw"},
	} {
		if _, err := s.Authenticate(ctx, tc.user, tc.password); !errors.Is(err, ErrPasswordWorkBusy) {
			t.Errorf("%s: got %v, want ErrPasswordWorkBusy", tc.name, err)
		}
	}
	if _, err := s.CreateAccount(ctx, NewAccount{Username: "cyd", Password: "long enough pw"}); !errors.Is(err, ErrPasswordWorkBusy) {
		t.Errorf("sign-up: got %v, want ErrPasswordWorkBusy", err)
	}
	n, err := s.DB.NewSelect().Model((*loginFailure)(nil)).Count(ctx)
	if err != nil || n != 0 {
		t.Fatalf("refused log-ins counted as failures: %d rows (%v)", n, err)
	}
	<-s.passwords.slots
	if _, err := s.Authenticate(ctx, "ann", "long enough pw"); err != nil {
		t.Fatalf("log-in once the gate is free: %v", err)
	}
}

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5 s")
		}
	}
}
