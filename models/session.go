package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// Session lifetimes: a session ends after SessionIdle without use or
// SessionMax after log-in, whichever comes first.
const (
	SessionIdle = 7 * 24 * time.Hour
	SessionMax  = 30 * 24 * time.Hour
)

// Session is a server-side log-in session. Only the SHA-256 of the cookie
// value is stored, so a database leak does not leak live sessions.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`
	ID            string    `bun:",pk"`
	AccountID     int64     `bun:",notnull"`
	CreatedAt     time.Time `bun:",notnull"`
	ExpiresAt     time.Time `bun:",notnull"`
	LastSeenAt    time.Time `bun:",notnull"`
	UserAgent     string    `bun:",notnull"`
}

// Token is an API bearer token; only its SHA-256 is stored.
type Token struct {
	bun.BaseModel `bun:"table:api_tokens"`
	ID            int64      `bun:",pk,autoincrement"`
	AccountID     int64      `bun:",notnull"`
	TokenHash     string     `bun:",notnull"`
	Name          string     `bun:",notnull"`
	CreatedAt     time.Time  `bun:",notnull"`
	LastUsedAt    *time.Time `bun:",nullzero"`
}

// randomSecret returns 32 random bytes, URL-safe encoded.
func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// CreateSession starts a session for acc and returns the secret to put in
// the cookie.
func (s *Store) CreateSession(ctx context.Context, acc *Account, userAgent string) (string, error) {
	secret := randomSecret()
	now := s.Now()
	if len(userAgent) > 200 {
		userAgent = userAgent[:200]
	}
	sess := &Session{ID: hashSecret(secret), AccountID: acc.ID, CreatedAt: now, ExpiresAt: now.Add(SessionMax), LastSeenAt: now, UserAgent: userAgent}
	if _, err := s.DB.NewInsert().Model(sess).Exec(ctx); err != nil {
		return "", dbErr("create session", err)
	}
	return secret, nil
}

// SessionAccount returns the account behind a session cookie, or
// ErrUnauthorized when the session is unknown, expired or idle too long.
// It refreshes the idle timer at most once a minute to spare writes.
func (s *Store) SessionAccount(ctx context.Context, secret string) (*Account, error) {
	if secret == "" {
		return nil, ErrUnauthorized
	}
	sess := new(Session)
	err := s.DB.NewSelect().Model(sess).Where("id = ?", hashSecret(secret)).Scan(ctx)
	if errors.Is(dbErr("", err), ErrNotFound) {
		return nil, ErrUnauthorized
	} else if err != nil {
		return nil, dbErr("load session", err)
	}
	now := s.Now()
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > SessionIdle {
		s.DeleteSession(ctx, secret) //nolint:errcheck // expired anyway
		return nil, ErrUnauthorized
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if _, err := s.DB.NewUpdate().Model(sess).Set("last_seen_at = ?", now).WherePK().Exec(ctx); err != nil {
			return nil, dbErr("touch session", err)
		}
	}
	acc, err := s.AccountByID(ctx, sess.AccountID)
	if errors.Is(err, ErrNotFound) || (err == nil && acc.Disabled) {
		return nil, ErrUnauthorized
	}
	return acc, err
}

// DeleteSession ends a session (log-out).
func (s *Store) DeleteSession(ctx context.Context, secret string) error {
	_, err := s.DB.NewDelete().Model((*Session)(nil)).Where("id = ?", hashSecret(secret)).Exec(ctx)
	return dbErr("delete session", err)
}

// PurgeSessions removes expired sessions; the server calls it periodically.
func (s *Store) PurgeSessions(ctx context.Context) (int64, error) {
	now := s.Now()
	res, err := s.DB.NewDelete().Model((*Session)(nil)).
		Where("expires_at < ? OR last_seen_at < ?", now, now.Add(-SessionIdle)).Exec(ctx)
	if err != nil {
		return 0, dbErr("purge sessions", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// CreateToken issues an API bearer token for acc and returns it; it is
// shown once and only its hash is kept.
func (s *Store) CreateToken(ctx context.Context, acc *Account, name string) (string, error) {
	secret := "odn_" + randomSecret()
	t := &Token{AccountID: acc.ID, TokenHash: hashSecret(secret), Name: name, CreatedAt: s.Now()}
	if _, err := s.DB.NewInsert().Model(t).Exec(ctx); err != nil {
		return "", dbErr("create token", err)
	}
	return secret, nil
}

// TokenAccount returns the account owning a bearer token, with its actor.
// It runs on every API request with a token: one query kept prepared
// (hot_store.go) joins the token, account and actor — three parsed anew
// cost ~180 µs of the ~1 ms of CPU per vote of the vote_api figure, and
// two round trips instead of one ~10 % of vote_api_pg.
func (s *Store) TokenAccount(ctx context.Context, secret string) (*Account, error) {
	if secret == "" {
		return nil, ErrUnauthorized
	}
	var row tokenRow
	err := s.scanOne(ctx, &row, s.hot().tokenAccount, hashSecret(secret))
	if errors.Is(dbErr("", err), ErrNotFound) {
		// An unknown token, its account deleted, or an account without
		// its actor (unusable: AccountByID fails alike).
		return nil, ErrUnauthorized
	} else if err != nil {
		return nil, dbErr("load token", err)
	}
	if row.Disabled {
		return nil, ErrUnauthorized
	}
	acc, a := &row.Account, &row.Actor
	acc.Actor = a
	return acc, nil
}

// tokenRow is a token's account with its actor (hotQueries.tokenAccount:
// the actor's columns are prefixed actor_).
type tokenRow struct {
	Account
	Actor Actor `bun:"embed:actor_"`
}
