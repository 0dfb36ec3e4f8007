package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

const resetPassword = "correct horse battery"

// resetFixture is a store with a fake clock and accounts: ann (e-mail,
// French), bob (no e-mail), cyd (disabled), dee (erased), and eve and
// fay sharing one address.
type resetFixture struct {
	s   *models.Store
	now *time.Time
	ann *models.Account
}

func newResetFixture(t *testing.T, s *models.Store, now *time.Time) *resetFixture {
	t.Helper()
	ctx := context.Background()
	f := &resetFixture{s: s, now: now}
	for _, a := range []struct{ name, email, locale string }{
		{"ann", "Ann@Example.org", "fr"}, {"bob", "", ""}, {"cyd", "cyd@example.org", ""}, {"dee", "dee@example.org", ""},
		{"eve", "shared@example.org", "en"}, {"fay", "shared@example.org", ""},
	} {
		acc, err := s.CreateAccount(ctx, models.NewAccount{Username: a.name, Email: a.email, Password: resetPassword, Locale: a.locale})
		if err != nil {
			t.Fatal(err)
		}
		switch a.name {
		case "ann":
			f.ann = acc
		case "cyd":
			if err := s.SetDisabled(ctx, nil, "cyd", true, "spam"); err != nil {
				t.Fatal(err)
			}
		case "dee":
			if err := s.DeleteAccount(ctx, acc); err != nil {
				t.Fatal(err)
			}
		}
	}
	return f
}

// TestRequestPasswordResetMatches: only an active account with an e-mail
// address gets a link, by its name or its address (any case); every
// other request gets nothing and no error, so the caller answers the
// same.
func TestRequestPasswordResetMatches(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		newResetFixture(t, s, &now)
		for _, tc := range []struct {
			in   string
			want []string // user names
		}{
			{"ann", []string{"ann"}},
			{" ANN ", []string{"ann"}},
			{"ann@example.org", []string{"ann"}},
			{"shared@example.org", []string{"eve", "fay"}},
			{"bob", nil},                // no address
			{"cyd", nil},                // disabled
			{"cyd@example.org", nil},    // disabled
			{"dee", nil},                // erased
			{"dee@example.org", nil},    // erased
			{"nobody", nil},             // unknown
			{"nobody@example.org", nil}, // unknown
			{"", nil},
			{"Not.A_Name!", nil},
		} {
			got, err := s.RequestPasswordReset(ctx, tc.in, nil)
			if err != nil {
				t.Fatalf("%q: %v", tc.in, err)
			}
			var names []string
			for _, r := range got {
				names = append(names, r.Username)
				if len(r.Token) < 22 || r.Email == "" { // 22 base64 characters: 128 bits
					t.Errorf("%q: reset %+v", tc.in, r)
				}
			}
			if len(names) != len(tc.want) || (len(names) > 0 && names[0] != tc.want[0]) {
				t.Errorf("%q: links for %v, want %v", tc.in, names, tc.want)
			}
		}
		now = now.Add(models.PasswordResetWindow) // ann asked thrice above
		got, _ := s.RequestPasswordReset(ctx, "ann", nil)
		if len(got) != 1 || got[0].Email != "Ann@Example.org" || got[0].Locale != "fr" {
			t.Errorf("ann's link: %+v", got)
		}
	}, models.WithClock(func() time.Time { return now }))
}

