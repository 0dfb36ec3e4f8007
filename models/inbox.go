package models

import (
	"cmp"
	"context"
	"slices"
	"strings"
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
// The items of concurrent POSTs are committed together (see
// pendingInboxItem); it returns only once the item is committed.
func (s *Store) StoreInboxItem(ctx context.Context, it *InboxItem) (bool, error) {
	now := s.Now()
	it.ReceivedAt, it.NextAttemptAt = now, now
	return s.storeInboxBatched(ctx, it)
}

// inboxItemArgs are the arguments of the prepared insert (hot_store.go);
// locked_until and processed_at stay NULL, as bun wrote for nil.
func (s *Store) inboxItemArgs(it *InboxItem) []any {
	return []any{it.ActivityID, it.Type, it.ActorURI, it.KeyOwner, it.Host, it.Recipient, it.Body, it.Attempts,
		s.timeArg(it.NextAttemptAt), it.LockedBy, it.Error, s.timeArg(it.ReceivedAt)}
}

// pendingInboxItem is a received activity waiting in the group commit of
// inbox items (Store.inboxBatch, a groupQueue). On SQLite a POST's cost
// was mostly its own write transaction: taking the write lock, re-reading
// the pages another connection's commit had made stale, and writing the
// same table and index pages to the WAL as the POST before it. On
// PostgreSQL it was a statement and a commit per POST, with the database
// on the same cores: a batch is one multi-row INSERT. Nobody is answered
// before the commit; if a batch fails, each of its items is retried
// alone, so one bad item cannot fail the others.
type pendingInboxItem struct {
	ctx  context.Context
	it   *InboxItem
	ok   bool
	err  error
	done chan struct{}
}

// maxInboxBatch bounds a batch, so that the first of a burst is not kept
// waiting for hundreds of others.
const maxInboxBatch = 64

// storeInboxBatched queues it for the next batch and waits for its
// outcome.
func (s *Store) storeInboxBatched(ctx context.Context, it *InboxItem) (bool, error) {
	p := &pendingInboxItem{ctx: ctx, it: it, done: make(chan struct{})}
	s.inboxBatch.add(p, maxInboxBatch, s.commitInboxItems)
	// No select on ctx.Done: once queued the item may be committed, and
	// the caller must learn whether it was.
	<-p.done
	return p.ok, p.err
}

// commitInboxItems commits one batch, item by item if the batch fails,
// and answers each waiter.
func (s *Store) commitInboxItems(batch []*pendingInboxItem) {
	stored, err := s.commitInboxBatch(batch)
	if err != nil && len(batch) > 1 {
		stored = 0
		for _, p := range batch {
			n, _ := s.commitInboxBatch([]*pendingInboxItem{p})
			stored += n
		}
	}
	if stored > 0 {
		s.notify(QueueInbox)
	}
	for _, p := range batch {
		close(p.done)
	}
}

// commitInboxBatch inserts the batch's items in one transaction and
// records each outcome in it; on failure every item gets the error. It
// returns how many new items were committed, and the batch's error.
func (s *Store) commitInboxBatch(batch []*pendingInboxItem) (stored int, err error) {
	if s.Dialect == Postgres {
		return s.commitInboxBatchPG(batch)
	}
	q := s.hot().insertInboxItem
	// The transaction outlives any one sender's request: a cancelled
	// request only skips its own item.
	err = s.DB.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		for _, p := range batch {
			p.ok = false
			if p.err = p.ctx.Err(); p.err != nil {
				continue
			}
			res, err := rawExecResult(ctx, tx, q, s.inboxItemArgs(p.it)...)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			p.ok = n > 0
		}
		return nil
	})
	for _, p := range batch {
		switch {
		case err != nil:
			p.ok, p.err = false, dbErr("store inbox item", err)
		case p.ok:
			stored++
		}
	}
	return stored, err
}

// commitInboxBatchPG is commitInboxBatch on PostgreSQL: one INSERT of
// all the batch's items (one round trip, one commit), which returns the
// ids it inserted; an activity twice in the batch is new once, for its
// first copy.
func (s *Store) commitInboxBatchPG(batch []*pendingInboxItem) (stored int, err error) {
	var args []any
	var items []*pendingInboxItem
	for _, p := range batch {
		p.ok = false
		if p.err = p.ctx.Err(); p.err == nil {
			items = append(items, p)
			args = append(args, s.inboxItemArgs(p.it)...)
		}
	}
	if len(items) == 0 {
		return 0, nil
	}
	inserted := map[string]bool{}
	err = func() error {
		rows, err := rawQuery(context.Background(), s.DB, insertInboxItemsPG(len(items)), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			inserted[id] = true
		}
		return rows.Err()
	}()
	for _, p := range items {
		switch {
		case err != nil:
			p.err = dbErr("store inbox item", err)
		case inserted[p.it.ActivityID]:
			p.ok = true
			delete(inserted, p.it.ActivityID) // a second copy is a duplicate
			stored++
		}
	}
	return stored, err
}

// inboxItemColumns are the columns of inboxItemArgs, in order.
var inboxItemColumns = []string{"activity_id", "type", "actor_uri", "key_owner", "host", "recipient", "body",
	"attempts", "next_attempt_at", "locked_by", "error", "received_at"}

