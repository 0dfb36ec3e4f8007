package models

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Event kinds written to the transactional outbox.
const (
	EventAccountDeleted = "account.deleted"
	EventAccountUpdated = "account.updated" // display name or bio: Update{Person}
	EventSpaceCreated   = "space.created"
	EventSpaceUpdated   = "space.updated"
)

// Event is a domain event, written in the same transaction as the change
// it describes (transactional outbox), so federation and notifications
// never miss nor invent one.
type Event struct {
	bun.BaseModel `bun:"table:events"`
	ID            int64      `bun:",pk,autoincrement"`
	Kind          string     `bun:",notnull"`
	ObjectType    string     `bun:",notnull"`
	ObjectID      int64      `bun:",notnull"`
	ActorID       int64      `bun:",notnull"`
	SpaceID       int64      `bun:",notnull"`
	Data          string     `bun:",notnull"`
	CreatedAt     time.Time  `bun:",notnull"`
	ProcessedAt   *time.Time `bun:",nullzero"`
}

// Queue names the durable work queues a commit can feed. EventSink.Notify
// gets the union of those a commit fed, so that only the workers with new
// work wake up: waking every worker after every transaction made each of
// them run an empty claim (a write, serialised with the votes on SQLite)
// and their own commits woke the others again.
type Queue uint8

// The queues.
const (
	QueueEvents     Queue = 1 << iota // outbox events (emit)
	QueueInbox                        // received activities (StoreInboxItem)
	QueueDeliveries                   // outgoing deliveries (EnqueueDeliveries)
)

// EventSink is told after commit which queues got new work, so a worker
// can wake up instead of polling.
type EventSink interface {
	Notify(Queue)
}

// emit writes ev inside tx. Store.Tx wakes the sink after commit; a
// missed wake-up only delays processing until the next poll, the event
// itself is durable.
func (s *Store) emit(ctx context.Context, tx bun.IDB, ev Event) error {
	ev.CreatedAt = s.Now()
	// A prepared insert (hot_store.go): every vote, support and comment
	// emits. processed_at stays NULL, as bun wrote for a nil ProcessedAt.
	err := rawExec(ctx, tx, s.hot().insertEvent, ev.Kind, ev.ObjectType, ev.ObjectID, ev.ActorID, ev.SpaceID, ev.Data, s.timeArg(ev.CreatedAt))
	if err != nil {
		return dbErr("emit event", err)
	}
	s.fed(ctx, tx, QueueEvents)
	return nil
}

// fedKey carries, in the context of a Store.Tx, the queues it fed.
type fedKey struct{}

// withFed returns ctx carrying a collector of fed queues.
func withFed(ctx context.Context, q *Queue) context.Context {
	return context.WithValue(ctx, fedKey{}, q)
}

// fed records that a write through db fed queue q: outside a transaction
// the sink is told at once; inside one, after its commit (Store.Tx and
// the ballot batches collect through ctx). A transaction opened some
// other way tells the sink at once: a worker woken before the commit
// finds nothing and polls again later, which only delays.
func (s *Store) fed(ctx context.Context, db bun.IDB, q Queue) {
	if _, inTx := db.(bun.Tx); inTx {
		if c, ok := ctx.Value(fedKey{}).(*Queue); ok {
			*c |= q
			return
		}
	}
	s.notify(q)
}

func (s *Store) notify(q Queue) {
	if q != 0 && s.events != nil {
		s.events.Notify(q)
	}
}

// PendingEvents returns up to limit unprocessed events, oldest first.
func (s *Store) PendingEvents(ctx context.Context, limit int) ([]Event, error) {
	var out []Event
	err := s.DB.NewSelect().Model(&out).Where("processed_at IS NULL").Order("id").Limit(int64(limit)).Scan(ctx)
	return out, dbErr("pending events", err)
}

// MarkEventProcessed records that ev was handled.
func (s *Store) MarkEventProcessed(ctx context.Context, id int64) error {
	_, err := s.DB.NewUpdate().Model((*Event)(nil)).Set("processed_at = ?", s.Now()).Where("id = ?", id).Exec(ctx)
	return dbErr("mark event", err)
}

// eventHistory are the kinds of event kept once processed: later events
// of the same object read them (ProposalAnswers: which answer published
// the answer Note, and did it go out before its answerer's erasure?).
// PetitionResponses reads a petition's response events the same way.
var eventHistory = []string{EventProposalAnswered, EventPetitionAnswered, EventPetitionResponseEdited}

// PurgeEvents deletes the processed events older than keep, except the
// kinds kept as history. An event is the outbox's work item: once
// processed, what it said is in the civic tables and the deliveries it
// queued, and a vote.cast kept forever (voter and options) would be a
// second record of every ballot that no erasure or recount sees. It
// returns how many it deleted.
func (s *Store) PurgeEvents(ctx context.Context, keep time.Duration) (int64, error) {
	before := s.Now().Add(-keep)
	n, err := s.deleteInBatches(ctx, (*Event)(nil), func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("processed_at IS NOT NULL AND processed_at < ? AND kind NOT IN (?)", before, bun.In(eventHistory))
	})
	return n, dbErr("purge events", err)
}

// purgeBatch is how many rows a purge deletes per statement: SQLite has
// one writer, and a burst of votes must not wait behind the deletion of
// a week of rows.
const purgeBatch = 1000

// deleteInBatches deletes the rows of model's table that where selects,
// purgeBatch at a time in id order (the oldest first, where purges look),
// and returns how many it deleted.
func (s *Store) deleteInBatches(ctx context.Context, model any, where func(*bun.SelectQuery) *bun.SelectQuery) (int64, error) {
	var total int64
	for {
		ids := where(s.DB.NewSelect().Model(model).Column("id")).Order("id").Limit(purgeBatch)
		res, err := s.DB.NewDelete().Model(model).Where("id IN (?)", ids).Exec(ctx)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += n
		if n < purgeBatch {
			return total, nil
		}
	}
}