// TestPasswordResetSingleUseAndEffects: a link sets the password once;
// the old password no longer logs in, the new one does; sessions, API
// tokens and the account's other links end; the wrong-password lock is
// lifted; the audit log says so. A refused password leaves the link
// usable.
func TestPasswordResetSingleUseAndEffects(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		f := newResetFixture(t, s, &now)
		sess, err := s.CreateSession(ctx, f.ann, "Browser")
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.CreateToken(ctx, f.ann, "script")
		if err != nil {
			t.Fatal(err)
		}
		first, _ := s.RequestPasswordReset(ctx, "ann", nil)
		second, _ := s.RequestPasswordReset(ctx, "ann", nil)
		if len(first) != 1 || len(second) != 1 || first[0].Token == second[0].Token {
			t.Fatalf("links: %+v %+v", first, second)
		}
		for range models.MaxLoginFailures {
			s.Authenticate(ctx, "ann", "a wrong guess") //nolint:errcheck // locking her out
		}
		if _, err := s.Authenticate(ctx, "ann", resetPassword); !errors.Is(err, models.ErrThrottled) {
			t.Fatalf("not locked: %v", err)
		}

		_, err = s.ResetPassword(ctx, first[0].Token, "short")
		if ve, ok := errors.AsType[*models.ValidationError](err); !ok || ve.Fields["new_password"] == "" {
			t.Fatalf("short password: %v", err)
		}
		if name, err := s.CheckPasswordReset(ctx, first[0].Token); err != nil || name != "ann" {
			t.Fatalf("the link after a refused password: %q %v", name, err)
		}
		acc, err := s.ResetPassword(ctx, first[0].Token, "a brand new password")
		if err != nil || acc.Username != "ann" {
			t.Fatalf("reset: %v", err)
		}
		if _, err := s.ResetPassword(ctx, first[0].Token, "another new password"); !errors.Is(err, models.ErrResetLinkInvalid) {
			t.Errorf("second use: %v", err)
		}
		if _, err := s.ResetPassword(ctx, second[0].Token, "another new password"); !errors.Is(err, models.ErrResetLinkInvalid) {
			t.Errorf("the other link after a reset: %v", err)
		}
		if _, err := s.Authenticate(ctx, "ann", resetPassword); !errors.Is(err, models.ErrBadCredentials) {
			t.Errorf("old password: %v", err)
		}
		if _, err := s.Authenticate(ctx, "ann", "a brand new password"); err != nil {
			t.Errorf("new password (the lock lifted): %v", err)
		}
		if _, err := s.SessionAccount(ctx, sess); !errors.Is(err, models.ErrUnauthorized) {
			t.Errorf("session after reset: %v", err)
		}
		if _, err := s.TokenAccount(ctx, tok); !errors.Is(err, models.ErrUnauthorized) {
			t.Errorf("API token after reset: %v", err)
		}
		log, err := s.AuditLog(ctx, 5)
		if err != nil || len(log) == 0 || log[0].Action != "reset_password" || log[0].TargetID != "ann" ||
			log[0].AccountID == nil || *log[0].AccountID != f.ann.ID {
			t.Errorf("audit: %+v %v", log, err)
		}
		for _, bad := range []string{"", "nonsense", second[0].Token + "x"} {
			if _, err := s.CheckPasswordReset(ctx, bad); !errors.Is(err, models.ErrResetLinkInvalid) {
				t.Errorf("token %q: %v", bad, err)
			}
		}
	}, models.WithClock(func() time.Time { return now }))
}

// TestPasswordResetExpiresAndIsLimited: a link lives an hour by the
// store's clock; an account gets MaxPasswordResets links an hour; a
// change of password ends pending links; the purge removes expired ones.
func TestPasswordResetExpiresAndIsLimited(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		start := now
		f := newResetFixture(t, s, &now)
		var tokens []string
		for i := range models.MaxPasswordResets + 2 {
			got, err := s.RequestPasswordReset(ctx, "ann@example.org", nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := i < models.MaxPasswordResets; (len(got) == 1) != want {
				t.Fatalf("request %d: %d links, want a link %t", i+1, len(got), want)
			}
			if len(got) == 1 {
				tokens = append(tokens, got[0].Token)
			}
			now = now.Add(time.Minute)
		}
		now = start.Add(models.PasswordResetValidity)
		if _, err := s.ResetPassword(ctx, tokens[0], "a brand new password"); !errors.Is(err, models.ErrResetLinkInvalid) {
			t.Errorf("expired link: %v", err)
		}
		if _, err := s.CheckPasswordReset(ctx, tokens[1]); err != nil {
			t.Errorf("a link a minute younger: %v", err)
		}
		if n, err := s.PurgePasswordResets(ctx); err != nil || n != 1 {
			t.Errorf("purge: %d %v, want the expired link", n, err)
		}
		// The first link's hour has passed: one more may be sent.
		if got, _ := s.RequestPasswordReset(ctx, "ann", nil); len(got) != 1 {
			t.Errorf("after the window: %d links", len(got))
		}
		// Changing the password ends the pending links.
		if err := s.ChangePassword(ctx, f.ann, resetPassword, "a brand new password"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResetPassword(ctx, tokens[1], "another new password"); !errors.Is(err, models.ErrResetLinkInvalid) {
			t.Errorf("link after a change of password: %v", err)
		}
		now = now.Add(2 * models.PasswordResetValidity)
		if n, err := s.PurgePasswordResets(ctx); err != nil || n != 3 {
			t.Errorf("purge of the rest: %d %v", n, err)
		}
	}, models.WithClock(func() time.Time { return now }))
}

