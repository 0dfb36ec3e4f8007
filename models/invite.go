package models

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/uptrace/bun"
)

// InviteTTL is how long a sign-up invitation stays valid.
const InviteTTL = 14 * 24 * time.Hour

// Invite is a single-use sign-up code, used when registration is by
// invitation; only its hash is stored.
type Invite struct {
	bun.BaseModel `bun:"table:invites"`
	CodeHash      string     `bun:",pk"`
	CreatedBy     *int64     `bun:",nullzero"`
	CreatedAt     time.Time  `bun:",notnull"`
	ExpiresAt     time.Time  `bun:",notnull"`
	UsedBy        *int64     `bun:",nullzero"`
	UsedAt        *time.Time `bun:",nullzero"`
}

// CreateInvite issues an invitation code (admins and moderators; by is nil
// for the command line).
func (s *Store) CreateInvite(ctx context.Context, by *Account) (string, error) {
	if by != nil && !by.IsModerator() {
		return "", ErrForbidden
	}
	code := randomSecret()[:22]
	now := s.Now()
	inv := &Invite{CodeHash: hashSecret(code), CreatedAt: now, ExpiresAt: now.Add(InviteTTL)}
	if by != nil {
		inv.CreatedBy = &by.ID
	}
	if _, err := s.DB.NewInsert().Model(inv).Exec(ctx); err != nil {
		return "", dbErr("create invite", err)
	}
	return code, nil
}

// inviteCodeFor is the code of the invitation of a request key: 22
// characters of base64url (132 bits) of a hash of the key.
func inviteCodeFor(key string) string {
	h := sha256.Sum256([]byte("odn invite\x00" + key))
	return base64.RawURLEncoding.EncodeToString(h[:])[:22]
}

// CreateInviteFor issues the invitation of a request key, once: the same
// key again finds the invitation issued the first time and returns its
// code with again true, rather than a second invitation. The door makes
// key from a secret of its own and a token of the form (web: the session's
// secret and the form's token), so that a form sent twice (a reload, a
// double click) issues one invitation, and nobody else can guess the
// code from the token.
func (s *Store) CreateInviteFor(ctx context.Context, by *Account, key string) (code string, again bool, err error) {
	if by == nil || !by.IsModerator() {
		return "", false, ErrForbidden
	}
	if len(key) < 32 {
		return "", false, Invalid("request", "The request key is too short.")
	}
	code = inviteCodeFor(key)
	now := s.Now()
	inv := &Invite{CodeHash: hashSecret(code), CreatedBy: &by.ID, CreatedAt: now, ExpiresAt: now.Add(InviteTTL)}
	res, err := s.DB.NewInsert().Model(inv).On("CONFLICT (code_hash) DO NOTHING").Exec(ctx)
	if err != nil {
		return "", false, dbErr("create invite", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return code, false, nil
	}
	mine, err := s.DB.NewSelect().Model((*Invite)(nil)).Where("code_hash = ? AND created_by = ?", inv.CodeHash, by.ID).Exists(ctx)
	if err != nil {
		return "", false, dbErr("find invite", err)
	}
	if !mine {
		return "", false, ErrDuplicate
	}
	return code, true, nil
}

// InviteFor returns the code of the invitation by issued for a request
// key (CreateInviteFor) while it can be used, ErrNotFound otherwise.
func (s *Store) InviteFor(ctx context.Context, by *Account, key string) (string, error) {
	if by == nil {
		return "", ErrNotFound
	}
	code := inviteCodeFor(key)
	ok, err := s.DB.NewSelect().Model((*Invite)(nil)).
		Where("code_hash = ? AND created_by = ? AND used_at IS NULL AND expires_at > ?", hashSecret(code), by.ID, s.Now()).Exists(ctx)
	if err != nil {
		return "", dbErr("find invite", err)
	}
	if !ok {
		return "", ErrNotFound
	}
	return code, nil
}

// errBadInvite is the invitation field's problem.
const errBadInvite = "this invitation code is unknown, used or expired"

// CheckSignUp reports every problem SignUp would find in n and
// inviteCode, creating nothing: the fields' rules, a user name already
// taken and, when registration is by invitation, a code that cannot be
// used; a form with problems of its own joins them (ValidationError.Join)
// to show them all at once.
func (s *Store) CheckSignUp(ctx context.Context, n NewAccount, inviteCode string) error {
	mode, err := s.Setting(ctx, SettingRegistration, RegistrationOpen)
	if err != nil {
		return err
	}
	if mode == RegistrationClosed {
		return ErrForbidden
	}
	n.Role = RoleMember
	return s.checkSignUp(ctx, mode, &n, inviteCode)
}

// checkSignUp collects the problems of n and inviteCode under mode.
func (s *Store) checkSignUp(ctx context.Context, mode string, n *NewAccount, inviteCode string) error {
	v := &ValidationError{}
	v.Join(n.validate()) //nolint:errcheck // validate returns field problems only, kept in v
	if v.Fields["username"] == "" {
		taken, err := s.NameTaken(ctx, n.Username)
		if err != nil {
			return err
		}
		if taken {
			v.Add("username", "this name is already taken")
		}
	}
	if mode == RegistrationInvite {
		ok, err := s.DB.NewSelect().Model((*Invite)(nil)).
			Where("code_hash = ? AND used_at IS NULL AND expires_at > ?", hashSecret(inviteCode), s.Now()).Exists(ctx)
		if err != nil {
			return dbErr("check invite", err)
		}
		if !ok {
			v.Add("invite", errBadInvite)
		}
	}
	return v.Err()
}

// SignUp creates a member account under the instance's registration mode:
// open, by invitation (the code is consumed in the same transaction), or
// closed (ErrForbidden). The e-mail address given, if any, awaits its
// confirmation link (RequestEmailConfirmation) as the account's pending
// address: nothing else is mailed to it before.
func (s *Store) SignUp(ctx context.Context, n NewAccount, inviteCode string) (*Account, error) {
	mode, err := s.Setting(ctx, SettingRegistration, RegistrationOpen)
	if err != nil {
		return nil, err
	}
	n.Role = RoleMember
	n.unconfirmed = true // a stranger's address: confirmed by its link
	if mode == RegistrationClosed {
		return nil, ErrForbidden
	}
	if err := s.checkSignUp(ctx, mode, &n, inviteCode); err != nil {
		return nil, err
	}
	if mode == RegistrationInvite {
		now := s.Now()
		res, err := s.DB.NewUpdate().Model((*Invite)(nil)).Set("used_at = ?", now).
			Where("code_hash = ? AND used_at IS NULL AND expires_at > ?", hashSecret(inviteCode), now).Exec(ctx)
		if err != nil {
			return nil, dbErr("use invite", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil, Invalid("invite", errBadInvite) // used meanwhile
		}
		acc, err := s.CreateAccount(ctx, n)
		if err != nil {
			// Give the code back: the account was not created.
			s.DB.NewUpdate().Model((*Invite)(nil)).Set("used_at = NULL").Where("code_hash = ?", hashSecret(inviteCode)).Exec(ctx) //nolint:errcheck // best effort
			return nil, err
		}
		_, err = s.DB.NewUpdate().Model((*Invite)(nil)).Set("used_by = ?", acc.ID).Where("code_hash = ?", hashSecret(inviteCode)).Exec(ctx)
		return acc, dbErr("record invite", err)
	}
	return s.CreateAccount(ctx, n)
}
