package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Password reset by e-mail: a member who forgot their password asks for a
// link (RequestPasswordReset), the web door e-mails it, and the link sets
// a new password (ResetPassword).
//
// The link carries a random token (randomSecret: 256 bits from
// crypto/rand); only its SHA-256 is stored, so a database leak gives no
// working link. A link is valid PasswordResetValidity, once; using it, or
// changing the password otherwise, ends the account's other links. An
// account gets at most MaxPasswordResets links per PasswordResetWindow,
// and so does an e-mail address shared by several accounts (counted over
// all the accounts that have it, in any case), so the form cannot flood a
// mailbox; the whole instance sends at most MaxPasswordResetsPerHour, so
// requests for many names cannot spend the SMTP server's quota (past it,
// nobody gets a link until the hour's oldest ones age out).
const (
	PasswordResetValidity    = time.Hour
	MaxPasswordResets        = 3
	PasswordResetWindow      = time.Hour
	MaxPasswordResetsPerHour = 100
	// maxResetsPerAddress bounds the accounts one e-mail address asks
	// links for at once (several accounts may share an address).
	maxResetsPerAddress = 5
)

// resetBudgetLock is the PostgreSQL advisory lock ("odn-rset") under which
// a link is counted against the instance's hourly budget and inserted.
// Its key differs from migrateAdvisoryKey's; the ballots' two-key locks
// are in another key space.
const resetBudgetLock int64 = 0x6f646e2d72736574

// ErrResetLinkInvalid is the error of a password reset token that is
// unknown, expired or already used, or whose account can no longer log
// in; the three are not told apart.
var ErrResetLinkInvalid = errors.New("this password reset link is invalid, has expired or was already used")

// passwordReset is one link sent; TokenHash is the SHA-256 of its token.
type passwordReset struct {
	bun.BaseModel `bun:"table:password_resets,alias:pr"`
	ID            int64      `bun:",pk,autoincrement"`
	AccountID     int64      `bun:",notnull"`
	TokenHash     string     `bun:",notnull"`
	CreatedAt     time.Time  `bun:",notnull"`
	ExpiresAt     time.Time  `bun:",notnull"`
	UsedAt        *time.Time `bun:",nullzero"`
}

// MailLink is a link to e-mail (a password reset, an address's
// confirmation): the token to put in it, the address to send it to, and
// the account's id, name and language (Locale, "" when the account
// follows the browser) for the message; ExpiresAt is when the link stops
// working (the mail outbox keeps it no longer).
type MailLink struct {
	ID        int64 // the link's row (MintLinkToken)
	Token     string
	Email     string
	Username  string
	Locale    string
	AccountID int64
	ExpiresAt time.Time
}

// LinkMail writes the e-mail of a link (MailLink): its subject and body,
// where LinkToken stands for the token (minted as it is sent,
// MintLinkToken). Whom it goes to, its link and its expiry are set from
// the link (queueLinkMail). A nil LinkMail queues no e-mail (tests that
// only look at the links).
type LinkMail func(MailLink) Mail

// queueLinkMail queues, in tx (the one that inserted the link), the
// e-mail of link, of kind (LinkReset, LinkConfirm), written by mail;
// nothing when mail is nil.
func queueLinkMail(ctx context.Context, tx bun.Tx, now time.Time, kind string, link *MailLink, mail LinkMail) error {
	if mail == nil {
		return nil
	}
	m := mail(*link)
	m.AccountID, m.Username, m.Address = link.AccountID, link.Username, link.Email
	m.LinkKind, m.LinkID, m.ExpiresAt = kind, link.ID, link.ExpiresAt
	return queueMail(ctx, tx, now, []Mail{m})
}

