package models

import (
	"context"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// The notification digest: a member who turned it on (Account.EmailDigest,
// off by default) receives their unread notifications by e-mail, at most
// once a day, through the mail outbox. Each digest tells the unread
// notifications that no digest told yet (Notification.DigestedAt), and
// none is sent when there is none: reading them on the site before the
// digest leaves nothing to send.
//
// A digest marks the notifications it read as told, in the transaction
// that queues it, rather than telling those "created since the previous
// one": such a window of times missed a notification created in the
// same clock tick as the previous digest after its query, and one whose
// transaction read the clock before that query but committed after it
// (an id watermark would miss the latter too: a PostgreSQL sequence
// gives ids in insert order, not in commit order). A notification
// committed too late for a digest's query is not marked, and the next
// digest tells it. Only notifications created after Account.DigestFrom
// are looked at: a day back for the first digest, then a DigestInterval
// before the previous one (far longer than any transaction), so that the
// history from before the first digest's day is never mailed.

// DigestInterval is the least time between two digests of an account,
// and how far back the first one looks.
const DigestInterval = 24 * time.Hour

// DigestMaxItems bounds the notifications a digest lists; Digest.Total
// says how many there are.
const DigestMaxItems = 20

// MailKindDigest is the outbox's Kind of a digest, for the logs.
const MailKindDigest = "digest"

// Digest is one account's digest: who to write to and their new unread
// notifications, newest first, at most DigestMaxItems of Total.
type Digest struct {
	AccountID     int64
	Username      string
	Email         string
	Locale        string
	Notifications []NotificationView
	Total         int
	// ids are the Total notifications it tells, which queueing it marks.
	ids []int64
}

// digestDue selects the accounts whose digest is due at now: turned on,
// with a confirmed address, neither disabled nor erased, the last one
// DigestInterval old or more (or none).
func digestDue(q *bun.SelectQuery, now time.Time) *bun.SelectQuery {
	return q.Where("account.email_digest = ? AND account.email <> '' AND NOT account.disabled AND account.deleted_at IS NULL", true).
		Where("(account.digest_sent_at IS NULL OR account.digest_sent_at <= ?)", now.Add(-DigestInterval))
}

// digestWindow selects, in a query on notifications, the ones acc's next
// digest (at now) tells: unread, told by no digest yet, created after
// acc.DigestFrom (in the last DigestInterval for the first digest).
func digestWindow(q *bun.SelectQuery, acc *Account, now time.Time) *bun.SelectQuery {
	from := now.Add(-DigestInterval)
	if acc.DigestFrom != nil {
		from = *acc.DigestFrom
	}
	return q.Where("notification.account_id = ? AND notification.read_at IS NULL AND notification.digested_at IS NULL AND notification.created_at > ?", acc.ID, from)
}

// QueueNotificationDigests queues the due digests of up to limit accounts
// (the accounts with the digest on and unread notifications no digest
// told, see digestDue and digestWindow), written by compose (the web
// door, in the member's language), and reports how many it queued. Each
// is queued in the transaction that moves the account's digest_sent_at
// forward and marks the notifications it tells, and only by the one
// whose conditional update moved it: several nodes running it at once
// queue each digest once. The mail expires after DigestInterval unless
// compose sets another expiry: tomorrow's digest replaces it.
func (s *Store) QueueNotificationDigests(ctx context.Context, limit int, compose func(Digest) Mail) (int, error) {
	limit = clampLimit(limit)
	now := s.Now()
	var accs []*Account
	q := s.DB.NewSelect().Model(&accs).Column("id", "username", "email", "locale", "digest_sent_at", "digest_from")
	err := digestDue(q, now).
		Where("EXISTS (SELECT 1 FROM notifications AS n WHERE n.account_id = account.id AND n.read_at IS NULL AND n.digested_at IS NULL"+
			" AND n.created_at > COALESCE(account.digest_from, ?))", now.Add(-DigestInterval)).
		OrderExpr("account.id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return 0, dbErr("due digests", err)
	}
	queued := 0
	for _, acc := range accs {
		d, err := s.digestOf(ctx, acc, now)
		if err != nil {
			return queued, err
		}
		if d.Total == 0 {
			continue // read meanwhile
		}
		mine, err := s.queueOnce(ctx, func(ctx context.Context, tx bun.Tx, _ time.Time) (bool, error) {
			return claimDigest(ctx, tx, acc, now, d.ids)
		}, func() Mail {
			m := compose(d)
			m.AccountID, m.Username, m.Address = d.AccountID, d.Username, d.Email
			if m.Kind == "" {
				m.Kind = MailKindDigest
			}
			if m.ExpiresAt.IsZero() {
				m.ExpiresAt = now.Add(DigestInterval)
			}
			return m
		})
		if err != nil {
			return queued, err
		}
		if mine {
			queued++
		}
	}
	return queued, nil
}

// claimDigest moves acc's digest_sent_at to now, in tx, if its digest is
// still due, and then marks the notifications ids (those the digest
// tells) as told; it reports whether it did. The due conditions are
// checked again: an account turned off, disabled, erased or given
// another address meanwhile gets nothing, and of two nodes only the first
// moves digest_sent_at (the second finds it less than DigestInterval
// old).
func claimDigest(ctx context.Context, tx bun.Tx, acc *Account, now time.Time, ids []int64) (bool, error) {
	res, err := tx.NewUpdate().Model((*Account)(nil)).Set("digest_sent_at = ?", now).Set("digest_from = ?", now.Add(-DigestInterval)).
		Where("id = ? AND email = ? AND email_digest = ? AND NOT disabled AND deleted_at IS NULL", acc.ID, acc.Email, true).
		Where("(digest_sent_at IS NULL OR digest_sent_at <= ?)", now.Add(-DigestInterval)).Exec(ctx)
	if err != nil {
		return false, dbErr("mark digest sent", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, dbErr("mark digest sent", err)
	}
	for chunk := range slices.Chunk(ids, notifyBatch) {
		_, err := tx.NewUpdate().Model((*Notification)(nil)).Set("digested_at = ?", now).
			Where("account_id = ? AND id IN (?)", acc.ID, bun.In(chunk)).Exec(ctx)
		if err != nil {
			return false, dbErr("mark notifications digested", err)
		}
	}
	return true, nil
}

// digestOf gathers acc's digest at now: the notifications in its window
// (digestWindow), all counted and their ids kept, the newest
// DigestMaxItems described for display.
func (s *Store) digestOf(ctx context.Context, acc *Account, now time.Time) (Digest, error) {
	d := Digest{AccountID: acc.ID, Username: acc.Username, Email: acc.Email, Locale: acc.Locale}
	q := s.DB.NewSelect().Model((*Notification)(nil)).Column("notification.id")
	if err := digestWindow(q, acc, now).OrderExpr("notification.id DESC").Scan(ctx, &d.ids); err != nil {
		return d, dbErr("digest notifications", err)
	}
	d.Total = len(d.ids)
	if d.Total == 0 {
		return d, nil
	}
	var rows []Notification
	err := s.DB.NewSelect().Model(&rows).Where("notification.id IN (?)", bun.In(d.ids[:min(len(d.ids), DigestMaxItems)])).
		OrderExpr("notification.id DESC").Scan(ctx)
	if err != nil {
		return d, dbErr("digest notifications", err)
	}
	if d.Notifications, err = s.viewNotifications(ctx, rows); err != nil {
		return d, err
	}
	return d, nil
}
