package models

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// The mail outbox: the e-mails odn sends (password reset and e-mail
// confirmation links, the notice to an address being replaced, the news
// of a published synthesis: QueueSynthesisEmails, the daily digest of
// unread notifications: QueueNotificationDigests) wait here until the mail server takes them, so that a server down or
// answering a temporary error, or the process stopping, does not lose
// them. The web door's worker claims due mails (ClaimMails: a lease, as
// the delivery queues'), sends them, and deletes each one sent
// (MailSent) or refused for good; a temporary failure is tried again
// later (MailFailed, MailBackoff) up to MaxMailAttempts.
//
// A row holds an address, and is kept as short a time as possible: it is
// deleted once sent, refused or given up, and never kept past ExpiresAt:
// the link's own expiry (PasswordResetValidity,
// EmailConfirmationValidity), at most MailLifetime for a notice; a mail
// past it is dropped unsent (DropExpiredMails, which the worker runs on
// each pass), as its link no longer works anyway. An erased account's
// mails are deleted with it. No usable token waits here: the body of a
// link's e-mail holds LinkToken where the token goes, and the worker
// mints the token as it sends (MintLinkToken), so a copy of the database
// (a backup, a replica) gives nobody a way into an account.

// MailLifetime is the longest a mail waits to be sent: a notice is
// still worth sending three days late, not a week.
const MailLifetime = 3 * 24 * time.Hour

// MaxMailAttempts bounds the tries of one mail; MailBackoff spaces them
// over about four hours.
const MaxMailAttempts = 10

// MailBackoff is the wait after failed attempt number attempt (1 for the
// first): 30 s doubling at each attempt, at most an hour.
func MailBackoff(attempt int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// LinkToken is where a link's token goes in the body of a queued e-mail
// (Mail.LinkKind set): the sender replaces it with the token
// MintLinkToken gives.
const LinkToken = "{odn-link-token}"

// The kinds of link a queued e-mail may carry (Mail.LinkKind).
const (
	LinkReset   = "reset"   // a password reset (RequestPasswordReset)
	LinkConfirm = "confirm" // an address's confirmation (RequestEmailConfirmation)
)

// MintLinkToken gives the link kind/id a new token, which replaces its
// former one, and returns it for the e-mail being sent. ok is false when
// the link can no longer be used (used, expired, or gone with its
// account): its e-mail is pointless then. A retry mints again, so only
// the last e-mail sent of a link works.
func (s *Store) MintLinkToken(ctx context.Context, kind string, id int64) (token string, ok bool, err error) {
	var table string
	switch kind {
	case LinkReset:
		table = "password_resets"
	case LinkConfirm:
		table = "email_confirmations"
	default:
		return "", false, nil
	}
	token = randomSecret()
	res, err := s.DB.NewUpdate().Table(table).Set("token_hash = ?", hashSecret(token)).
		Where("id = ? AND used_at IS NULL AND expires_at > ?", id, s.Now()).Exec(ctx)
	if err != nil {
		return "", false, dbErr("mint link token", err)
	}
	n, err := res.RowsAffected()
	if err != nil || n != 1 {
		return "", false, dbErr("mint link token", err)
	}
	return token, true, nil
}

// Mail is one e-mail waiting to be sent to the account AccountID (named
// Username, for the logs: they never name the address), at Address.
// Kind says what it is ("password reset"…), for the logs.
type Mail struct {
	bun.BaseModel `bun:"table:mail_outbox"`
	ID            int64      `bun:",pk,autoincrement"`
	AccountID     int64      `bun:",notnull"`
	Username      string     `bun:",notnull"`
	Kind          string     `bun:",notnull"`
	Address       string     `bun:",notnull"`
	Subject       string     `bun:",notnull"`
	Body          string     `bun:",notnull"`
	LinkKind      string     `bun:",notnull"` // LinkReset, LinkConfirm; "" for no link
	LinkID        int64      `bun:",notnull"` // the link's row
	Attempts      int        `bun:",notnull"`
	NextAttemptAt time.Time  `bun:",notnull"`
	LockedBy      string     `bun:",notnull"`
	LockedUntil   *time.Time `bun:",nullzero"`
	LastError     string     `bun:",notnull"`
	CreatedAt     time.Time  `bun:",notnull"`
	ExpiresAt     time.Time  `bun:",notnull"`
}

// QueueMail adds mails to send now. Each one's ExpiresAt is when it
// becomes pointless (its link's expiry); zero, or later than
// MailLifetime from now, is MailLifetime from now. A mail already
// expired is not queued.
func (s *Store) QueueMail(ctx context.Context, mails ...Mail) error {
	return queueMail(ctx, s.DB, s.Now(), mails)
}

// queueMail is QueueMail in db, which may be a transaction.
func queueMail(ctx context.Context, db bun.IDB, now time.Time, mails []Mail) error {
	rows := make([]Mail, 0, len(mails))
	for _, m := range mails {
		if m.ExpiresAt.IsZero() || m.ExpiresAt.After(now.Add(MailLifetime)) {
			m.ExpiresAt = now.Add(MailLifetime)
		}
		if !m.ExpiresAt.After(now) {
			continue
		}
		m.ID, m.Attempts, m.LockedBy, m.LockedUntil, m.LastError = 0, 0, "", nil, ""
		m.NextAttemptAt, m.CreatedAt = now, now
		rows = append(rows, m)
	}
	if len(rows) == 0 {
		return nil
	}
	_, err := db.NewInsert().Model(&rows).Exec(ctx)
	return dbErr("queue mail", err)
}

// queueOnce queues, in one transaction, the e-mail mail writes, when
// claim (a conditional update in the same transaction, at now) reports
// that this caller moved the row that says it is to be sent: of several
// nodes running the same pass, one queues each e-mail. It reports
// whether it queued it.
func (s *Store) queueOnce(ctx context.Context, claim func(ctx context.Context, tx bun.Tx, now time.Time) (bool, error), mail func() Mail) (bool, error) {
	queued := false
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.Now()
		mine, err := claim(ctx, tx, now)
		if err != nil || !mine {
			return err
		}
		queued = true
		return queueMail(ctx, tx, now, []Mail{mail()})
	})
	return queued && err == nil, err
}

