package federation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// MastodonBackoff is the wait before retry number attempt: attempt⁴
// seconds + 15 s + up to 30·(attempt+1) s of jitter, as Mastodon does.
// 16 attempts span about two days.
func MastodonBackoff(attempt int) time.Duration {
	a := time.Duration(attempt)
	jitter := time.Duration(rand.Int64N(int64(30*(attempt+1)))) * time.Second
	return a*a*a*a*time.Second + 15*time.Second + jitter
}

// retryable reports whether a peer's status deserves another try: 401
// (double-knock signatures, key not yet fetched), 408, 429 and 5xx. Other
// 4xx are final.
func retryable(status int) bool {
	return status == 401 || status == 408 || status == 429 || status >= 500
}

// runDelivery sends queued deliveries until ctx ends: it claims a batch,
// delivers with at most Concurrency requests in flight and
// HostConcurrency per host, then claims again.
func (s *Service) runDelivery(ctx context.Context) {
	hostSlots := &hostSemaphores{limit: s.opts.HostConcurrency, m: map[string]chan struct{}{}}
	for {
		jobs, err := s.store.ClaimDeliveries(ctx, s.owner, s.opts.Concurrency, s.opts.Lease)
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "claim deliveries", "err", err)
		}
		if len(jobs) > 0 {
			var wg sync.WaitGroup
			for i := range jobs {
				wg.Go(func() {
					release := hostSlots.acquire(jobs[i].Host)
					defer release()
					s.deliver(ctx, &jobs[i])
				})
			}
			wg.Wait()
		}
		if ctx.Err() != nil {
			return
		}
		if len(jobs) == 0 && !s.wait(ctx, s.wakeDelivery) {
			return
		}
	}
}

// deliver makes one attempt and records its outcome. A job is marked
// done only after a 2xx; on shutdown it is released untouched.
func (s *Service) deliver(ctx context.Context, job *models.Delivery) {
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ctx.Err() != nil {
		s.store.ReleaseDelivery(bg, job.ID, s.owner, s.now()) //nolint:errcheck // the lease expires anyway
		return
	}
	if s.blocks.blocked(ctx, job.Host) {
		s.store.FailDelivery(bg, job.ID, s.owner, 0, "domain blocked", time.Time{}) //nolint:errcheck // best effort
		return
	}
	status, err := s.post(ctx, job)
	switch {
	case ctx.Err() != nil:
		s.store.ReleaseDelivery(bg, job.ID, s.owner, s.now()) //nolint:errcheck // the lease expires anyway
	case err == nil && status >= 200 && status < 300:
		s.m.delivery("ok")
		if ok, err := s.store.CompleteDelivery(bg, job.ID, s.owner, status); err != nil || !ok {
			s.log.WarnContext(ctx, "delivery done but not recorded", "job", job.ID, "err", err)
		}
		if err := s.store.HostSucceeded(bg, job.Host); err != nil {
			s.log.WarnContext(ctx, "host succeeded", "host", job.Host, "err", err)
		}
	default:
		s.failed(bg, job, status, err)
	}
}

// failed schedules a retry or moves the job to the dead letters, and
// feeds the host's circuit breaker.
func (s *Service) failed(ctx context.Context, job *models.Delivery, status int, err error) {
	msg := fmt.Sprintf("status %d", status)
	if err != nil {
		msg = err.Error()
	}
	final := err == nil && !retryable(status) || errors.Is(err, ErrForbiddenAddress) || errors.Is(err, ErrInsecureURL)
	next := time.Time{}
	if !final && job.Attempts < s.opts.MaxAttempts {
		next = s.now().Add(s.opts.Backoff(job.Attempts))
	}
	result := "retry"
	if next.IsZero() {
		result = "dead"
	}
	s.m.delivery(result)
	s.log.InfoContext(ctx, "delivery failed", "job", job.ID, "host", job.Host, "status", status, "attempt", job.Attempts, "result", result, "err", err)
	if ferr := s.store.FailDelivery(ctx, job.ID, s.owner, status, msg, next); ferr != nil {
		s.log.ErrorContext(ctx, "record delivery failure", "job", job.ID, "err", ferr)
	}
	if !final {
		if h, herr := s.store.HostFailed(ctx, job.Host, msg, s.opts.BreakerThreshold, s.opts.BreakerOpen); herr == nil && h.DownUntil != nil {
			s.log.WarnContext(ctx, "host circuit open", "host", job.Host, "failures", h.Failures, "until", h.DownUntil)
		}
	}
}

// post signs and sends the job's activity; it returns the peer's status.
func (s *Service) post(ctx context.Context, job *models.Delivery) (int, error) {
	signer, err := s.jobSigner(ctx, job.SignerID)
	if err != nil {
		return 0, err
	}
	body := []byte(job.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.Inbox, bytes.NewReader(body))
	if err != nil {
		return 0, dropError{err}
	}
	req.Header.Set("Content-Type", ActivityJSONType)
	req.Header.Set("Accept", AcceptActivity)
	if err := signer.SignRequest(req, body); err != nil {
		return 0, err
	}
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return 0, err
	}
	drain(resp.Body)
	return resp.StatusCode, nil
}

// jobSigner signs with the job's actor, or with the instance actor when
// that actor has no key any more (an erased account).
func (s *Service) jobSigner(ctx context.Context, actorID int64) (*Signer, error) {
	a, err := s.store.ActorByID(ctx, actorID)
	if err != nil {
		return nil, err
	}
	if a.PrivateKeyPEM == "" {
		return s.instanceSigner(ctx)
	}
	return s.signerFor(a)
}

// hostSemaphores bounds concurrent requests per host on this node.
type hostSemaphores struct {
	limit int
	mu    sync.Mutex
	m     map[string]chan struct{}
}

func (h *hostSemaphores) acquire(host string) func() {
	h.mu.Lock()
	c, ok := h.m[host]
	if !ok {
		c = make(chan struct{}, h.limit)
		h.m[host] = c
	}
	h.mu.Unlock()
	c <- struct{}{}
	return func() { <-c }
}