// RequestPasswordReset issues a reset link for each active (neither
// disabled nor erased) account with an e-mail address that nameOrEmail
// names: its user name, or its e-mail address (case-insensitive; several
// accounts may share one), and queues its e-mail, which mail writes
// (LinkMail), in the transaction that inserts the link: a link is never
// counted against the limits without its e-mail queued. It returns none,
// and no error, when nothing matches, when the account has no address,
// or when a limit is reached (resetAllowed: the account's, its
// address's, the instance's hourly budget): the caller must answer the
// same in every case, so that the form tells nobody which accounts
// exist. The work done does not depend on the match but for the link's
// insert; the web door moreover does it after answering.
func (s *Store) RequestPasswordReset(ctx context.Context, nameOrEmail string, mail LinkMail) ([]MailLink, error) {
	in := strings.TrimSpace(nameOrEmail)
	if in == "" || len(in) > 254 {
		return nil, nil
	}
	match := func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("deleted_at IS NULL AND NOT disabled AND email <> ''")
		if strings.Contains(in, "@") {
			return q.Where("lower(email) = ?", strings.ToLower(in))
		}
		return q.Where("username = ?", strings.ToLower(in))
	}
	var accs []*Account
	if err := match(s.DB.NewSelect().Model((*Account)(nil))).Order("id").Limit(maxResetsPerAddress).Scan(ctx, &accs); err != nil {
		return nil, dbErr("find account to reset", err)
	}
	var out []MailLink
	for _, found := range accs {
		token := randomSecret()
		var pr *MailLink
		err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) (err error) {
			if pr, err = s.issueReset(ctx, tx, found, match, token); err != nil || pr == nil {
				return err
			}
			return queueLinkMail(ctx, tx, s.Now(), LinkReset, pr, mail)
		})
		if err != nil {
			return nil, err
		}
		if pr != nil {
			out = append(out, *pr)
		}
	}
	return out, nil
}

// issueReset stores a link of token for the account found, in tx, and
// returns the link to mail; nil when the account may have no link now
// (resetAllowed). The account is read again in tx under the
// request's conditions (match) and with the address found: a link is
// never mailed to an address changed, nor to an account disabled or
// erased, since the search. On PostgreSQL the rows of every account with
// that address are locked first, in id order (no deadlock between two
// requests for accounts sharing it), so that the counts hold until the
// insert (two requests at once at READ COMMITTED would otherwise both
// count below the limits), then the instance's budget is locked
// (resetBudgetLock), so that two requests for different addresses cannot
// both take its last link; SQLite's write transaction is already
// exclusive.
func (s *Store) issueReset(ctx context.Context, tx bun.Tx, found *Account, match func(*bun.SelectQuery) *bun.SelectQuery, token string) (*MailLink, error) {
	address := strings.ToLower(found.Email)
	if tx.Dialect().Name() == dialect.PG {
		var ids []int64
		err := tx.NewRaw("SELECT id FROM accounts WHERE lower(email) = ? ORDER BY id FOR NO KEY UPDATE", address).Scan(ctx, &ids)
		if err != nil {
			return nil, dbErr("lock accounts to reset", err)
		}
		// After the accounts' rows, always: whoever holds it waits for
		// nothing else until its commit, so no deadlock.
		if err := rawExec(ctx, tx, "SELECT pg_advisory_xact_lock($1)", resetBudgetLock); err != nil {
			return nil, dbErr("lock password reset budget", err)
		}
	}
	acc := new(Account)
	err := match(tx.NewSelect().Model(acc)).Where("id = ? AND email = ?", found.ID, found.Email).Scan(ctx)
	if errors.Is(dbErr("", err), ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, dbErr("find account to reset", err)
	}
	now := s.Now()
	if ok, err := resetAllowed(ctx, tx, acc.ID, address, now.Add(-PasswordResetWindow)); err != nil || !ok {
		return nil, err
	}
	pr := &passwordReset{AccountID: acc.ID, TokenHash: hashSecret(token), CreatedAt: now, ExpiresAt: now.Add(PasswordResetValidity)}
	if _, err := tx.NewInsert().Model(pr).Exec(ctx); err != nil {
		return nil, dbErr("insert password reset", err)
	}
	return &MailLink{ID: pr.ID, Token: token, Email: acc.Email, Username: acc.Username, Locale: acc.Locale,
		AccountID: acc.ID, ExpiresAt: pr.ExpiresAt}, nil
}

