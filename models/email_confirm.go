package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Confirming an e-mail address: an address given at sign-up (SignUp) or
// in the settings (EditAccountChanged) waits in Account.PendingEmail,
// unused, until its owner follows the link e-mailed to it
// (RequestEmailConfirmation, ConfirmEmail); it then becomes
// Account.Email, the only address odn mails (password reset links,
// syntheses). Until then a confirmed address before it stays in use, so
// whoever sets someone else's address can neither mail them through odn
// nor have their reset links sent there.
//
// The links are made as the password reset links: a random token
// (randomSecret: 256 bits), only its SHA-256 stored, valid
// EmailConfirmationValidity, once (a conditional UPDATE: of two uses at
// once, one wins), under the same limits (linksAllowed): at most
// MaxPasswordResets per PasswordResetWindow to an account and to a
// mailbox, MaxPasswordResetsPerHour for the instance. A link confirms
// the address it was sent to only while that address is still the
// pending one.

// EmailConfirmationValidity is how long a confirmation link works: a
// day, as the mail may be read later than a reset link's.
const EmailConfirmationValidity = 24 * time.Hour

// ErrConfirmLinkInvalid is the error of a confirmation token that is
// unknown, expired or already used, or whose address is no longer the
// one awaiting confirmation; they are not told apart.
var ErrConfirmLinkInvalid = errors.New("this confirmation link is invalid, has expired or was already used")

// emailConfirmation is one confirmation link sent to Email, the address
// it confirms; TokenHash is the SHA-256 of its token.
type emailConfirmation struct {
	bun.BaseModel `bun:"table:email_confirmations,alias:ec"`
	ID            int64      `bun:",pk,autoincrement"`
	AccountID     int64      `bun:",notnull"`
	Email         string     `bun:",notnull"`
	TokenHash     string     `bun:",notnull"`
	CreatedAt     time.Time  `bun:",notnull"`
	ExpiresAt     time.Time  `bun:",notnull"`
	UsedAt        *time.Time `bun:",nullzero"`
}

// WantedEmail is the address the member last chose: the one awaiting
// confirmation, else the confirmed one ("" for none). The settings form
// shows it.
func (a *Account) WantedEmail() string {
	if a.PendingEmail != "" {
		return a.PendingEmail
	}
	return a.Email
}

