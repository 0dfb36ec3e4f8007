package models

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// Group commit of ballot changes on SQLite. SQLite has one writer and a
// vote's cost is mostly its commit (the WAL frames of the ballot, vote,
// debate and event pages): 32 voters at once waited for 32 commits of
// nearly the same pages. The ballot batch (a groupQueue) runs the ballot
// changes that queued up while the previous transaction was committing in
// ONE transaction, each inside its own savepoint, so that:
//
//   - each change is still atomic and sees the ones before it (the same
//     rules, UNIQUE constraints and tally as one transaction each: the
//     changes run one after the other, in arrival order);
//   - a change that fails (closed debate, validation, constraint) rolls
//     back to its savepoint and returns its error alone; the others
//     commit;
//   - nobody is told "done" before the commit: if the commit fails, every
//     change of the batch gets the error.
//
// A lone vote is a batch of one: one transaction with its statements, no
// savepoint.
// PostgreSQL runs writers concurrently and keeps one transaction per
// change.

// voteRuntime is the in-process state of the vote path in a Store.
type voteRuntime struct {
	batch groupQueue[*ballotChange]
	// resultsAt remembers, per debate id, when this process last emitted
	// debate.results (see throttleResults in vote.go).
	resultsAt sync.Map // int64 -> time.Time
	// fed and wakeArmed delay the event sink's wake-up after ballot
	// commits (notifyBallots).
	fed       atomic.Uint32 // Queue bits committed, not told yet
	wakeArmed atomic.Bool
}

// ballotWakeDelay is how long after a ballot commit the event sink (the
// outbox worker) is woken. Woken at once, the worker took a core for its
// claim, handlers and finish (~0.7 ms of CPU per vote.cast) while the
// voter's answer was still being written: on 2 cores that was ~0.7 ms of
// the ~2 ms a lone vote took, seen by the client (odnbench vote_latency).
// A vote's events only schedule batched work (a count Update at most
// every 30 s, a vote sent to another server), so a few milliseconds cost
// nothing, and under load one wake-up then covers many ballots.
const ballotWakeDelay = 5 * time.Millisecond

// notifyBallots tells the event sink, ballotWakeDelay from now, which
// queues ballot commits fed; commits in between share the wake-up.
func (s *Store) notifyBallots(q Queue) {
	if q == 0 || s.events == nil {
		return
	}
	v := &s.votes
	v.fed.Or(uint32(q))
	if !v.wakeArmed.CompareAndSwap(false, true) {
		return // the armed timer will tell
	}
	time.AfterFunc(ballotWakeDelay, func() {
		// Disarm before taking the bits: a commit that comes in between
		// either left its bit for the Swap or arms a new timer.
		v.wakeArmed.Store(false)
		s.notify(Queue(v.fed.Swap(0)))
	})
}

// ballotChange is one queued change.
type ballotChange struct {
	ctx   context.Context
	voter int64
	fn    func(ctx context.Context, tx bun.Tx) error
	done  chan error
}

// maxBallotBatch bounds a batch, so that a burst does not make the first
// voters wait for hundreds of others.
const maxBallotBatch = 64

// ballotTx runs fn like s.Tx, but wakes the event sink ballotWakeDelay
// after the commit; on SQLite it may share its transaction with other
// ballot changes (see groupQueue).
func (s *Store) ballotTx(ctx context.Context, voter int64, fn func(ctx context.Context, tx bun.Tx) error) error {
	if s.Dialect != SQLite {
		var fed Queue
		if err := s.DB.RunInTx(withFed(ctx, &fed), nil, fn); err != nil {
			return err
		}
		s.notifyBallots(fed)
		return nil
	}
	c := &ballotChange{ctx: ctx, voter: voter, fn: fn, done: make(chan error, 1)}
	s.votes.batch.add(c, maxBallotBatch, s.commitBallotBatch)
	// No select on ctx.Done: once queued the change may commit, and the
	// caller must learn whether it did. A cancelled change that has not
	// run yet is skipped by the batch (ctx.Err()).
	return <-c.done
}