// resetAllowed reports whether one more link may be sent to the account
// accountID at address (lower case) given the links sent since: fewer
// than MaxPasswordResets to the account, and to the address (whichever
// accounts have it now), and fewer than MaxPasswordResetsPerHour in all.
func resetAllowed(ctx context.Context, tx bun.Tx, accountID int64, address string, since time.Time) (bool, error) {
	return linksAllowed(ctx, tx, (*passwordReset)(nil), "pr", since,
		linkBound{"pr.account_id = ?", []any{accountID}, MaxPasswordResets},
		linkBound{"pr.account_id IN (SELECT id FROM accounts WHERE lower(email) = ?)", []any{address}, MaxPasswordResets},
		linkBound{"TRUE", nil, MaxPasswordResetsPerHour})
}

// linkBound is one limit of linksAllowed: at most max rows matching
// where (with args).
type linkBound struct {
	where string
	args  []any
	max   int
}

// linksAllowed reports whether one more e-mailed link (a row of model,
// aliased alias, with a created_at) may be issued: whether, for each
// bound, fewer than its max rows matching it were created since. The
// password reset links and the address confirmation links share it.
func linksAllowed(ctx context.Context, tx bun.IDB, model any, alias string, since time.Time, bounds ...linkBound) (bool, error) {
	for _, c := range bounds {
		n, err := tx.NewSelect().Model(model).Where(c.where, c.args...).Where("?.created_at > ?", bun.Ident(alias), since).Count(ctx)
		if err != nil {
			return false, dbErr("count e-mailed links", err)
		}
		if int64(n) >= int64(c.max) {
			return false, nil
		}
	}
	return true, nil
}

// CheckPasswordReset reports whether token is a live reset link:
// ErrResetLinkInvalid when not. It returns the account's name, to show
// on the form.
func (s *Store) CheckPasswordReset(ctx context.Context, token string) (string, error) {
	acc, _, err := s.liveReset(ctx, s.DB, token)
	if err != nil {
		return "", err
	}
	return acc.Username, nil
}

// liveReset loads the unused, unexpired link of token and its account,
// which must still be able to log in.
func (s *Store) liveReset(ctx context.Context, db bun.IDB, token string) (*Account, *passwordReset, error) {
	if token == "" || len(token) > 100 {
		return nil, nil, ErrResetLinkInvalid
	}
	pr := new(passwordReset)
	err := db.NewSelect().Model(pr).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", hashSecret(token), s.Now()).Scan(ctx)
	if errors.Is(dbErr("", err), ErrNotFound) {
		return nil, nil, ErrResetLinkInvalid
	} else if err != nil {
		return nil, nil, dbErr("load password reset", err)
	}
	acc := new(Account)
	err = db.NewSelect().Model(acc).Where("id = ? AND deleted_at IS NULL AND NOT disabled", pr.AccountID).Scan(ctx)
	if errors.Is(dbErr("", err), ErrNotFound) {
		return nil, nil, ErrResetLinkInvalid
	} else if err != nil {
		return nil, nil, dbErr("load account to reset", err)
	}
	return acc, pr, nil
}

// ResetPassword sets the password of the account whose reset link token
// is, under ChangePassword's rules (a problem is told on "new_password",
// and leaves the link usable). In one transaction it marks the link used,
// ends the account's other links, ends every session and revokes every
// API token (as ChangePassword: whoever had the old password, or a
// cookie, is out), clears the count of wrong passwords and writes the
// audit log. It returns the account, whose name the log-in form may
// fill in.
func (s *Store) ResetPassword(ctx context.Context, token, next string) (*Account, error) {
	acc, pr, err := s.liveReset(ctx, s.DB, token)
	if err != nil {
		return nil, err
	}
	hash, err := newPasswordHash(ctx, s, "new_password", next)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// The condition makes the link single-use even when two requests
		// race: the second updates nothing. It also closes the race with
		// a disabling (liveReset checked the account before this
		// transaction): SetDisabled ends the account's links in its own
		// transaction, so a link it ended updates nothing here, and one
		// this transaction used first has its session ended by it.
		res, err := tx.NewUpdate().Model((*passwordReset)(nil)).Set("used_at = ?", now).
			Where("id = ? AND used_at IS NULL AND expires_at > ?", pr.ID, now).Exec(ctx)
		if err != nil {
			return dbErr("use password reset", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrResetLinkInvalid
		}
		return s.setPassword(ctx, tx, nil, acc, hash, "reset_password")
	})
	if errors.Is(err, ErrNotFound) {
		return nil, ErrResetLinkInvalid // the account was erased meanwhile
	} else if err != nil {
		return nil, err
	}
	return acc, nil
}