// RequestEmailConfirmation issues a link confirming the pending address
// of the account accountID, and queues its e-mail, which mail writes, in
// the transaction that inserts the link (as RequestPasswordReset). It
// returns nil, and no error, when there is none to send: no pending
// address, the account disabled or erased, or a limit reached
// (linksAllowed, counted per account, per mailbox and for the instance).
func (s *Store) RequestEmailConfirmation(ctx context.Context, accountID int64, mail LinkMail) (*MailLink, error) {
	found, err := s.AccountByID(ctx, accountID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if found.PendingEmail == "" || found.Disabled {
		return nil, nil
	}
	token := randomSecret()
	var out *MailLink
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		address := strings.ToLower(found.PendingEmail)
		if tx.Dialect().Name() == dialect.PG {
			// Every account asking links for this mailbox, in id order, so
			// that the counts hold until the insert (as issueReset).
			var ids []int64
			err := tx.NewRaw("SELECT id FROM accounts WHERE lower(pending_email) = ? ORDER BY id FOR NO KEY UPDATE", address).Scan(ctx, &ids)
			if err != nil {
				return dbErr("lock accounts to confirm", err)
			}
		}
		acc := new(Account)
		err := tx.NewSelect().Model(acc).Where("id = ? AND pending_email = ? AND deleted_at IS NULL AND NOT disabled",
			found.ID, found.PendingEmail).Scan(ctx)
		if errors.Is(dbErr("", err), ErrNotFound) {
			return nil // changed meanwhile
		} else if err != nil {
			return dbErr("find account to confirm", err)
		}
		now := s.Now()
		ok, err := linksAllowed(ctx, tx, (*emailConfirmation)(nil), "ec", now.Add(-PasswordResetWindow),
			linkBound{"ec.account_id = ?", []any{acc.ID}, MaxPasswordResets},
			linkBound{"lower(ec.email) = ?", []any{address}, MaxPasswordResets},
			linkBound{"TRUE", nil, MaxPasswordResetsPerHour})
		if err != nil || !ok {
			return err
		}
		ec := &emailConfirmation{AccountID: acc.ID, Email: acc.PendingEmail, TokenHash: hashSecret(token),
			CreatedAt: now, ExpiresAt: now.Add(EmailConfirmationValidity)}
		if _, err := tx.NewInsert().Model(ec).Exec(ctx); err != nil {
			return dbErr("insert e-mail confirmation", err)
		}
		out = &MailLink{ID: ec.ID, Token: token, Email: acc.PendingEmail, Username: acc.Username, Locale: acc.Locale,
			AccountID: acc.ID, ExpiresAt: ec.ExpiresAt}
		return queueLinkMail(ctx, tx, now, LinkConfirm, out, mail)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CheckEmailConfirmation reports whether token is a live confirmation
// link (ErrConfirmLinkInvalid when not), with the account's name and the
// address it confirms, for the page that asks to confirm.
func (s *Store) CheckEmailConfirmation(ctx context.Context, token string) (username, email string, err error) {
	if token == "" || len(token) > 100 {
		return "", "", ErrConfirmLinkInvalid
	}
	ec := new(emailConfirmation)
	err = s.DB.NewSelect().Model(ec).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", hashSecret(token), s.Now()).Scan(ctx)
	if errors.Is(dbErr("", err), ErrNotFound) {
		return "", "", ErrConfirmLinkInvalid
	} else if err != nil {
		return "", "", dbErr("load e-mail confirmation", err)
	}
	acc, err := s.AccountByID(ctx, ec.AccountID)
	if errors.Is(err, ErrNotFound) || (err == nil && (acc.Disabled || acc.PendingEmail != ec.Email)) {
		return "", "", ErrConfirmLinkInvalid
	} else if err != nil {
		return "", "", err
	}
	return acc.Username, ec.Email, nil
}

// ConfirmedLinkShown is how long after its use a confirmation link still
// shows whose address it confirmed (EmailConfirmedByLink).
const ConfirmedLinkShown = 10 * time.Minute

// EmailConfirmedByLink reports, for a link already used (ConfirmEmail),
// that the address it was sent to is now its account's: the account's
// name and that address, for the page saying so after the confirming
// form (its reload included), for ConfirmedLinkShown after its use.
// ErrConfirmLinkInvalid for a link unknown, unused, used longer ago, or
// whose address is no longer the account's (or the account disabled or
// erased): the token holder learns nothing the link did not show them,
// and a shared browser that kept the token shows nothing to whoever
// comes next.
func (s *Store) EmailConfirmedByLink(ctx context.Context, token string) (username, email string, err error) {
	if token == "" || len(token) > 100 {
		return "", "", ErrConfirmLinkInvalid
	}
	ec := new(emailConfirmation)
	err = s.DB.NewSelect().Model(ec).Where("token_hash = ? AND used_at > ?", hashSecret(token), s.Now().Add(-ConfirmedLinkShown)).Scan(ctx)
	if errors.Is(dbErr("", err), ErrNotFound) {
		return "", "", ErrConfirmLinkInvalid
	} else if err != nil {
		return "", "", dbErr("load e-mail confirmation", err)
	}
	acc, err := s.AccountByID(ctx, ec.AccountID)
	if errors.Is(err, ErrNotFound) || (err == nil && (acc.Disabled || acc.Email != ec.Email)) {
		return "", "", ErrConfirmLinkInvalid
	} else if err != nil {
		return "", "", err
	}
	return acc.Username, ec.Email, nil
}

// ConfirmEmail confirms the address that the link of token was sent to:
// it becomes the account's address (applyPendingEmail). The link is
// used by a conditional UPDATE, so that of two uses at once only one
// confirms; the other, like an unknown, expired or used link, or one
// whose address is no longer pending (replaced or cancelled since) or
// whose account is disabled or erased, is ErrConfirmLinkInvalid. It
// returns the account.
func (s *Store) ConfirmEmail(ctx context.Context, token string) (*Account, error) {
	if token == "" || len(token) > 100 {
		return nil, ErrConfirmLinkInvalid
	}
	var id int64
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.Now()
		ec := new(emailConfirmation)
		err := tx.NewSelect().Model(ec).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", hashSecret(token), now).Scan(ctx)
		if errors.Is(dbErr("", err), ErrNotFound) {
			return ErrConfirmLinkInvalid
		} else if err != nil {
			return dbErr("load e-mail confirmation", err)
		}
		res, err := tx.NewUpdate().Model((*emailConfirmation)(nil)).Set("used_at = ?", now).
			Where("id = ? AND used_at IS NULL AND expires_at > ?", ec.ID, now).Exec(ctx)
		if err != nil {
			return dbErr("use e-mail confirmation", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrConfirmLinkInvalid // used by another request meanwhile
		}
		cur, err := lockAccount(ctx, tx, ec.AccountID)
		if errors.Is(err, ErrNotFound) {
			return ErrConfirmLinkInvalid
		} else if err != nil {
			return err
		}
		if cur.Disabled || cur.PendingEmail != ec.Email {
			return ErrConfirmLinkInvalid
		}
		id = cur.ID
		return s.applyPendingEmail(ctx, tx, cur, cur)
	})
	if err != nil {
		return nil, err
	}
	return s.AccountByID(ctx, id)
}

// applyPendingEmail makes cur's pending address its address, in tx on
// its locked row; ends its other confirmation links and, the address
// having changed, the reset links mailed to the one before; and audits
// the confirmation by by (nil: the operator).
func (s *Store) applyPendingEmail(ctx context.Context, tx bun.Tx, cur, by *Account) error {
	_, err := tx.NewUpdate().Model((*Account)(nil)).Set("email = pending_email").Set("pending_email = ''").
		Where("id = ?", cur.ID).Exec(ctx)
	if err != nil {
		return dbErr("confirm e-mail address", err)
	}
	if err := s.endEmailConfirmations(ctx, tx, cur.ID); err != nil {
		return err
	}
	if cur.Email != "" && cur.Email != cur.PendingEmail {
		if err := s.endPasswordResets(ctx, tx, cur.ID); err != nil {
			return err
		}
	}
	return s.audit(ctx, tx, by, "confirm_email", "account", cur.Username, "")
}

// CancelPendingEmail forgets acc's address awaiting confirmation, and
// ends the links sent to it; the confirmed address, if any, stays.
// Nothing happens without one.
func (s *Store) CancelPendingEmail(ctx context.Context, acc *Account) error {
	if acc == nil {
		return ErrUnauthorized
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		cur, err := lockAccount(ctx, tx, acc.ID)
		if err != nil || cur.PendingEmail == "" {
			return err
		}
		return s.clearPendingEmail(ctx, tx, cur.ID)
	})
}

