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

// failure says whether a failed delivery is final (no retry: a 4xx other
// than retryable's, an address odn does not send to) and why, should the
// job die, its report's forward failed (a models.ForwardError… code): the
// peer refused it, odn refused the address, or anything else (unreachable,
// 5xx, 401, 408, 429) until the retries ran out.
func failure(status int, err error) (final bool, why string) {
	switch {
	case err == nil && !retryable(status):
		return true, models.ForwardErrorRefused
	case errors.Is(err, ErrForbiddenAddress) || errors.Is(err, ErrInsecureURL):
		return true, models.ForwardErrorAddress
	}
	return false, models.ForwardErrorUnreachable
}

// runDelivery sends queued deliveries until ctx ends. It is a continuous
// pool, not batch by batch: one loop claims jobs as slots free up and
// starts each one as soon as a slot and its host allow, so one slow peer
// never holds the others back:
//
//   - at most Concurrency requests in flight, HostConcurrency per host;
//   - this node holds at most 2×Concurrency claimed jobs (in flight or
//     waiting for their host), and claims no more jobs of a host that
//     already has HostConcurrency of them;
//   - each claim loads the signing actors once for the whole batch;
//   - 2xx answers are acknowledged in batches (deliveryAcker): one write
//     transaction every few milliseconds instead of two per job. A job is
//     acked only after the peer's 2xx and keeps its lease until then, so
//     no other node can take it meanwhile; a crash before the ack only
//     means the peer gets it again after the lease (at least once).
func (s *Service) runDelivery(ctx context.Context) {
	p := &deliveryPool{s: s, hostBusy: map[string]int{}, done: make(chan *deliveryJob, s.opts.Concurrency)}
	p.ack = newDeliveryAcker(s)
	stop, ackDone := make(chan struct{}), make(chan struct{})
	go func() { p.ack.run(stop); close(ackDone) }()
	p.loop(ctx)
	close(stop) // after the last job ended: its ack is in the buffer
	<-ackDone
}

// deliveryJob is a claimed job and what it needs to be sent.
type deliveryJob struct {
	models.Delivery
	signer    *Signer
	signerErr error
	acker     *deliveryAcker // nil: ack at once
}

// deliveryPool is runDelivery's state; only its loop goroutine touches
// the fields below (workers report through done).
type deliveryPool struct {
	s        *Service
	ack      *deliveryAcker
	queue    []*deliveryJob // claimed, waiting for a slot or their host
	inFlight int
	hostBusy map[string]int // claimed jobs per host (queued + in flight)
	dry      bool           // the last claim got less than asked: wait for news
	done     chan *deliveryJob
}

func (p *deliveryPool) loop(ctx context.Context) {
	s := p.s
	maxHeld := 2 * s.opts.Concurrency
	timer := time.NewTimer(s.opts.PollInterval)
	defer timer.Stop()
	for {
		if ctx.Err() != nil {
			p.shutdown()
			return
		}
		p.dispatch(ctx)
		held := len(p.queue) + p.inFlight
		// Claim when at least half the claim window is free (fewer,
		// larger claims: each is a write), unless the last claim found
		// nothing and nothing changed since.
		if !p.dry && (maxHeld-held >= max(1, s.opts.Concurrency/2) || held == 0) {
			want := maxHeld - held
			jobs, err := s.store.ClaimDeliveries(ctx, s.owner, want, s.opts.Lease, p.saturated()...)
			if err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "claim deliveries", "err", err)
			}
			p.dry = err == nil && len(jobs) < want
			p.add(ctx, jobs)
			p.dispatch(ctx)
			if len(jobs) > 0 && !p.dry {
				continue // there may be more: claim again at once
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(s.opts.PollInterval)
		select {
		case <-ctx.Done():
		case j := <-p.done:
			p.finished(j)
			// Take every other finished job before claiming again.
			for more := true; more; {
				select {
				case j := <-p.done:
					p.finished(j)
				default:
					more = false
				}
			}
		case <-s.wakeDelivery:
			p.dry = false
		case <-timer.C:
			p.dry = false
		}
	}
}