// TestPasswordResetErasedAndDisabled: erasure removes the account's
// links; a link of an account disabled since no longer works.
func TestPasswordResetErasedAndDisabled(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		f := newResetFixture(t, s, &now)
		got, _ := s.RequestPasswordReset(ctx, "ann", nil)
		eve, _ := s.RequestPasswordReset(ctx, "eve", nil)
		if len(got) != 1 || len(eve) != 1 {
			t.Fatal("no link")
		}
		// The download lists the links, without their hashes.
		data, err := s.AccountExport(ctx, f.ann)
		if err != nil {
			t.Fatal(err)
		}
		if rows := data.Tables["password_resets"]; len(rows) != 1 || rows[0]["token_hash"] != nil || rows[0]["expires_at"] == nil {
			t.Errorf("download: %v", rows)
		}
		if err := s.DeleteAccount(ctx, f.ann); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.DB.NewRaw("SELECT count(*) FROM password_resets WHERE account_id = ?", f.ann.ID).Scan(ctx, &n); err != nil || n != 0 {
			t.Errorf("erased account's links: %d %v", n, err)
		}
		if err := s.SetDisabled(ctx, nil, "eve", true, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResetPassword(ctx, eve[0].Token, "a brand new password"); !errors.Is(err, models.ErrResetLinkInvalid) {
			t.Errorf("disabled account's link: %v", err)
		}
	}, models.WithClock(func() time.Time { return now }))
}

// TestSetPassword: the operator's reset ends sessions and links and is
// audited; the password rules apply.
func TestSetPassword(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now()
		f := newResetFixture(t, s, &now)
		sess, _ := s.CreateSession(ctx, f.ann, "Browser")
		link, _ := s.RequestPasswordReset(ctx, "ann", nil)
		err := s.SetPassword(ctx, nil, "ann", "short")
		if ve, ok := errors.AsType[*models.ValidationError](err); !ok || ve.Fields["password"] == "" {
			t.Fatalf("short: %v", err)
		}
		if err := s.SetPassword(ctx, nil, "nobody", "a brand new password"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown: %v", err)
		}
		if err := s.SetPassword(ctx, nil, "Ann", "a brand new password"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "ann", "a brand new password"); err != nil {
			t.Error(err)
		}
		if _, err := s.SessionAccount(ctx, sess); !errors.Is(err, models.ErrUnauthorized) {
			t.Errorf("session: %v", err)
		}
		if _, err := s.CheckPasswordReset(ctx, link[0].Token); !errors.Is(err, models.ErrResetLinkInvalid) {
			t.Errorf("link: %v", err)
		}
		if log, _ := s.AuditLog(ctx, 1); len(log) != 1 || log[0].Action != "set_password" || log[0].AccountID != nil {
			t.Errorf("audit: %+v", log)
		}
	})
}

// TestPasswordResetLinksEndWithTheAddressOrTheAccess: a pending link ends
// when what it relied on changes: the account's e-mail address, once the
// new one is confirmed (the link went to the old one, in use until then),
// the account disabled (re-enabling it must not
// revive the link), a password change by the member or by the operator.
// A change of other settings keeps it.
func TestPasswordResetLinksEndWithTheAddressOrTheAccess(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		change func(ctx context.Context, s *models.Store, ann *models.Account) error
		ends   bool
	}{
		{"e-mail change asked, not confirmed", func(ctx context.Context, s *models.Store, ann *models.Account) error {
			_, err := s.EditAccount(ctx, ann, models.AccountEdit{Email: ptr("elsewhere@example.org"), CurrentPassword: resetPassword})
			return err
		}, false},
		{"e-mail changed and confirmed", func(ctx context.Context, s *models.Store, ann *models.Account) error {
			if _, err := s.EditAccount(ctx, ann, models.AccountEdit{Email: ptr("elsewhere@example.org"), CurrentPassword: resetPassword}); err != nil {
				return err
			}
			_, err := confirmPending(ctx, s, ann.ID)
			return err
		}, true},
		{"e-mail removed", func(ctx context.Context, s *models.Store, ann *models.Account) error {
			_, err := s.EditAccount(ctx, ann, models.AccountEdit{Email: ptr(""), CurrentPassword: resetPassword})
			return err
		}, true},
		{"disabled then enabled", func(ctx context.Context, s *models.Store, _ *models.Account) error {
			if err := s.SetDisabled(ctx, nil, "ann", true, "spam"); err != nil {
				return err
			}
			return s.SetDisabled(ctx, nil, "ann", false, "")
		}, true},
		{"password changed", func(ctx context.Context, s *models.Store, ann *models.Account) error {
			return s.ChangePassword(ctx, ann, resetPassword, "a brand new password")
		}, true},
		{"password set by the operator", func(ctx context.Context, s *models.Store, _ *models.Account) error {
			return s.SetPassword(ctx, nil, "ann", "a brand new password")
		}, true},
		{"same address, other settings", func(ctx context.Context, s *models.Store, ann *models.Account) error {
			_, err := s.EditAccount(ctx, ann, models.AccountEdit{Email: ptr("Ann@Example.org"), Locale: ptr("en"), Bio: ptr("Hi")})
			return err
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s *models.Store) {
				ctx := context.Background()
				f := newResetFixture(t, s, &now)
				links, err := s.RequestPasswordReset(ctx, "ann", nil)
				if err != nil || len(links) != 1 {
					t.Fatalf("link: %v %v", links, err)
				}
				if err := tc.change(ctx, s, f.ann); err != nil {
					t.Fatal(err)
				}
				_, err = s.CheckPasswordReset(ctx, links[0].Token)
				if ended := errors.Is(err, models.ErrResetLinkInvalid); ended != tc.ends || !ended && err != nil {
					t.Errorf("link after the change: %v, want ended %t", err, tc.ends)
				}
			}, models.WithClock(func() time.Time { return now }))
		})
	}
}

