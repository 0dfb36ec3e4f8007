package models

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// The notification digest: a member who turned it on (Account.EmailDigest,
// off by default) receives their unread notifications by e-mail, at most
// once a day, through the mail outbox. Each digest tells the unread
// notifications created since the previous one (in the last day for the
// first), and none is sent when there is none: reading them on the site
// before the digest leaves nothing to send.

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
}

// digestDue selects the accounts whose digest is due at now: turned on,
// with a confirmed address, neither disabled nor erased, the last one
// DigestInterval old or more (or none).
func digestDue(q *bun.SelectQuery, now time.Time) *bun.SelectQuery {
	return q.Where("account.email_digest = ? AND account.email <> '' AND NOT account.disabled AND account.deleted_at IS NULL", true).
		Where("(account.digest_sent_at IS NULL OR account.digest_sent_at <= ?)", now.Add(-DigestInterval))
}

// digestWindow selects, in a query on notifications, the unread ones of
// acc (read at now) that its next digest tells: created after its last
// digest (in the last DigestInterval for the first), up to now.
func digestWindow(q *bun.SelectQuery, acc *Account, now time.Time) *bun.SelectQuery {
	from := now.Add(-DigestInterval)
	if acc.DigestSentAt != nil {
		from = *acc.DigestSentAt
	}
	return q.Where("notification.account_id = ? AND notification.read_at IS NULL AND notification.created_at > ? AND notification.created_at <= ?", acc.ID, from, now)
}

// QueueNotificationDigests queues the due digests of up to limit accounts
// (the accounts with the digest on and new unread notifications, see
// digestDue and digestWindow), written by compose (the web door, in the
// member's language), and reports how many it queued. Each is queued in
// the transaction that moves the account's digest_sent_at forward, and
// only by the one whose conditional update moved it: several nodes
// running it at once queue each digest once. The mail expires after
// DigestInterval unless compose sets another expiry: tomorrow's digest
// replaces it.
func (s *Store) QueueNotificationDigests(ctx context.Context, limit int, compose func(Digest) Mail) (int, error) {
	limit = clampLimit(limit)
	now := s.Now()
	var accs []*Account
	q := s.DB.NewSelect().Model(&accs).Column("id", "username", "email", "locale", "digest_sent_at")
	err := digestDue(q, now).
		Where("((account.digest_sent_at IS NULL AND EXISTS (SELECT 1 FROM notifications AS n WHERE n.account_id = account.id AND n.read_at IS NULL AND n.created_at > ?))"+
			" OR EXISTS (SELECT 1 FROM notifications AS n WHERE n.account_id = account.id AND n.read_at IS NULL AND n.created_at > account.digest_sent_at))",
			now.Add(-DigestInterval)).
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
			// The due conditions again: an account turned off, disabled,
			// erased or given another address meanwhile gets nothing, and
			// of two nodes only the first moves digest_sent_at (the
			// second finds it less than DigestInterval old).
			res, err := tx.NewUpdate().Model((*Account)(nil)).Set("digest_sent_at = ?", now).
				Where("id = ? AND email = ? AND email_digest = ? AND NOT disabled AND deleted_at IS NULL", acc.ID, acc.Email, true).
				Where("(digest_sent_at IS NULL OR digest_sent_at <= ?)", now.Add(-DigestInterval)).Exec(ctx)
			if err != nil {
				return false, dbErr("mark digest sent", err)
			}
			n, err := res.RowsAffected()
			return n == 1, dbErr("mark digest sent", err)
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

// digestOf gathers acc's digest at now: its unread notifications in the
// window (digestWindow), newest first, described for display.
func (s *Store) digestOf(ctx context.Context, acc *Account, now time.Time) (Digest, error) {
	d := Digest{AccountID: acc.ID, Username: acc.Username, Email: acc.Email, Locale: acc.Locale}
	var rows []Notification
	q := s.DB.NewSelect().Model(&rows)
	total, err := digestWindow(q, acc, now).OrderExpr("notification.id DESC").Limit(DigestMaxItems).ScanAndCount(ctx)
	if err != nil {
		return d, dbErr("digest notifications", err)
	}
	d.Total = int(total)
	if d.Notifications, err = s.viewNotifications(ctx, rows); err != nil {
		return d, err
	}
	return d, nil
}