// saturated lists the hosts that already have HostConcurrency claimed
// jobs on this node.
func (p *deliveryPool) saturated() []string {
	var out []string
	for h, n := range p.hostBusy {
		if n >= p.s.opts.HostConcurrency {
			out = append(out, h)
		}
	}
	return out
}

// add queues claimed jobs with their signers, loaded once per actor.
func (p *deliveryPool) add(ctx context.Context, jobs []models.Delivery) {
	type signed struct {
		sg  *Signer
		err error
	}
	signers := map[int64]signed{}
	for i := range jobs {
		j := &deliveryJob{Delivery: jobs[i], acker: p.ack}
		sg, ok := signers[j.SignerID]
		if !ok {
			sg.sg, sg.err = p.s.jobSigner(ctx, j.SignerID)
			signers[j.SignerID] = sg
		}
		j.signer, j.signerErr = sg.sg, sg.err
		p.queue = append(p.queue, j)
		p.hostBusy[j.Host]++
	}
}

// dispatch starts queued jobs while slots are free, in queue order,
// skipping jobs whose host has HostConcurrency requests in flight.
func (p *deliveryPool) dispatch(ctx context.Context) {
	if len(p.queue) == 0 || p.inFlight >= p.s.opts.Concurrency {
		return
	}
	running := map[string]int{}
	for _, j := range p.queue {
		running[j.Host]-- // counted below as hostBusy - queued
	}
	for h, n := range p.hostBusy {
		running[h] += n
	}
	rest := p.queue[:0]
	// A job starts only with at least half its lease left: one that waited
	// longer (a stalled node, a slow host) is left to expire and be claimed
	// again, never posted while another node may already hold it.
	cutoff := p.s.store.Now().Add(p.s.opts.Lease / 2) // the clock the lease was set with
	for _, j := range p.queue {
		if j.LockedUntil == nil || j.LockedUntil.Before(cutoff) {
			p.hostBusy[j.Host]--
			if p.hostBusy[j.Host] <= 0 {
				delete(p.hostBusy, j.Host)
			}
			continue
		}
		if p.inFlight >= p.s.opts.Concurrency || running[j.Host] >= p.s.opts.HostConcurrency {
			rest = append(rest, j)
			continue
		}
		running[j.Host]++
		p.inFlight++
		go func() {
			p.s.deliver(ctx, j)
			p.done <- j
		}()
	}
	clear(p.queue[len(rest):])
	p.queue = rest
}

func (p *deliveryPool) finished(j *deliveryJob) {
	p.inFlight--
	if p.hostBusy[j.Host] == p.s.opts.HostConcurrency {
		p.dry = false // the host's other jobs may be claimed again
	}
	if p.hostBusy[j.Host]--; p.hostBusy[j.Host] <= 0 {
		delete(p.hostBusy, j.Host)
	}
}

// shutdown gives back the jobs not started and waits for those in flight
// (they release their job themselves when ctx is done).
func (p *deliveryPool) shutdown() {
	bg, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ids := make([]int64, len(p.queue))
	for i, j := range p.queue {
		ids[i] = j.ID
	}
	if err := p.s.store.ReleaseDeliveries(bg, ids, p.s.owner, p.s.now()); err != nil {
		p.s.log.WarnContext(bg, "release deliveries", "err", err) // the leases expire anyway
	}
	p.queue = nil
	for p.inFlight > 0 {
		p.finished(<-p.done)
	}
}

// deliver makes one attempt and records its outcome. A job is marked
// done only after a 2xx; on shutdown it is released untouched.
func (s *Service) deliver(ctx context.Context, job *deliveryJob) {
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ctx.Err() != nil {
		s.store.ReleaseDelivery(bg, job.ID, s.owner, s.now()) //nolint:errcheck // the lease expires anyway
		return
	}
	if s.blocks.blocked(ctx, job.Host) {
		s.store.FailDelivery(bg, job.ID, s.owner, 0, "domain blocked", time.Time{}, models.ForwardErrorBlocked) //nolint:errcheck // best effort
		return
	}
	status, err := s.post(ctx, job)
	switch {
	case ctx.Err() != nil:
		s.store.ReleaseDelivery(bg, job.ID, s.owner, s.now()) //nolint:errcheck // the lease expires anyway
	case err == nil && status >= 200 && status < 300:
		s.m.delivery("ok")
		s.ackDelivery(job, status)
	default:
		s.failed(bg, &job.Delivery, status, err)
	}
}

