package models

import (
	"context"
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

// SignUp creates a member account under the instance's registration mode:
// open, by invitation (the code is consumed in the same transaction), or
// closed (ErrForbidden).
func (s *Store) SignUp(ctx context.Context, n NewAccount, inviteCode string) (*Account, error) {
	mode, err := s.Setting(ctx, SettingRegistration, RegistrationOpen)
	if err != nil {
		return nil, err
	}
	n.Role = RoleMember
	switch mode {
	case RegistrationClosed:
		return nil, ErrForbidden
	case RegistrationInvite:
		now := s.Now()
		res, err := s.DB.NewUpdate().Model((*Invite)(nil)).Set("used_at = ?", now).
			Where("code_hash = ? AND used_at IS NULL AND expires_at > ?", hashSecret(inviteCode), now).Exec(ctx)
		if err != nil {
			return nil, dbErr("use invite", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil, Invalid("invite", "this invitation code is unknown, used or expired")
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