// clearPendingEmail empties the account's pending address and ends the
// links sent to it, in tx.
func (s *Store) clearPendingEmail(ctx context.Context, tx bun.Tx, accountID int64) error {
	if _, err := tx.NewUpdate().Model((*Account)(nil)).Set("pending_email = ''").Where("id = ?", accountID).Exec(ctx); err != nil {
		return dbErr("cancel e-mail change", err)
	}
	return s.endEmailConfirmations(ctx, tx, accountID)
}

// ConfirmPendingEmail is an operator's way to confirm a member's address
// on an instance that sends no e-mail, or for a member who cannot
// receive the link (odn admin user confirm-email): username's pending
// address becomes its address, as by the link, audited (by: nil for the
// operator). ErrNotFound without such a live account; a problem on
// "email" when no address awaits confirmation. It returns the address
// confirmed.
func (s *Store) ConfirmPendingEmail(ctx context.Context, by *Account, username string) (string, error) {
	acc, err := s.AccountByUsername(ctx, strings.ToLower(strings.TrimSpace(username)))
	if err != nil {
		return "", err
	}
	var address string
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		cur, err := lockAccount(ctx, tx, acc.ID)
		if err != nil {
			return err
		}
		if cur.PendingEmail == "" {
			return Invalid("email", errNothingToConfirm)
		}
		address = cur.PendingEmail
		return s.applyPendingEmail(ctx, tx, cur, by)
	})
	return address, err
}

// endEmailConfirmations marks every pending confirmation link of the
// account used: its pending address changed, or was confirmed.
func (s *Store) endEmailConfirmations(ctx context.Context, tx bun.IDB, accountID int64) error {
	_, err := tx.NewUpdate().Model((*emailConfirmation)(nil)).Set("used_at = ?", s.Now()).
		Where("account_id = ? AND used_at IS NULL", accountID).Exec(ctx)
	return dbErr("end e-mail confirmations", err)
}

// PurgeEmailConfirmations removes the confirmation links that have
// expired (used ones too: until then they count toward the limits); the
// server calls it with the other hourly purges.
func (s *Store) PurgeEmailConfirmations(ctx context.Context) (int64, error) {
	res, err := s.DB.NewDelete().Model((*emailConfirmation)(nil)).Where("expires_at <= ?", s.Now()).Exec(ctx)
	if err != nil {
		return 0, dbErr("purge e-mail confirmations", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// ResendEmailConfirmation issues a new link for acc's pending address and
// queues its e-mail, as RequestEmailConfirmation, and says on "email" why
// there is none: no address awaits confirmation, or the limits are
// reached (the member asking for their own link may know it).
func (s *Store) ResendEmailConfirmation(ctx context.Context, acc *Account, mail LinkMail) (*MailLink, error) {
	if acc == nil {
		return nil, ErrUnauthorized
	}
	link, err := s.RequestEmailConfirmation(ctx, acc.ID, mail)
	if err != nil || link != nil {
		return link, err
	}
	cur, err := s.AccountByID(ctx, acc.ID)
	if err != nil {
		return nil, err
	}
	if cur.PendingEmail == "" {
		return nil, Invalid("email", errNothingToConfirm)
	}
	return nil, Invalid("email", "was sent too many confirmation links recently; try again in an hour")
}

// errNothingToConfirm is the problem of confirming an account without a
// pending address.
const errNothingToConfirm = "has no address awaiting confirmation"