// commitBallotBatch runs a batch in one transaction and tells each change
// its outcome after the commit.
func (s *Store) commitBallotBatch(batch []*ballotChange) {
	results := make([]error, len(batch))
	committed := 0
	var fed Queue // what the changes fed (their events), told after the commit
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("ballot batch: panic: %v", p)
			}
		}()
		// The transaction outlives any one voter's request: a cancelled
		// request only skips or fails its own change.
		return s.DB.RunInTx(context.Background(), nil, func(_ context.Context, tx bun.Tx) error {
			memo := &ballotMemo{debates: map[int64]*Debate{}, spaces: map[int64]*Space{}}
			if err := memo.readErased(context.Background(), tx, batch); err != nil {
				return err
			}
			if c := batch[0]; len(batch) == 1 && c.ctx.Err() == nil {
				// A lone change needs no savepoint: if it fails, the
				// transaction rolls back and its error is the outcome.
				if err := c.fn(withMemo(withFed(c.ctx, &fed), memo), tx); err != nil {
					return err
				}
				memo.keep()
				committed++
				return memo.writeTallies(s, tx)
			}
			for i, c := range batch {
				if err := c.ctx.Err(); err != nil {
					results[i] = err
					continue
				}
				if _, err := tx.ExecContext(c.ctx, "SAVEPOINT ballot"); err != nil {
					return err
				}
				results[i] = c.fn(withMemo(withFed(c.ctx, &fed), memo), tx)
				if results[i] != nil {
					memo.drop()
					if _, err := tx.ExecContext(context.Background(), "ROLLBACK TO ballot"); err != nil {
						return err
					}
				} else {
					memo.keep()
					committed++
				}
				if _, err := tx.ExecContext(context.Background(), "RELEASE ballot"); err != nil {
					return err
				}
			}
			return memo.writeTallies(s, tx)
		})
	}()
	if err == nil && committed > 0 {
		s.notifyBallots(fed)
	}
	for i, c := range batch {
		if err != nil {
			results[i] = err
		}
		c.done <- results[i]
	}
}

// ballotMemo is what the changes of one ballot batch share. They run one
// after the other in one write transaction, so nothing else changes a
// debate or a space between them: the first change of a debate reads it,
// the next ones start from the debate as the one before left it, and the
// cached tally of each debate is written once, before the commit, instead
// of once per change. Under 32 concurrent voters the debate read and the
// tally update were a third of a batch's statements.
type ballotMemo struct {
	debates map[int64]*Debate // as the kept changes left them
	spaces  map[int64]*Space  // read-only to ballot changes
	// running is the running change's copy of its debate, and
	// runningTally whether it changed the tally: kept if it succeeds.
	running      *Debate
	runningTally bool
	tallies      []int64 // debates whose cached tally the kept changes changed
	// erased are the batch's voters whose account was erased since their
	// request read them: an erasure commits between two batches, and a
	// ballot after it must not count (its hooks ran already).
	erased map[int64]bool
}

// readErased reads, in one statement, which of the batch's voters are
// erased.
func (m *ballotMemo) readErased(ctx context.Context, tx bun.Tx, batch []*ballotChange) error {
	ids := make([]int64, 0, len(batch))
	for _, c := range batch {
		ids = append(ids, c.voter)
	}
	var erased []int64
	err := tx.NewSelect().Model((*Actor)(nil)).Column("id").Where("id IN (?) AND deleted_at IS NOT NULL", bun.In(ids)).Scan(ctx, &erased)
	if err != nil {
		return dbErr("erased voters", err)
	}
	for _, id := range erased {
		if m.erased == nil {
			m.erased = map[int64]bool{}
		}
		m.erased[id] = true
	}
	return nil
}

type memoKey struct{}

func withMemo(ctx context.Context, m *ballotMemo) context.Context {
	return context.WithValue(ctx, memoKey{}, m)
}

// batchMemo returns the memo of the ballot batch ctx runs in, or nil.
func batchMemo(ctx context.Context) *ballotMemo {
	m, _ := ctx.Value(memoKey{}).(*ballotMemo)
	return m
}

// debate returns the running change's copy of debate id, locked, reading
// it only if no earlier change of the batch did.
func (m *ballotMemo) debate(ctx context.Context, s *Store, tx bun.IDB, id int64) (*Debate, error) {
	if d, ok := m.debates[id]; ok {
		c := *d // writeBallot replaces Counts, never changes it in place
		c.Current = c.PhaseAt(s.Now())
		m.running = &c
		return m.running, nil
	}
	d, err := s.lockDebate(ctx, tx, id)
	if err == nil {
		m.running = d
	}
	return d, err
}

// space returns space id, read once per batch.
func (m *ballotMemo) space(ctx context.Context, s *Store, tx bun.IDB, id int64) (*Space, error) {
	if sp, ok := m.spaces[id]; ok {
		return sp, nil
	}
	sp := new(Space)
	if err := s.scanOneIn(ctx, tx, sp, s.hot().space, id); err != nil {
		return nil, err
	}
	m.spaces[id] = sp
	return sp, nil
}

// keep makes the running change's debate the one the next changes start
// from; drop forgets it (its change rolled back to its savepoint).
func (m *ballotMemo) keep() {
	if d := m.running; d != nil {
		m.debates[d.ID] = d
		if m.runningTally && !slices.Contains(m.tallies, d.ID) {
			m.tallies = append(m.tallies, d.ID)
		}
	}
	m.running, m.runningTally = nil, false
}

func (m *ballotMemo) drop() { m.running, m.runningTally = nil, false }

// writeTallies writes the cached tallies the kept changes changed.
func (m *ballotMemo) writeTallies(s *Store, tx bun.IDB) error {
	for _, id := range m.tallies {
		if err := s.execTally(context.Background(), tx, m.debates[id]); err != nil {
			return err
		}
	}
	return nil
}
