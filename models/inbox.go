package models

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// InboxItem is an activity received in an inbox, stored raw before the
// 202 answer and processed later by a worker. ActivityID is unique, so a
// peer's retry of the same activity is stored (and applied) once.
type InboxItem struct {
	bun.BaseModel `bun:"table:inbox_items"`
	ID            int64      `bun:",pk,autoincrement"`
	ActivityID    string     `bun:",notnull"`
	Type          string     `bun:",notnull"`
	ActorURI      string     `bun:"actor_uri,notnull"`
	KeyOwner      string     `bun:",notnull"`
	Host          string     `bun:",notnull"`
	Recipient     string     `bun:",notnull"`
	Body          string     `bun:",notnull"`
	Attempts      int        `bun:",notnull"`
	NextAttemptAt time.Time  `bun:",notnull"`
	LockedUntil   *time.Time `bun:",nullzero"`
	LockedBy      string     `bun:",notnull"`
	Error         string     `bun:",notnull"`
	ReceivedAt    time.Time  `bun:",notnull"`
	ProcessedAt   *time.Time `bun:",nullzero"`
}

// MaxInboxAttempts is how often a failing inbox item is retried (e.g.
// while the object it replies to cannot be fetched) before it is dropped.
const MaxInboxAttempts = 8

// StoreInboxItem stores a received activity durably. It reports false,
// without error, when an activity with the same id was already received.
func (s *Store) StoreInboxItem(ctx context.Context, it *InboxItem) (bool, error) {
	now := s.Now()
	it.ReceivedAt, it.NextAttemptAt = now, now
	res, err := s.DB.NewInsert().Model(it).On("CONFLICT (activity_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, dbErr("store inbox item", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		s.notify(QueueInbox)
	}
	return n > 0, nil
}

// ClaimInboxItems leases up to n due inbox items to owner until now+lease.
// On PostgreSQL rows locked by another node are skipped, so nodes never
// take the same item.
func (s *Store) ClaimInboxItems(ctx context.Context, owner string, n int, lease time.Duration) ([]InboxItem, error) {
	now := s.Now()
	var out []InboxItem
	sub := s.DB.NewSelect().Model((*InboxItem)(nil)).Column("id").
		Where("processed_at IS NULL AND next_attempt_at <= ?", now).
		Where("(locked_until IS NULL OR locked_until < ?)", now).Order("id").Limit(int64(n))
	if s.Dialect == Postgres {
		sub = sub.For("UPDATE SKIP LOCKED")
	}
	err := s.DB.NewUpdate().Model(&out).Set("locked_by = ?", owner).Set("locked_until = ?", now.Add(lease)).
		Set("attempts = attempts + 1").Where("id IN (?)", sub).Returning("*").Scan(ctx)
	return out, dbErr("claim inbox items", err)
}

// FinishInboxItem records the outcome of processing: success (procErr
// nil) marks it processed; a failure is retried later with backoff until
// MaxInboxAttempts, then marked processed with the error kept.
func (s *Store) FinishInboxItem(ctx context.Context, it *InboxItem, owner string, procErr error, retryIn time.Duration) error {
	now := s.Now()
	q := s.DB.NewUpdate().Model((*InboxItem)(nil)).Where("id = ? AND locked_by = ?", it.ID, owner).
		Set("locked_until = NULL").Set("locked_by = ''")
	switch {
	case procErr == nil:
		q = q.Set("processed_at = ?", now).Set("error = ''")
	case it.Attempts >= MaxInboxAttempts || retryIn <= 0:
		q = q.Set("processed_at = ?", now).Set("error = ?", truncateBytes(procErr.Error(), 500))
	default:
		q = q.Set("next_attempt_at = ?", now.Add(retryIn)).Set("error = ?", truncateBytes(procErr.Error(), 500))
	}
	_, err := q.Exec(ctx)
	return dbErr("finish inbox item", err)
}

// PurgeInboxItems deletes processed items older than keep; the ids of
// recent ones still deduplicate retries.
func (s *Store) PurgeInboxItems(ctx context.Context, keep time.Duration) (int64, error) {
	res, err := s.DB.NewDelete().Model((*InboxItem)(nil)).
		Where("processed_at IS NOT NULL AND processed_at < ?", s.Now().Add(-keep)).Exec(ctx)
	if err != nil {
		return 0, dbErr("purge inbox", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// InboxBacklog counts unprocessed inbox items, for metrics.
func (s *Store) InboxBacklog(ctx context.Context) (int, error) {
	n, err := s.DB.NewSelect().Model((*InboxItem)(nil)).Where("processed_at IS NULL").Count(ctx)
	return int(n), dbErr("inbox backlog", err)
}

// HasInboxActivity reports whether an activity id was received, for tests
// and for checking that refused requests stored nothing.
func (s *Store) HasInboxActivity(ctx context.Context, activityID string) (bool, error) {
	n, err := s.DB.NewSelect().Model((*InboxItem)(nil)).Where("activity_id = ?", activityID).Count(ctx)
	return n > 0, dbErr("has inbox activity", err)
}

// truncateBytes cuts s to at most n bytes on a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