// ClaimMails leases up to n due, unexpired mails to owner until
// now+lease, oldest first, counting an attempt for each. On PostgreSQL
// rows another node is claiming are skipped (FOR UPDATE SKIP LOCKED); on
// SQLite the single UPDATE … RETURNING is atomic. As the inbox's claim
// (ClaimInboxItems), a claimed mail is not due again before its lease
// ends (next_attempt_at moves with locked_until): a node that died with
// it leaves it to another after the lease.
func (s *Store) ClaimMails(ctx context.Context, owner string, n int, lease time.Duration) ([]Mail, error) {
	now := s.Now()
	sub := s.DB.NewSelect().Model((*Mail)(nil)).Column("id").
		Where("next_attempt_at <= ? AND expires_at > ?", now, now).OrderExpr("next_attempt_at, id").Limit(int64(n))
	if s.Dialect == Postgres {
		sub = sub.For("UPDATE SKIP LOCKED")
	}
	until := now.Add(lease)
	var out []Mail
	err := s.DB.NewUpdate().Model(&out).Set("locked_by = ?", owner).Set("locked_until = ?", until).
		Set("next_attempt_at = ?", until).Set("attempts = attempts + 1").Where("id IN (?)", sub).
		Returning("*").Scan(ctx)
	// RETURNING has no order on PostgreSQL.
	slices.SortFunc(out, func(a, b Mail) int { return cmp.Compare(a.ID, b.ID) })
	return out, dbErr("claim mails", err)
}

// MailSent deletes a mail the server took: nothing of it is kept. It
// deletes it even if owner's lease ran out meanwhile, since it was sent.
func (s *Store) MailSent(ctx context.Context, id int64) error {
	_, err := s.DB.NewDelete().Model((*Mail)(nil)).Where("id = ?", id).Exec(ctx)
	return dbErr("mail sent", err)
}

// MailFailed records a failed attempt of m, which owner claimed: the
// mail is tried again after retryIn (MailBackoff), unless retryIn is 0
// (the server refused it for good), its attempts reached
// MaxMailAttempts, or it would expire first: then it is deleted, and
// dropped reports true. msg, the failure, must name no address.
func (s *Store) MailFailed(ctx context.Context, m *Mail, owner, msg string, retryIn time.Duration) (dropped bool, err error) {
	now := s.Now()
	next := now.Add(retryIn)
	if retryIn <= 0 || m.Attempts >= MaxMailAttempts || !next.Before(m.ExpiresAt) {
		_, err := s.DB.NewDelete().Model((*Mail)(nil)).Where("id = ? AND locked_by = ?", m.ID, owner).Exec(ctx)
		return true, dbErr("drop mail", err)
	}
	_, err = s.DB.NewUpdate().Model((*Mail)(nil)).Set("locked_by = ''").Set("locked_until = NULL").
		Set("next_attempt_at = ?", next).Set("last_error = ?", truncateBytes(msg, 500)).
		Where("id = ? AND locked_by = ?", m.ID, owner).Exec(ctx)
	return false, dbErr("retry mail", err)
}

// ReleaseMails gives back mails owner claimed but did not try (the
// worker stopping): due again now, their attempt not counted.
func (s *Store) ReleaseMails(ctx context.Context, owner string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.DB.NewUpdate().Model((*Mail)(nil)).Set("locked_by = ''").Set("locked_until = NULL").
		Set("next_attempt_at = ?", s.Now()).Set("attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END").
		Where("id IN (?) AND locked_by = ?", bun.In(ids), owner).Exec(ctx)
	return dbErr("release mails", err)
}

// DropExpiredMails deletes the mails past their expiry, sent or not:
// their links no longer work, and their tokens must not stay at rest.
func (s *Store) DropExpiredMails(ctx context.Context) (int64, error) {
	now := s.Now()
	n, err := s.deleteInBatches(ctx, (*Mail)(nil), func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("expires_at <= ?", now)
	})
	return n, dbErr("drop expired mails", err)
}

// MailCounts counts the mails waiting to be sent, and among them those
// that failed at least once and wait for another try (the health page,
// metrics).
func (s *Store) MailCounts(ctx context.Context) (waiting, retrying int, err error) {
	var row struct {
		Waiting  int
		Retrying int
	}
	err = s.DB.NewSelect().Model((*Mail)(nil)).
		ColumnExpr("COUNT(*) AS waiting").
		ColumnExpr("COALESCE(SUM(CASE WHEN last_error <> '' THEN 1 ELSE 0 END), 0) AS retrying").
		Scan(ctx, &row)
	return row.Waiting, row.Retrying, dbErr("mail counts", err)
}

func init() {
	// Queued mails hold an address and maybe a live link: erased with
	// the account.
	accountDeletedHooks = append(accountDeletedHooks, func(ctx context.Context, s *Store, tx bun.Tx, acc *Account) error {
		_, err := tx.NewDelete().Model((*Mail)(nil)).Where("account_id = ?", acc.ID).Exec(ctx)
		return dbErr("delete queued mails", err)
	})
}