// TestPasswordResetRereadsTheAccount: a request that found the account
// while its address was being changed (or it was being disabled) in
// another transaction mails no link once that change commits: the account
// is read again, with the request's conditions and the address found,
// in the transaction that stores the link. Before, the link went to the
// old address (or to the disabled account's).
func TestPasswordResetRereadsTheAccount(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ name, change string }{
		{"address changed", "UPDATE accounts SET email = 'elsewhere@example.org' WHERE username = 'ann'"},
		{"disabled", "UPDATE accounts SET disabled = TRUE WHERE username = 'ann'"},
		{"erased", "UPDATE accounts SET email = '', deleted_at = created_at WHERE username = 'ann'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s *models.Store) {
				ctx := context.Background()
				newResetFixture(t, s, &now)
				other, err := s.DB.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer other.Rollback() //nolint:errcheck // committed below
				if _, err := other.NewRaw(tc.change).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				type result struct {
					links []models.MailLink
					err   error
				}
				done := make(chan result, 1)
				go func() {
					links, err := s.RequestPasswordReset(ctx, "ann", nil)
					done <- result{links, err}
				}()
				time.Sleep(300 * time.Millisecond)
				if err := other.Commit(); err != nil {
					t.Fatal(err)
				}
				if got := <-done; got.err != nil || len(got.links) != 0 {
					t.Errorf("links %+v, err %v: want none", got.links, got.err)
				}
			}, models.WithClock(func() time.Time { return now }))
		})
	}
}

// TestPasswordResetLimitUnderConcurrency: requests for one account sent
// at once store at most MaxPasswordResets links (on PostgreSQL at READ
// COMMITTED, counting then inserting without the account's row lock let
// them all through).
func TestPasswordResetLimitUnderConcurrency(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		newResetFixture(t, s, &now)
		const requests = 12
		var wg sync.WaitGroup
		var mu sync.Mutex
		sent := 0
		for range requests {
			wg.Add(1)
			go func() {
				defer wg.Done()
				links, err := s.RequestPasswordReset(ctx, "ann", nil)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				sent += len(links)
				mu.Unlock()
			}()
		}
		wg.Wait()
		var stored int
		if err := s.DB.NewRaw("SELECT count(*) FROM password_resets").Scan(ctx, &stored); err != nil {
			t.Fatal(err)
		}
		if sent != models.MaxPasswordResets || stored != models.MaxPasswordResets {
			t.Errorf("%d links sent, %d stored, want %d", sent, stored, models.MaxPasswordResets)
		}
	}, models.WithClock(func() time.Time { return now }))
}

