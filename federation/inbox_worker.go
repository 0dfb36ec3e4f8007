package federation

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/go-fed/activity/streams/vocab"

	"github.com/opendemocracynow/odn/models"
)

// incoming is one received activity being applied.
type incoming struct {
	item  *models.InboxItem
	m     map[string]any // the activity as received
	t     vocab.Type     // go-fed's view of it
	actor *models.Actor  // its (verified) actor
	depth int            // 1 inside an Announce (FEP-1b12 relay)
}

// activityFunc applies one activity type.
type activityFunc func(ctx context.Context, s *Service, in *incoming) error

// activityHandlers dispatch incoming activities by type. Unknown types are
// ignored (the peer already got its 202).
var activityHandlers map[string]activityFunc

func init() {
	activityHandlers = map[string]activityFunc{
		"Follow": handleFollow, "Accept": handleAccept, "Reject": handleReject, "Undo": handleUndo,
		"Create": handleCreate, "Update": handleUpdate, "Delete": handleDelete,
		"Like": handleReaction, "Dislike": handleReaction, "Announce": handleAnnounce,
		"Flag": handleFlag, "Block": handleBlock,
	}
}

// knownActivity lists types counted by name in metrics.
var knownActivity = map[string]bool{
	"Follow": true, "Accept": true, "Reject": true, "Undo": true, "Create": true, "Update": true,
	"Delete": true, "Like": true, "Dislike": true, "Announce": true, "Flag": true, "Block": true, "Move": true,
}

// errDrop marks a permanent failure: the item is not retried.
type dropError struct{ err error }

func (e dropError) Error() string { return e.err.Error() }
func (e dropError) Unwrap() error { return e.err }

func drop(format string, a ...any) error { return dropError{fmt.Errorf(format, a...)} }

// permanent reports whether err will not go away by retrying: domain
// refusals, malformed input, a peer's 4xx.
func permanent(err error) bool {
	var de dropError
	var se *StatusError
	var ve *models.ValidationError
	switch {
	case errors.As(err, &de), errors.As(err, &ve),
		errors.Is(err, models.ErrForbidden), errors.Is(err, models.ErrNotFound),
		errors.Is(err, models.ErrClosed), errors.Is(err, models.ErrDuplicate), errors.Is(err, models.ErrUnauthorized),
		errors.Is(err, ErrIDMismatch), errors.Is(err, ErrMalformedActivity), errors.Is(err, ErrTooDeep),
		errors.Is(err, ErrNotActor), errors.Is(err, ErrBlocked), errors.Is(err, ErrTooLarge),
		errors.Is(err, ErrForbiddenAddress), errors.Is(err, ErrInsecureURL):
		return true
	case errors.As(err, &se):
		return se.Code >= 400 && se.Code < 500 && se.Code != 401 && se.Code != 408 && se.Code != 429
	}
	return false
}