// ackDelivery hands a delivered job to the acker of this service's pool.
// Outside the pool (no acker) it is recorded at once.
func (s *Service) ackDelivery(job *deliveryJob, status int) {
	d := models.Delivered{ID: job.ID, Host: job.Host, Status: status, ReportID: job.ReportID}
	if job.acker != nil {
		job.acker.add(d)
		return
	}
	bg, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if n, err := s.store.CompleteDeliveries(bg, s.owner, []models.Delivered{d}); err != nil || n == 0 {
		s.log.Warn("delivery done but not recorded", "job", job.ID, "err", err)
	}
}

// deliveryAcker records delivered jobs in batches: it flushes when
// ackBatch jobs are waiting or ackDelay after the first one.
type deliveryAcker struct {
	s    *Service
	mu   sync.Mutex
	buf  []models.Delivered
	kick chan struct{}
}

const (
	ackBatch = 64
	ackDelay = 5 * time.Millisecond
)

func newDeliveryAcker(s *Service) *deliveryAcker {
	return &deliveryAcker{s: s, kick: make(chan struct{}, 1)}
}

func (a *deliveryAcker) add(d models.Delivered) {
	a.mu.Lock()
	a.buf = append(a.buf, d)
	a.mu.Unlock()
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// run flushes until stop is closed (the pool has stopped adding), then
// flushes what is left.
func (a *deliveryAcker) run(stop <-chan struct{}) {
	t := time.NewTimer(ackDelay)
	t.Stop()
	for {
		select {
		case <-a.kick:
			// Let a few more answers arrive: one transaction for all,
			// unless a batch is already full.
			a.mu.Lock()
			full := len(a.buf) >= ackBatch
			a.mu.Unlock()
			if !full {
				t.Reset(ackDelay)
				select {
				case <-t.C:
				case <-stop:
					t.Stop()
				}
			}
			a.flush()
		case <-stop:
			a.flush()
			return
		}
	}
}

func (a *deliveryAcker) flush() {
	for {
		a.mu.Lock()
		batch := a.buf
		if len(batch) > ackBatch*4 {
			batch = batch[:ackBatch*4]
		}
		a.buf = a.buf[len(batch):]
		if len(a.buf) == 0 {
			a.buf = nil
		}
		a.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		var n int
		var err error
		for try := range 3 { // a lost ack means a second delivery after the lease
			bg, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			n, err = a.s.store.CompleteDeliveries(bg, a.s.owner, batch)
			cancel()
			if err == nil {
				break
			}
			time.Sleep(time.Duration(try+1) * 20 * time.Millisecond)
		}
		if err != nil || n < len(batch) {
			a.s.log.Warn("deliveries done but not all recorded", "jobs", len(batch), "recorded", n, "err", err)
		}
	}
}

// failed schedules a retry or moves the job to the dead letters, and
// feeds the host's circuit breaker.
func (s *Service) failed(ctx context.Context, job *models.Delivery, status int, err error) {
	msg := fmt.Sprintf("status %d", status)
	if err != nil {
		msg = err.Error()
	}
	final, why := failure(status, err)
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
	if ferr := s.store.FailDelivery(ctx, job.ID, s.owner, status, msg, next, why); ferr != nil {
		s.log.ErrorContext(ctx, "record delivery failure", "job", job.ID, "err", ferr)
	}
	if !final {
		if h, herr := s.store.HostFailed(ctx, job.Host, msg, s.opts.BreakerThreshold, s.opts.BreakerOpen); herr == nil && h.DownUntil != nil {
			s.log.WarnContext(ctx, "host circuit open", "host", job.Host, "failures", h.Failures, "until", h.DownUntil)
		}
	}
}

// post signs and sends the job's activity; it returns the peer's status.
func (s *Service) post(ctx context.Context, job *deliveryJob) (int, error) {
	signer, err := job.signer, job.signerErr
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