// TestPasswordResetLimitsPerAddressAndInstance: a mailbox shared by
// several accounts gets MaxPasswordResets links an hour in all, however it
// is asked (its address in any case, or each account's name), not that
// many per account; and the instance sends at most
// MaxPasswordResetsPerHour links an hour, whoever they are for.
func TestPasswordResetLimitsPerAddressAndInstance(t *testing.T) {
	var now time.Time
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		newResetFixture(t, s, &now)
		sent := 0
		for _, in := range []string{"shared@example.org", "SHARED@example.org", "eve", "fay", "shared@example.org"} {
			got, err := s.RequestPasswordReset(ctx, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			sent += len(got)
		}
		if sent != models.MaxPasswordResets {
			t.Errorf("%d links to the shared address, want %d", sent, models.MaxPasswordResets)
		}
		// The instance's budget: links already sent this hour (to bob's
		// account, which has no address, so as to count toward no other
		// limit) leave none for ann.
		var bob int64
		if err := s.DB.NewRaw("SELECT id FROM accounts WHERE username = 'bob'").Scan(ctx, &bob); err != nil {
			t.Fatal(err)
		}
		for i := range models.MaxPasswordResetsPerHour - sent {
			if _, err := s.DB.NewRaw("INSERT INTO password_resets (account_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
				bob, fmt.Sprint("h", i), now, now.Add(time.Hour)).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := s.RequestPasswordReset(ctx, "ann", nil); err != nil || len(got) != 0 {
			t.Errorf("past the instance's budget: %d links, %v", len(got), err)
		}
		now = now.Add(models.PasswordResetWindow)
		if got, err := s.RequestPasswordReset(ctx, "ann", nil); err != nil || len(got) != 1 {
			t.Errorf("an hour later: %d links, %v", len(got), err)
		}
	}, models.WithClock(func() time.Time { return now }))
}

// TestSetPasswordOnAnAccountErasedMeanwhile: the operator's password set
// on an account erased while it runs (the erasure in flight in another
// transaction) answers ErrNotFound, not a success that changed nothing.
func TestSetPasswordOnAnAccountErasedMeanwhile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now()
		newResetFixture(t, s, &now)
		other, err := s.DB.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Rollback() //nolint:errcheck // committed below
		if _, err := other.NewRaw("UPDATE accounts SET password_hash = '', deleted_at = created_at WHERE username = 'ann'").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- s.SetPassword(ctx, nil, "ann", "a brand new password") }()
		time.Sleep(300 * time.Millisecond)
		if err := other.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; !errors.Is(err, models.ErrNotFound) {
			t.Errorf("password set on an account erased meanwhile: %v, want ErrNotFound", err)
		}
	})
}

// TestPasswordResetInstanceBudgetUnderConcurrency: requests for many
// accounts (each with its own address, so that only the instance's
// budget can stop them) sent at once when the hour's budget has three
// links left store and send exactly three (on PostgreSQL at READ
// COMMITTED, each request counted the links before any other's insert
// was committed, and several passed the budget together).
func TestPasswordResetInstanceBudgetUnderConcurrency(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		const requests, left = 24, 3
		for i := range requests {
			if _, err := s.CreateAccount(ctx, models.NewAccount{Username: fmt.Sprint("user", i), Email: fmt.Sprintf("user%d@example.org", i),
				Password: resetPassword}); err != nil {
				t.Fatal(err)
			}
		}
		var first int64
		if err := s.DB.NewRaw("SELECT min(id) FROM accounts").Scan(ctx, &first); err != nil {
			t.Fatal(err)
		}
		// Links sent this hour to one account, leaving left in the budget.
		for i := range models.MaxPasswordResetsPerHour - left {
			if _, err := s.DB.NewRaw("INSERT INTO password_resets (account_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
				first, fmt.Sprint("h", i), now, now.Add(time.Hour)).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// Several rounds: one round's requests at once do not always
		// overlap enough to show the race.
		for round := range 5 {
			sent := sendResetsAtOnce(t, s, requests)
			var stored int
			if err := s.DB.NewRaw("SELECT count(*) FROM password_resets").Scan(ctx, &stored); err != nil {
				t.Fatal(err)
			}
			if sent != left || stored != models.MaxPasswordResetsPerHour {
				t.Fatalf("round %d: %d links sent, %d stored, want %d and %d", round, sent, stored, left, models.MaxPasswordResetsPerHour)
			}
			if _, err := s.DB.NewRaw("DELETE FROM password_resets WHERE token_hash NOT LIKE 'h%'").Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}, models.WithClock(func() time.Time { return now }))
}

// sendResetsAtOnce asks links for the accounts user0… user{n-1} at once
// and returns how many were sent.
func sendResetsAtOnce(t *testing.T, s *models.Store, n int) int {
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent := 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			links, err := s.RequestPasswordReset(context.Background(), fmt.Sprint("user", i), nil)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			sent += len(links)
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return sent
}
