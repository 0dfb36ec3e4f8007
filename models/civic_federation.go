package models

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// Store functions the federation door needs to publish local civic
// objects: batched count Updates (a durable queue, one row per object),
// the items of actors' outboxes, replies collections and the inboxes of
// remote participants. Table civic_count_updates comes from migration
// 20261123150000_civic_federation.

// CountUpdate is a pending Update{Note|Question} carrying new counts of a
// local proposal, debate or petition. DueAt nil: nothing pending.
type CountUpdate struct {
	bun.BaseModel `bun:"table:civic_count_updates,alias:cu"`
	ObjectType    string     `bun:",pk"`
	ObjectID      int64      `bun:",pk"`
	DueAt         *time.Time `bun:",nullzero"`
	RequestedAt   time.Time  `bun:",notnull"`
	SentAt        *time.Time `bun:",nullzero"`
	ClaimedBy     string     `bun:",notnull"`
	ClaimedUntil  *time.Time `bun:",nullzero"`
}

// ScheduleCountUpdate asks for an Update of an object's counts at the
// earliest at at, and no sooner than window after the last one sent
// (unless force: the final Update when a debate or petition closes). An
// Update already pending earlier stays earlier. Calling it again for the
// same change is harmless, so event handlers may call it before their
// event is marked processed.
func (s *Store) ScheduleCountUpdate(ctx context.Context, objectType string, objectID int64, at time.Time, window time.Duration, force bool) error {
	now := s.Now()
	at = at.UTC().Truncate(time.Microsecond)
	if done, err := s.touchCountUpdate(ctx, objectType, objectID, at, window, force, now); done || err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row := &CountUpdate{ObjectType: objectType, ObjectID: objectID, RequestedAt: now}
		if _, err := tx.NewInsert().Model(row).On("CONFLICT (object_type, object_id) DO NOTHING").Exec(ctx); err != nil {
			return dbErr("insert count update", err)
		}
		q := tx.NewSelect().Model(row).Where("object_type = ? AND object_id = ?", objectType, objectID)
		if s.Dialect == Postgres {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return dbErr("load count update", err)
		}
		due := countUpdateDue(row, at, window, force)
		_, err := tx.NewUpdate().Model((*CountUpdate)(nil)).Set("due_at = ?", due).Set("requested_at = ?", now).
			Where("object_type = ? AND object_id = ?", objectType, objectID).Exec(ctx)
		return dbErr("schedule count update", err)
	})
}

// countUpdateDue is when row's Update is due once a change asked at at
// is added: at, no sooner than window after the last one sent (unless
// force), and never later than an Update already pending.
func countUpdateDue(row *CountUpdate, at time.Time, window time.Duration, force bool) time.Time {
	due := at
	if !force && row.SentAt != nil && row.SentAt.Add(window).After(due) {
		due = row.SentAt.Add(window)
	}
	if row.DueAt != nil && row.DueAt.Before(due) {
		due = *row.DueAt
	}
	return due
}

// touchCountUpdate is ScheduleCountUpdate for the common case of a burst
// (every vote.cast of a debate calls it): an Update is already pending
// and the change leaves its due time as it is, so only requested_at
// moves, one conditional UPDATE (prepared) instead of a transaction of
// three statements. The due_at condition makes it exact against a
// concurrent claim, finish or schedule: if the row changed since it was
// read, nothing is written and done is false, as when there is no row or
// nothing pending; the caller then takes the full path.
func (s *Store) touchCountUpdate(ctx context.Context, objectType string, objectID int64, at time.Time, window time.Duration, force bool, now time.Time) (done bool, err error) {
	h := s.hot()
	row := new(CountUpdate)
	if err := s.scanOne(ctx, row, h.countUpdate, objectType, objectID); errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, dbErr("load count update", err)
	}
	if row.DueAt == nil || !countUpdateDue(row, at, window, force).Equal(*row.DueAt) {
		return false, nil
	}
	res, err := rawExecResult(ctx, s.DB, h.touchCountUpdate, s.timeArg(now), objectType, objectID, s.timeArg(*row.DueAt))
	if err != nil {
		return false, dbErr("schedule count update", err)
	}
	n, err := res.RowsAffected()
	return err == nil && n == 1, nil
}

// ClaimCountUpdates leases up to n due count updates to owner until
// now+lease, oldest due first (on PostgreSQL, rows another node is
// claiming are skipped).
func (s *Store) ClaimCountUpdates(ctx context.Context, owner string, n int, lease time.Duration) ([]CountUpdate, error) {
	now := s.Now()
	var out []CountUpdate
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var due []CountUpdate
		q := tx.NewSelect().Model(&due).Where("due_at IS NOT NULL AND due_at <= ?", now).
			Where("(claimed_until IS NULL OR claimed_until < ?)", now).Order("due_at").Limit(int64(n))
		if s.Dialect == Postgres {
			q = q.For("UPDATE SKIP LOCKED")
		}
		if err := q.Scan(ctx); err != nil {
			return dbErr("due count updates", err)
		}
		for _, cu := range due {
			res, err := tx.NewUpdate().Model((*CountUpdate)(nil)).Set("claimed_by = ?", owner).Set("claimed_until = ?", now.Add(lease)).
				Where("object_type = ? AND object_id = ? AND (claimed_until IS NULL OR claimed_until < ?)", cu.ObjectType, cu.ObjectID, now).Exec(ctx)
			if err != nil {
				return dbErr("claim count update", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				cu.ClaimedBy = owner
				out = append(out, cu)
			}
		}
		return nil
	})
	return out, err
}

