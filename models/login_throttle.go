package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Wrong passwords are counted per user name, in the database.
//
// The web door also limits log-in attempts per client address
// (web/auth.go), but that limit lives in each server process's memory: a
// guesser who spreads attempts over many addresses, or over the nodes of
// a PostgreSQL deployment, is not slowed by it. The count per name is
// shared by every node and survives restarts. After MaxLoginFailures
// within LoginFailureWindow, the name's log-ins are refused until the
// window ends, without checking the password: checking it would tell the
// guesser when a guess was right. Unknown names are counted exactly like
// existing ones, so being throttled says nothing about whether an account
// exists. A successful log-in clears the count. The figures are
// Mastodon's (25 attempts an hour per e-mail address); a real user who
// forgot their password meets the limit only after 25 tries.
//
// Two guesses racing past the check may both be tried: the count can pass
// the limit by the number of requests in flight, no more.
const (
	MaxLoginFailures   = 25
	LoginFailureWindow = time.Hour
)

// ErrThrottled is the error of a log-in refused because its user name had
// too many wrong passwords; errors.As a *ThrottledError tells how long.
var ErrThrottled = errors.New("too many failed log-ins for this name")

// ThrottledError is a log-in refused until RetryAfter has passed.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%v: retry in %d minutes", ErrThrottled, e.Minutes())
}

// Is makes errors.Is(err, ErrThrottled) hold.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// Minutes is RetryAfter rounded up to whole minutes (at least 1).
func (e *ThrottledError) Minutes() int {
	return max(1, int((e.RetryAfter+time.Minute-1)/time.Minute))
}

// loginFailure is the count of wrong passwords for one user name since
// WindowStart.
type loginFailure struct {
	bun.BaseModel `bun:"table:login_failures"`
	Name          string    `bun:",pk"`
	Failures      int       `bun:",notnull"`
	WindowStart   time.Time `bun:",notnull"`
}

// loginThrottled returns a *ThrottledError when name has reached
// MaxLoginFailures in its current window.
func (s *Store) loginThrottled(ctx context.Context, name string) error {
	var f loginFailure
	err := s.DB.NewSelect().Model(&f).Where("name = ?", name).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return dbErr("log-in failures", err)
	}
	until := f.WindowStart.Add(LoginFailureWindow)
	if now := s.Now(); f.Failures >= MaxLoginFailures && now.Before(until) {
		return &ThrottledError{RetryAfter: until.Sub(now)}
	}
	return nil
}

// recordLoginFailure counts one wrong password for name: a new window
// starts when the last one has ended.
func (s *Store) recordLoginFailure(ctx context.Context, name string) error {
	now := s.Now()
	ended := now.Add(-LoginFailureWindow)
	_, err := s.DB.NewInsert().Model(&loginFailure{Name: name, Failures: 1, WindowStart: now}).
		On("CONFLICT (name) DO UPDATE").
		Set("failures = CASE WHEN login_failure.window_start <= ? THEN 1 ELSE login_failure.failures + 1 END", ended).
		Set("window_start = CASE WHEN login_failure.window_start <= ? THEN EXCLUDED.window_start ELSE login_failure.window_start END", ended).
		Exec(ctx)
	return dbErr("count log-in failure", err)
}

// clearLoginFailures forgets name's wrong passwords after a log-in.
func (s *Store) clearLoginFailures(ctx context.Context, name string) error {
	_, err := s.DB.NewDelete().Model((*loginFailure)(nil)).Where("name = ?", name).Exec(ctx)
	return dbErr("clear log-in failures", err)
}

// UnlockLogin lets name log in again at once: the operator's way out when
// a guesser keeps a real user's name throttled (odn admin user unlock).
// It reports whether the name had failures counted; clearing them is
// written to the audit log.
func (s *Store) UnlockLogin(ctx context.Context, name string) (bool, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	var had bool
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*loginFailure)(nil)).Where("name = ?", name).Exec(ctx)
		if err != nil {
			return dbErr("clear log-in failures", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		had = true
		return s.audit(ctx, tx, nil, "unlock_login", "account", name, "")
	})
	return had, err
}

// PurgeLoginFailures removes the counts whose window has ended; the
// server calls it periodically.
func (s *Store) PurgeLoginFailures(ctx context.Context) (int64, error) {
	res, err := s.DB.NewDelete().Model((*loginFailure)(nil)).
		Where("window_start <= ?", s.Now().Add(-LoginFailureWindow)).Exec(ctx)
	if err != nil {
		return 0, dbErr("purge log-in failures", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