// runInbox applies stored inbox items until ctx ends.
//
// Receiving comes before applying: a peer waits for our 202 (and retries
// on a timeout, which multiplies the load), a stored item can wait. Go
// shares the cores between runnable goroutines, so lanes applying during
// a burst of POSTs took half the CPU from the handlers storing them (on 2
// cores: ~3,300 POSTs/s instead of ~6,500, odnbench inbox_signed_posts).
// So while POSTs arrive in a burst (burstRate a second or more) the
// worker holds back, for at most InboxLag: a burst is received at full
// speed and applied right after, and under sustained load (the lag
// reached) the worker applies until the backlog is empty, as if there
// were no burst. A steadier flow is applied as it comes.
func (s *Service) runInbox(ctx context.Context) {
	var held time.Time // when the worker began holding back; zero: not
	m := postMeter{n: s.inboxPosts.Load(), at: time.Now()}
	for {
		if s.holdBack(&m, &held, time.Now()) {
			if !sleepCtx(ctx, holdPoll) {
				return
			}
			continue
		}
		n, err := s.inboxBatch(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "inbox worker", "err", err)
		}
		if n == 0 {
			held = time.Time{}
			if !s.wait(ctx, s.wakeInbox) {
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// sleepCtx sleeps for d; false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// inboxLanes is how many items of a batch are applied at once. Items of
// one actor stay in one lane, in order (a Create before its Update, a
// vote before its Undo); lanes let the writes of different actors share
// commits (the ballot group commit on SQLite, concurrent transactions on
// PostgreSQL) instead of queueing one item behind the other. A lane
// mostly waits for its commit, so there are many: with 4 lanes (of a
// batch of 32) remote_votes ran 470–540 votes/s, with 32 lanes of a batch
// of 64, 660–700; with 64 lanes of a batch of 256 (four items a lane:
// while the ballots of some lanes commit, the others parse and look up
// their next item) 1,260–1,950 instead of 1,190–1,280.
const inboxLanes = 64

// inboxBatchSize is how many items a batch claims.
const inboxBatchSize = 256

// A burst is at least burstPosts POSTs at burstRate a second or more;
// while holding back, the worker looks again every holdPoll.
const (
	burstRate  = 200
	burstPosts = 4
	holdPoll   = 20 * time.Millisecond
)

// holdBack reports whether the inbox worker holds back at now: POSTs
// arrive in a burst and it has held back for less than InboxLag since
// held (set here when it starts; runInbox clears it once the backlog is
// empty).
func (s *Service) holdBack(m *postMeter, held *time.Time, now time.Time) bool {
	if !m.burst(s.inboxPosts.Load(), now) {
		return false
	}
	if held.IsZero() {
		*held = now
	}
	return now.Sub(*held) < s.opts.InboxLag
}

// postMeter tells the inbox worker whether POSTs arrived in a burst since
// its last look.
type postMeter struct {
	n  int64     // the count of stored POSTs at the last look
	at time.Time // when
}

func (m *postMeter) burst(posts int64, now time.Time) bool {
	n, d := posts-m.n, now.Sub(m.at).Seconds()
	m.n, m.at = posts, now
	return n >= burstPosts && float64(n) >= burstRate*d
}

// inboxBatch claims and applies a batch of items; it returns how many.
func (s *Service) inboxBatch(ctx context.Context) (int, error) {
	items, err := s.store.ClaimInboxItems(ctx, s.owner, inboxBatchSize, s.opts.Lease)
	if err != nil {
		return 0, err
	}
	ctx = withInboxMemo(ctx)
	var lanes [inboxLanes][]*models.InboxItem
	for i := range items {
		h := fnv.New32a()
		h.Write([]byte(items[i].ActorURI)) //nolint:errcheck // hash writes never fail
		l := h.Sum32() % inboxLanes
		lanes[l] = append(lanes[l], &items[i])
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var outcomes []models.InboxOutcome
	for _, lane := range lanes {
		if len(lane) > 0 {
			wg.Go(func() {
				out := s.applyLane(ctx, lane)
				mu.Lock()
				outcomes = append(outcomes, out...)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	// One transaction records the whole batch's outcomes: a write less
	// per item. A crash before it re-applies the batch once the leases
	// expire; handlers are idempotent (activity ids, vote Notes), as they
	// must be for peers' own retries.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.store.FinishInboxItems(fctx, s.owner, outcomes...); err != nil {
		s.log.ErrorContext(ctx, "finish inbox items", "items", len(outcomes), "err", err)
	}
	return len(items), nil
}

// inboxMemo shares, across the lanes of one inbox batch, lookups that its
// items repeat: a burst of poll votes names the same debate in every item
// (a debate and its author were two of the five queries of a remote vote).
type inboxMemo struct {
	mu      sync.Mutex
	debates map[string]*models.Debate
}

type inboxMemoKey struct{}

func withInboxMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, inboxMemoKey{}, &inboxMemo{debates: map[string]*models.Debate{}})
}

// debateByURI is Store.DebateByURI once per inbox batch for a debate
// found. Callers use only what never changes (id, local, author): whether
// it still takes votes is checked where the vote is cast.
func (s *Service) debateByURI(ctx context.Context, uri string) (*models.Debate, error) {
	m, _ := ctx.Value(inboxMemoKey{}).(*inboxMemo)
	if m != nil {
		m.mu.Lock()
		d := m.debates[uri]
		m.mu.Unlock()
		if d != nil {
			return d, nil
		}
	}
	d, err := s.store.DebateByURI(ctx, uri)
	if err == nil && m != nil {
		m.mu.Lock()
		m.debates[uri] = d
		m.mu.Unlock()
	}
	return d, err
}

// applyLane applies items in order and returns their outcomes.
func (s *Service) applyLane(ctx context.Context, items []*models.InboxItem) []models.InboxOutcome {
	out := make([]models.InboxOutcome, 0, len(items))
	for _, it := range items {
		if ctx.Err() != nil {
			return out // leases expire; another run retries
		}
		perr := s.processItem(ctx, it)
		retry := time.Duration(0)
		switch {
		case perr == nil:
			s.m.processed(it.Type, "ok")
		case permanent(perr):
			s.m.processed(it.Type, "dropped")
			s.log.InfoContext(ctx, "activity dropped", "activity_id", it.ActivityID, "type", it.Type, "err", perr)
		default:
			s.m.processed(it.Type, "retry")
			retry = time.Duration(it.Attempts*it.Attempts) * 30 * time.Second
			s.log.WarnContext(ctx, "activity failed", "activity_id", it.ActivityID, "type", it.Type, "attempt", it.Attempts, "err", perr)
		}
		out = append(out, models.InboxOutcome{Item: it, Err: perr, RetryIn: retry})
	}
	return out
}

// processItem parses an item fully (go-fed) and applies it.
func (s *Service) processItem(ctx context.Context, it *models.InboxItem) error {
	t, m, err := ParseActivity(ctx, []byte(it.Body))
	if errors.Is(err, ErrUnknownType) {
		return nil
	}
	if err != nil {
		return dropError{err}
	}
	if s.blocks.blocked(ctx, it.Host) {
		return drop("domain %s blocked", it.Host)
	}
	actor, err := s.actorFor(ctx, it.ActorURI)
	if err != nil {
		return err
	}
	in := &incoming{item: it, m: m, t: t, actor: actor}
	return s.apply(ctx, in)
}

// apply runs the handler of in's type.
func (s *Service) apply(ctx context.Context, in *incoming) error {
	typ := typeOf(in.m)
	if in.actor.DeletedAt != nil && typ != "Delete" {
		return drop("actor %s is deleted", in.actor.URI)
	}
	h, ok := activityHandlers[typ]
	if !ok {
		return nil
	}
	return h(ctx, s, in)
}

// localActor loads the local actor an activity is about, or a drop error.
func (s *Service) localActor(ctx context.Context, uri string) (*models.Actor, error) {
	if uri == "" || hostOf(uri) != s.host {
		return nil, drop("%q is not a local actor", uri)
	}
	a, err := s.store.ActorByURI(ctx, uri)
	if err != nil || !a.Local {
		return nil, drop("no local actor %q", uri)
	}
	return a, nil
}

// enqueue serialises d and queues it for the inboxes, signed by from.
func (s *Service) enqueue(ctx context.Context, from *models.Actor, d doc, inboxes ...string) error {
	body, err := encodeDoc(d)
	if err != nil {
		return err
	}
	_, err = s.store.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: idOf(d["id"]), Body: body, SignerID: from.ID, Inboxes: inboxes})
	return err
}

// inboxOf is where to send an activity meant for one actor: its personal
// inbox (Accept, Reject), which every server has.
func inboxOf(a *models.Actor) string {
	if a.Inbox != "" {
		return a.Inbox
	}
	return a.SharedInbox
}