// FinishCountUpdate records that owner sent the Update of cu (out are its
// deliveries, queued in the same transaction): the next one is due at
// next (nil: none) unless a change was asked for since the claim, which
// is then due one window after now.
func (s *Store) FinishCountUpdate(ctx context.Context, cu CountUpdate, owner string, next *time.Time, window time.Duration, out ...Outgoing) error {
	now := s.Now()
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row := new(CountUpdate)
		q := tx.NewSelect().Model(row).Where("object_type = ? AND object_id = ? AND claimed_by = ?", cu.ObjectType, cu.ObjectID, owner)
		if s.Dialect == Postgres {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			if err = dbErr("finish count update", err); err == ErrNotFound {
				return ErrConflict // the lease expired and another node took it
			}
			return err
		}
		due := next
		if row.RequestedAt.After(cu.RequestedAt) {
			t := now.Add(window)
			if due == nil || t.Before(*due) {
				due = &t
			}
		}
		_, err := tx.NewUpdate().Model((*CountUpdate)(nil)).Set("due_at = ?", due).Set("sent_at = ?", now).
			Set("claimed_by = ''").Set("claimed_until = NULL").
			Where("object_type = ? AND object_id = ?", cu.ObjectType, cu.ObjectID).Exec(ctx)
		if err != nil {
			return dbErr("finish count update", err)
		}
		_, err = s.EnqueueDeliveriesTx(ctx, tx, out...)
		return err
	})
}

// CountUpdateOf returns the count-update row of an object: when its last
// count Update was sent (a served object is dated no earlier).
func (s *Store) CountUpdateOf(ctx context.Context, objectType string, objectID int64) (*CountUpdate, error) {
	row := new(CountUpdate)
	err := s.DB.NewSelect().Model(row).Where("object_type = ? AND object_id = ?", objectType, objectID).Scan(ctx)
	return row, dbErr("count update", err)
}

// CivicRef names one local civic object in an actor's outbox.
type CivicRef struct {
	Type      string    `bun:"type"`
	ID        int64     `bun:"id"`
	CreatedAt time.Time `bun:"created_at"`
}

// publicObjects is the UNION of the public local proposals, petitions and
// debates (not hidden, not deleted; debates once out of draft) with their
// author and space. Its one argument is now.
const publicObjects = `
SELECT 'proposal' AS type, id, created_at, author_id, space_id FROM proposals
  WHERE local AND hidden_at IS NULL AND deleted_at IS NULL
UNION ALL SELECT 'petition', id, created_at, author_id, space_id FROM petitions
  WHERE local AND hidden_at IS NULL AND deleted_at IS NULL
UNION ALL SELECT 'debate', id, created_at, author_id, space_id FROM debates
  WHERE local AND hidden_at IS NULL AND deleted_at IS NULL AND (phase <> 'draft' OR (opens_at IS NOT NULL AND opens_at <= ?))`

// publicComments adds to publicObjects the comments of one author that
// are public by the rule that serves one comment (CommentHiddenAt for an
// anonymous reader): local, neither deleted nor hidden, on a proposal,
// petition or debate (local or a copy) that is neither hidden nor deleted
// nor a draft, and below no hidden comment. The last is an upward walk
// from each of the author's replies (start, one of its ancestors), so it
// reads their threads' ancestors by primary key, not every hidden
// comment. Its arguments are the author, now and the author again.
const publicComments = `
UNION ALL SELECT 'comment', c.id, c.created_at, c.author_id, c.space_id FROM comments AS c
  WHERE c.author_id = ? AND c.local AND c.hidden_at IS NULL AND c.deleted_at IS NULL
  AND ((c.object_type = 'proposal' AND EXISTS (SELECT 1 FROM proposals AS o
          WHERE o.id = c.object_id AND o.hidden_at IS NULL AND o.deleted_at IS NULL))
    OR (c.object_type = 'petition' AND EXISTS (SELECT 1 FROM petitions AS o
          WHERE o.id = c.object_id AND o.hidden_at IS NULL AND o.deleted_at IS NULL))
    OR (c.object_type = 'debate' AND EXISTS (SELECT 1 FROM debates AS o
          WHERE o.id = c.object_id AND o.hidden_at IS NULL AND o.deleted_at IS NULL
          AND (o.phase <> 'draft' OR (o.opens_at IS NOT NULL AND o.opens_at <= ?)))))
  AND c.id NOT IN (WITH RECURSIVE up(start, anc) AS (
      SELECT h.id, h.parent_id FROM comments AS h WHERE h.author_id = ? AND h.local AND h.parent_id IS NOT NULL
      UNION ALL SELECT up.start, p.parent_id FROM comments AS p JOIN up ON p.id = up.anc WHERE p.parent_id IS NOT NULL
    ) SELECT up.start FROM up JOIN comments AS a ON a.id = up.anc WHERE a.hidden_at IS NOT NULL)`