// insertInboxItemsPG is the PostgreSQL insert of n inbox items (n rows of
// inboxItemColumns) that skips known ids and returns the new ones. pgx
// keeps one prepared statement per n (at most maxInboxBatch).
func insertInboxItemsPG(n int) string {
	return "INSERT INTO inbox_items (" + strings.Join(inboxItemColumns, ", ") + ") VALUES " + valuesPG(n, len(inboxItemColumns)) +
		" ON CONFLICT (activity_id) DO NOTHING RETURNING activity_id"
}

// ClaimInboxItems leases up to n due inbox items to owner until now+lease,
// in the order received.
// On PostgreSQL rows locked by another node are skipped, so nodes never
// take the same item.
//
// A claimed item is not due again before its lease ends (next_attempt_at
// moves with locked_until): the claim then reads only the partial index
// of unprocessed items, in its order. Filtering on locked_until instead
// made SQLite walk the table in id order, through every processed item
// kept for deduplication (14 days) and every leased one, each a 2 KB row:
// a burst of 6,000 items made each claim read thousands of pages.
func (s *Store) ClaimInboxItems(ctx context.Context, owner string, n int, lease time.Duration) ([]InboxItem, error) {
	now := s.Now()
	var out []InboxItem
	sub := s.DB.NewSelect().Model((*InboxItem)(nil)).Column("id").
		Where("processed_at IS NULL AND next_attempt_at <= ?", now).OrderExpr("next_attempt_at, id").Limit(int64(n))
	if s.Dialect == Postgres {
		sub = sub.For("UPDATE SKIP LOCKED")
	}
	until := now.Add(lease)
	err := s.DB.NewUpdate().Model(&out).Set("locked_by = ?", owner).Set("locked_until = ?", until).Set("next_attempt_at = ?", until).
		Set("attempts = attempts + 1").Where("id IN (?)", sub).Returning("*").Scan(ctx)
	// RETURNING has no order on PostgreSQL, and a retried item may come
	// before an older new one: the worker applies each actor's items in
	// the order received (a Create before its Update).
	slices.SortFunc(out, func(a, b InboxItem) int { return cmp.Compare(a.ID, b.ID) })
	return out, dbErr("claim inbox items", err)
}

// InboxOutcome is the result of processing one claimed inbox item: Err
// nil when applied; otherwise it is retried after RetryIn (0: never).
type InboxOutcome struct {
	Item    *InboxItem
	Err     error
	RetryIn time.Duration
}

// FinishInboxItem records the outcome of processing: success (procErr
// nil) marks it processed; a failure is retried later with backoff until
// MaxInboxAttempts, then marked processed with the error kept.
func (s *Store) FinishInboxItem(ctx context.Context, it *InboxItem, owner string, procErr error, retryIn time.Duration) error {
	return s.FinishInboxItems(ctx, owner, InboxOutcome{Item: it, Err: procErr, RetryIn: retryIn})
}

// FinishInboxItems is FinishInboxItem for a batch, in one transaction:
// the successes (most items) in one statement. Items whose lease owner
// no longer holds are left alone.
func (s *Store) FinishInboxItems(ctx context.Context, owner string, outcomes ...InboxOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	now := s.Now()
	var done []int64
	for _, o := range outcomes {
		if o.Err == nil {
			done = append(done, o.Item.ID)
		}
	}
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if len(done) > 0 {
			// An applied item keeps its id (a replay is refused until
			// the housekeeping purges it, 14 days) but not its body:
			// what it said is now in the civic tables, and a second copy
			// of others' posts is personal data kept for nothing.
			if _, err := tx.NewUpdate().Model((*InboxItem)(nil)).Where("id IN (?) AND locked_by = ?", bun.In(done), owner).
				Set("locked_until = NULL").Set("locked_by = ''").Set("processed_at = ?", now).Set("error = ''").Set("body = ''").Exec(ctx); err != nil {
				return err
			}
		}
		for _, o := range outcomes {
			if o.Err == nil {
				continue
			}
			q := tx.NewUpdate().Model((*InboxItem)(nil)).Where("id = ? AND locked_by = ?", o.Item.ID, owner).
				Set("locked_until = NULL").Set("locked_by = ''").Set("error = ?", truncateBytes(o.Err.Error(), 500))
			if o.Item.Attempts >= MaxInboxAttempts || o.RetryIn <= 0 {
				q = q.Set("processed_at = ?", now)
			} else {
				q = q.Set("next_attempt_at = ?", now.Add(o.RetryIn))
			}
			if _, err := q.Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	return dbErr("finish inbox items", err)
}

// PurgeInboxItems deletes processed items older than keep; the ids of
// recent ones still deduplicate retries.
func (s *Store) PurgeInboxItems(ctx context.Context, keep time.Duration) (int64, error) {
	before := s.Now().Add(-keep)
	n, err := s.deleteInBatches(ctx, (*InboxItem)(nil), func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("processed_at IS NOT NULL AND processed_at < ?", before)
	})
	return n, dbErr("purge inbox", err)
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