// SetPassword is an operator's way in for a member locked out without an
// e-mail address (odn admin user password): it sets username's password
// under the usual rules (told on "password"), with ResetPassword's
// consequences: sessions, API tokens and reset links ended, wrong
// passwords forgotten, the audit log written (by: nil for the operator).
// ErrNotFound when there is no such live account, erased meanwhile
// included. A disabled account stays disabled.
func (s *Store) SetPassword(ctx context.Context, by *Account, username, password string) error {
	hash, err := newPasswordHash(ctx, s, "password", password)
	if err != nil {
		return err
	}
	acc, err := s.AccountByUsername(ctx, strings.ToLower(strings.TrimSpace(username)))
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.setPassword(ctx, tx, by, acc, hash, "set_password")
	})
}

// CheckPassword checks a new password under the sign-up rules, telling
// a problem on field; nil when it is acceptable. Forms that have it typed
// twice tell its problems with a mismatch.
func CheckPassword(field, password string) error {
	n := NewAccount{Username: "x", Password: password}
	if ve, ok := errors.AsType[*ValidationError](n.validate()); ok && ve.Fields["password"] != "" {
		return Invalid(field, ve.Fields["password"])
	}
	return nil
}

// newPasswordHash checks password (CheckPassword) and hashes it.
func newPasswordHash(ctx context.Context, s *Store, field, password string) (string, error) {
	if err := CheckPassword(field, password); err != nil {
		return "", err
	}
	return s.hashPassword(ctx, password)
}

// setPassword stores hash as acc's password in tx, ends its sessions, API
// tokens and reset links (revokeCredentials), forgets its wrong passwords
// and audits action (none when "": a member's own change).
func (s *Store) setPassword(ctx context.Context, tx bun.Tx, by *Account, acc *Account, hash, action string) error {
	res, err := tx.NewUpdate().Model((*Account)(nil)).Set("password_hash = ?", hash).
		Where("id = ? AND deleted_at IS NULL", acc.ID).Exec(ctx)
	if err != nil {
		return dbErr("set password", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		// Erased since it was read: no password to set, and no success.
		return fmt.Errorf("set password: %w", ErrNotFound)
	}
	if err := s.revokeCredentials(ctx, tx, acc.ID); err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*loginFailure)(nil)).Where("name = ?", acc.Username).Exec(ctx); err != nil {
		return dbErr("clear log-in failures", err)
	}
	if action == "" {
		return nil
	}
	if by == nil && action == "reset_password" {
		by = acc // the member, by the link e-mailed to them
	}
	return s.audit(ctx, tx, by, action, "account", acc.Username, "")
}

// endPasswordResets marks every pending reset link of the account used:
// once the password changed, a link sent before must not change it again.
func (s *Store) endPasswordResets(ctx context.Context, tx bun.IDB, accountID int64) error {
	_, err := tx.NewUpdate().Model((*passwordReset)(nil)).Set("used_at = ?", s.Now()).
		Where("account_id = ? AND used_at IS NULL", accountID).Exec(ctx)
	return dbErr("end password resets", err)
}

// PurgePasswordResets removes the links that have expired (used ones
// too: until then they count toward MaxPasswordResets); the server calls
// it periodically.
func (s *Store) PurgePasswordResets(ctx context.Context) (int64, error) {
	res, err := s.DB.NewDelete().Model((*passwordReset)(nil)).Where("expires_at <= ?", s.Now()).Exec(ctx)
	if err != nil {
		return 0, dbErr("purge password resets", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