// PublicContributions lists, newest first, the public local civic objects
// an actor wrote (authorID: a person's outbox, comments included) or that
// belong to a space (spaceID, for a Group's outbox; no comments), with
// their total. The total counts exactly what the pages list: an outbox
// whose totalItems counted what its pages skip (a comment under a hidden
// proposal) announced items no page ever showed.
func (s *Store) PublicContributions(ctx context.Context, authorID, spaceID int64, offset, limit int) (int, []CivicRef, error) {
	now := s.Now()
	from, where, args := publicObjects+publicComments, "author_id = ?", []any{now, authorID, now, authorID, authorID}
	if spaceID != 0 {
		from, where, args = publicObjects, "space_id = ?", []any{now, spaceID}
	}
	var total int
	err := s.DB.NewRaw("SELECT COUNT(*) FROM ("+from+") AS o WHERE "+where, args...).Scan(ctx, &total)
	if err != nil {
		return 0, nil, dbErr("count contributions", err)
	}
	var out []CivicRef
	err = s.DB.NewRaw("SELECT type, id, created_at FROM ("+from+") AS o WHERE "+where+
		" ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", append(args, clampLimit(limit), max(offset, 0))...).Scan(ctx, &out)
	if err != nil {
		return 0, nil, dbErr("list contributions", err)
	}
	return total, out, nil
}

// ReplyURIs lists, oldest first, the ids of the visible comments (local
// and remote) answering an object directly: top-level comments of a
// proposal, debate or petition, or replies to comment parentID (then
// objectType is "comment" and objectID the comment).
func (s *Store) ReplyURIs(ctx context.Context, objectType string, objectID int64, offset, limit int) (int, []string, error) {
	q := s.DB.NewSelect().Model((*Comment)(nil)).Where("c.hidden_at IS NULL AND c.deleted_at IS NULL")
	if objectType == ObjectTypeComment {
		q = q.Where("c.parent_id = ?", objectID)
	} else {
		q = q.Where("c.object_type = ? AND c.object_id = ? AND c.parent_id IS NULL", objectType, objectID)
	}
	total, err := q.Count(ctx)
	if err != nil {
		return 0, nil, dbErr("count replies", err)
	}
	var uris []string
	err = q.Column("c.uri").OrderExpr("c.id").Limit(int64(clampLimit(limit))).Offset(int64(max(offset, 0))).Scan(ctx, &uris)
	if err != nil {
		return 0, nil, dbErr("list replies", err)
	}
	return int(total), uris, nil
}

// ParticipantInboxes lists the inboxes (shared ones preferred) of the
// remote actors who supported a proposal, voted in a debate or signed a
// petition: a count Update goes to them too, as Mastodon sends poll
// updates to voters. Blocked domains are left out.
func (s *Store) ParticipantInboxes(ctx context.Context, objectType string, objectID int64) ([]string, error) {
	var table, col string
	switch objectType {
	case ObjectTypeProposal:
		table, col = "supports", "proposal_id"
	case ObjectTypeDebate:
		table, col = "debate_ballots", "debate_id"
	case ObjectTypePetition:
		table, col = "signatures", "petition_id"
	default:
		return nil, nil
	}
	var rows []struct {
		Inbox string
		Host  string
	}
	err := s.DB.NewSelect().TableExpr("? AS p", bun.Ident(table)).Join("JOIN actors AS a ON a.id = p.actor_id").
		ColumnExpr("DISTINCT CASE WHEN a.shared_inbox <> '' THEN a.shared_inbox ELSE a.inbox END AS inbox, a.host AS host").
		Where("p.? = ? AND NOT a.local AND a.deleted_at IS NULL", bun.Ident(col), objectID).Scan(ctx, &rows)
	if err != nil {
		return nil, dbErr("participant inboxes", err)
	}
	blocked, err := s.blockedSet(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rows {
		if r.Inbox != "" && !blocked.has(r.Host) {
			out = append(out, r.Inbox)
		}
	}
	return out, nil
}

// PetitionUpdateByID loads one update of a petition.
func (s *Store) PetitionUpdateByID(ctx context.Context, petitionID, updateID int64) (*PetitionUpdate, error) {
	u := new(PetitionUpdate)
	err := s.DB.NewSelect().Model(u).Where("id = ? AND petition_id = ?", updateID, petitionID).Scan(ctx)
	return u, dbErr("petition update", err)
}
