package models

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/alexedwards/argon2id"
)

// Every argon2id hash takes argonParams.Memory (64 MiB) for its duration,
// and log-in, sign-up and password changes each compute one, for known and
// unknown names alike. Unbounded, twenty log-in attempts arriving together
// from twenty addresses (the per-address limits do not see them as one)
// would ask for 1.25 GiB at once: enough to have a small server's process
// killed. passwordWork lets a few hashes run at once and queues a bounded
// number of callers behind them; past that the store answers
// ErrPasswordWorkBusy at once, which costs nothing.
type passwordWork struct {
	slots   chan struct{}
	waiting atomic.Int32
	// maxWaiting bounds the queue: at ~60 ms a hash on two cores, 64
	// waiting callers wait about two seconds at worst.
	maxWaiting int32
}

// ErrPasswordWorkBusy is the answer to a password check or hash that found
// the queue full. It wraps ErrUnavailable: pages and the API answer 503
// with Retry-After, and nothing was changed.
var ErrPasswordWorkBusy = fmt.Errorf("%w: too many passwords are being checked at once", ErrUnavailable)

// newPasswordWork sizes the gate to the machine: one hash per two cores
// keeps the CPUs busy (each hash runs on Parallelism = 2 threads), at least
// two so one slow hash does not stall every log-in, at most four so the
// memory held by hashes stays under 256 MiB on any machine.
func newPasswordWork() *passwordWork {
	n := min(4, max(2, runtime.GOMAXPROCS(0)/2))
	return &passwordWork{slots: make(chan struct{}, n), maxWaiting: 64}
}

// do runs fn, one of the argon2id computations, once a slot is free. It
// returns ctx's error if the caller gives up while queued, and
// ErrPasswordWorkBusy without waiting when the queue is full.
func (p *passwordWork) do(ctx context.Context, fn func()) error {
	select {
	case p.slots <- struct{}{}:
	default:
		if p.waiting.Add(1) > p.maxWaiting {
			p.waiting.Add(-1)
			return ErrPasswordWorkBusy
		}
		select {
		case p.slots <- struct{}{}:
			p.waiting.Add(-1)
		case <-ctx.Done():
			p.waiting.Add(-1)
			return ctx.Err()
		}
	}
	defer func() { <-p.slots }()
	fn()
	return nil
}

// hashPassword computes password's argon2id hash with the store's
// parameters, through the gate.
func (s *Store) hashPassword(ctx context.Context, password string) (string, error) {
	var hash string
	var err error
	if gerr := s.passwords.do(ctx, func() { hash, err = argon2id.CreateHash(password, s.argon) }); gerr != nil {
		return "", gerr
	}
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return hash, nil
}

// comparePassword reports whether password matches hash, through the
// gate; its error is the gate's only (busy, or ctx ended while queued): a
// malformed stored hash matches no password.
func (s *Store) comparePassword(ctx context.Context, password, hash string) (bool, error) {
	var ok bool
	err := s.passwords.do(ctx, func() { ok, _ = argon2id.ComparePasswordAndHash(password, hash) })
	return ok, err
}
