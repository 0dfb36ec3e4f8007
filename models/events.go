package models

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Event kinds written to the transactional outbox.
const (
	EventAccountDeleted = "account.deleted"
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

// EventSink is told after commit that new events are waiting, so a worker
// can wake up instead of polling.
type EventSink interface {
	Notify()
}

// emit writes ev inside tx. Store.Tx wakes the sink after commit; a
// missed wake-up only delays processing until the next poll, the event
// itself is durable.
func (s *Store) emit(ctx context.Context, tx bun.IDB, ev Event) error {
	ev.CreatedAt = s.Now()
	if _, err := tx.NewInsert().Model(&ev).Exec(ctx); err != nil {
		return dbErr("emit event", err)
	}
	if _, inTx := tx.(bun.Tx); !inTx {
		s.notify()
	}
	return nil
}

func (s *Store) notify() {
	if s.events != nil {
		s.events.Notify()
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
