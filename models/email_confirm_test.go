package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// confirmPending confirms the pending address of the account id by the
// link, as its owner would.
func confirmPending(ctx context.Context, s *models.Store, id int64) (*models.Account, error) {
	link, err := s.RequestEmailConfirmation(ctx, id, nil)
	if err != nil {
		return nil, err
	}
	if link == nil {
		return nil, errors.New("no confirmation link issued")
	}
	return s.ConfirmEmail(ctx, link.Token)
}

// signUp creates a member by the sign-up form's way, with email.
func signUp(t *testing.T, s *models.Store, name, email string) *models.Account {
	t.Helper()
	acc, err := s.SignUp(context.Background(), models.NewAccount{Username: name, Email: email, Password: resetPassword}, "")
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

// TestSignUpAddressAwaitsConfirmation: the address given at sign-up is
// pending, and no reset link goes to it (asked by name or by address)
// until its owner follows the confirmation link; then it is the
// account's address and the reset links go there. It fails when SignUp
// stores the address as the account's at once.
func TestSignUpAddressAwaitsConfirmation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc := signUp(t, s, "ann", "Ann@Example.org")
		if acc.Email != "" || acc.PendingEmail != "Ann@Example.org" {
			t.Fatalf("signed up with email %q, pending %q; want it pending", acc.Email, acc.PendingEmail)
		}
		for _, in := range []string{"ann", "ann@example.org"} {
			if links, err := s.RequestPasswordReset(ctx, in, nil); err != nil || len(links) != 0 {
				t.Errorf("reset link for %q before confirmation: %v %v", in, links, err)
			}
		}
		got, err := confirmPending(ctx, s, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Email != "Ann@Example.org" || got.PendingEmail != "" {
			t.Errorf("confirmed: email %q, pending %q", got.Email, got.PendingEmail)
		}
		if links, err := s.RequestPasswordReset(ctx, "ann@example.org", nil); err != nil || len(links) != 1 || links[0].Email != "Ann@Example.org" {
			t.Errorf("reset link after confirmation: %v %v", links, err)
		}
		log, err := s.AuditLog(ctx, 10)
		if err != nil || len(log) == 0 || log[0].Action != "confirm_email" || log[0].TargetID != "ann" || log[0].AccountID == nil || *log[0].AccountID != acc.ID {
			t.Errorf("audit: %+v %v", log, err)
		}
	})
}

// TestEmailChangeWaitsForConfirmation: a new address is pending, the
// confirmed one stays the account's (reset links go there) until the
// new one is confirmed; its link then ends the reset links sent to the
// old address. Going back to the confirmed address, or cancelling,
// forgets the pending one and ends its links.
func TestEmailChangeWaitsForConfirmation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "old@example.org", Password: resetPassword})
		if err != nil {
			t.Fatal(err)
		}
		change := func(email string) {
			t.Helper()
			if _, err := s.EditAccount(ctx, acc, models.AccountEdit{Email: &email, CurrentPassword: resetPassword}); err != nil {
				t.Fatal(err)
			}
		}
		change("new@example.org")
		if links, err := s.RequestPasswordReset(ctx, "ann", nil); err != nil || len(links) != 1 || links[0].Email != "old@example.org" {
			t.Fatalf("reset link while the change is pending: %v %v, want to the old address", links, err)
		}
		if links, _ := s.RequestPasswordReset(ctx, "new@example.org", nil); len(links) != 0 {
			t.Errorf("reset link to the pending address: %v", links)
		}
		// Going back to the confirmed address cancels; the link sent
		// before no longer confirms anything.
		link, err := s.RequestEmailConfirmation(ctx, acc.ID, nil)
		if err != nil || link == nil || link.Email != "new@example.org" {
			t.Fatalf("confirmation link: %v %v", link, err)
		}
		change("old@example.org")
		if _, err := s.ConfirmEmail(ctx, link.Token); !errors.Is(err, models.ErrConfirmLinkInvalid) {
			t.Errorf("link of a cancelled address: %v", err)
		}
		change("new@example.org")
		if err := s.CancelPendingEmail(ctx, acc); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.AccountByID(ctx, acc.ID); got.Email != "old@example.org" || got.PendingEmail != "" {
			t.Errorf("cancelled: email %q, pending %q", got.Email, got.PendingEmail)
		}
		if link, err := s.RequestEmailConfirmation(ctx, acc.ID, nil); err != nil || link != nil {
			t.Errorf("link without a pending address: %v %v", link, err)
		}
		change("newer@example.org")
		resets, _ := s.RequestPasswordReset(ctx, "ann", nil)
		got, err := confirmPending(ctx, s, acc.ID)
		if err != nil || got.Email != "newer@example.org" || got.PendingEmail != "" {
			t.Fatalf("confirmed: %+v %v", got, err)
		}
		if _, err := s.CheckPasswordReset(ctx, resets[0].Token); !errors.Is(err, models.ErrResetLinkInvalid) {
			t.Errorf("reset link mailed to the old address after the new one's confirmation: %v", err)
		}
	})
}

// TestConfirmEmailLinks: a link confirms once, within its validity, the
// address it was sent to while that address is still pending and the
// account can log in; every other case is ErrConfirmLinkInvalid and
// changes nothing.
func TestConfirmEmailLinks(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		before func(ctx context.Context, s *models.Store, acc *models.Account) error
		token  func(token string) string
		ok     bool
	}{
		{"valid", nil, nil, true},
		{"unknown", nil, func(string) string { return "not-a-token" }, false},
		{"empty", nil, func(string) string { return "" }, false},
		{"too long", nil, func(string) string { return strings.Repeat("a", 101) }, false},
		{"expired", func(context.Context, *models.Store, *models.Account) error {
			now = now.Add(models.EmailConfirmationValidity)
			return nil
		}, nil, false},
		{"address replaced since", func(ctx context.Context, s *models.Store, acc *models.Account) error {
			_, err := s.EditAccount(ctx, acc, models.AccountEdit{Email: ptr("other@example.org"), CurrentPassword: resetPassword})
			return err
		}, nil, false},
		{"cancelled", func(ctx context.Context, s *models.Store, acc *models.Account) error {
			return s.CancelPendingEmail(ctx, acc)
		}, nil, false},
		{"account disabled", func(ctx context.Context, s *models.Store, acc *models.Account) error {
			return s.SetDisabled(ctx, nil, acc.Username, true, "spam")
		}, nil, false},
		{"account erased", func(ctx context.Context, s *models.Store, acc *models.Account) error {
			return s.DeleteAccount(ctx, acc)
		}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s *models.Store) {
				now = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
				ctx := context.Background()
				acc := signUp(t, s, "ann", "ann@example.org")
				link, err := s.RequestEmailConfirmation(ctx, acc.ID, nil)
				if err != nil || link == nil || link.Email != "ann@example.org" || link.Username != "ann" {
					t.Fatalf("link: %+v %v", link, err)
				}
				if tc.before != nil {
					if err := tc.before(ctx, s, acc); err != nil {
						t.Fatal(err)
					}
				}
				token := link.Token
				if tc.token != nil {
					token = tc.token(token)
				}
				_, _, cerr := s.CheckEmailConfirmation(ctx, token)
				got, err := s.ConfirmEmail(ctx, token)
				switch {
				case tc.ok && (err != nil || cerr != nil || got.Email != "ann@example.org"):
					t.Fatalf("confirm: %v (check: %v)", err, cerr)
				case !tc.ok && (!errors.Is(err, models.ErrConfirmLinkInvalid) || !errors.Is(cerr, models.ErrConfirmLinkInvalid)):
					t.Fatalf("confirm: %v (check: %v), want ErrConfirmLinkInvalid", err, cerr)
				case !tc.ok:
					if acc, err := s.AccountByID(ctx, acc.ID); err == nil && acc.Email != "" {
						t.Errorf("refused link confirmed %q", acc.Email)
					}
				}
				if tc.ok {
					if _, err := s.ConfirmEmail(ctx, token); !errors.Is(err, models.ErrConfirmLinkInvalid) {
						t.Errorf("second use: %v", err)
					}
				}
			}, models.WithClock(func() time.Time { return now }))
		})
	}
}

// TestConfirmEmailRace: of two uses of one link at once, one confirms
// and the other is refused. The second waits for the first's mark on the
// link (the uncommitted UPDATE of another confirmation stands for it);
// on PostgreSQL it read the link unused before, so it fails when the
// link is marked used without the condition that it still is unused.
// Then several uses at once: exactly one wins.
func TestConfirmEmailRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc := signUp(t, s, "ann", "ann@example.org")
		link, err := s.RequestEmailConfirmation(ctx, acc.ID, nil)
		if err != nil || link == nil {
			t.Fatal(link, err)
		}
		first, err := s.DB.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer first.Rollback() //nolint:errcheck // committed below
		if _, err := first.NewRaw("UPDATE email_confirmations SET used_at = ? WHERE account_id = ?", time.Now(), acc.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := s.ConfirmEmail(ctx, link.Token)
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("the second use did not wait for the first: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		if err := first.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; !errors.Is(err, models.ErrConfirmLinkInvalid) {
			t.Errorf("second use of a link used meanwhile: %v, want ErrConfirmLinkInvalid", err)
		}

		bob := signUp(t, s, "bob", "bob@example.org")
		link, err = s.RequestEmailConfirmation(ctx, bob.ID, nil)
		if err != nil || link == nil {
			t.Fatal(link, err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 4 {
			wg.Go(func() {
				_, err := s.ConfirmEmail(ctx, link.Token)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					wins++
				} else if !errors.Is(err, models.ErrConfirmLinkInvalid) {
					t.Errorf("use: %v", err)
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d uses of one link confirmed, want 1", wins)
		}
	})
}

// TestEmailConfirmationLimits: the confirmation links share the reset
// links' limits: MaxPasswordResets per window to an account and to a
// mailbox (whatever its case, whichever accounts asked), a window later
// again; the expired ones are purged.
func TestEmailConfirmationLimits(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ann := signUp(t, s, "ann", "ann@example.org")
		for i := range models.MaxPasswordResets {
			if link, err := s.RequestEmailConfirmation(ctx, ann.ID, nil); err != nil || link == nil {
				t.Fatalf("link %d: %v %v", i+1, link, err)
			}
		}
		if link, err := s.RequestEmailConfirmation(ctx, ann.ID, nil); err != nil || link != nil {
			t.Errorf("link past the account's limit: %v %v", link, err)
		}
		// Asked again by the member, the refusal says why, on "email".
		_, err := s.ResendEmailConfirmation(ctx, ann, nil)
		if ve, ok := errors.AsType[*models.ValidationError](err); !ok || !strings.Contains(ve.Fields["email"], "too many confirmation links") {
			t.Errorf("resend past the limit: %v", err)
		}
		bob, err := s.CreateAccount(ctx, models.NewAccount{Username: "bob", Email: "bob@example.org", Password: resetPassword})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.ResendEmailConfirmation(ctx, bob, nil)
		if ve, ok := errors.AsType[*models.ValidationError](err); !ok || ve.Fields["email"] != "has no address awaiting confirmation" {
			t.Errorf("resend without a pending address: %v", err)
		}
		// Two accounts naming one mailbox share its limit.
		eve, fay := signUp(t, s, "eve", "shared@example.org"), signUp(t, s, "fay", "Shared@Example.org")
		sent := 0
		for range models.MaxPasswordResets {
			for _, id := range []int64{eve.ID, fay.ID} {
				if link, err := s.RequestEmailConfirmation(ctx, id, nil); err != nil {
					t.Fatal(err)
				} else if link != nil {
					sent++
				}
			}
		}
		if sent != models.MaxPasswordResets {
			t.Errorf("%d links to one mailbox, want %d", sent, models.MaxPasswordResets)
		}
		now = now.Add(models.PasswordResetWindow + time.Second)
		if link, err := s.RequestEmailConfirmation(ctx, ann.ID, nil); err != nil || link == nil {
			t.Errorf("link a window later: %v %v", link, err)
		}
		now = now.Add(models.EmailConfirmationValidity)
		if n, err := s.PurgeEmailConfirmations(ctx); err != nil || n != int64(models.MaxPasswordResets*2+1) {
			t.Errorf("purged %d %v, want %d", n, err, models.MaxPasswordResets*2+1)
		}
	}, models.WithClock(func() time.Time { return now }))
}

// TestConfirmPendingEmailByOperator: the operator confirms a member's
// pending address (an instance without e-mail), audited; a member
// without one, or an unknown name, is an error.
func TestConfirmPendingEmailByOperator(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		signUp(t, s, "ann", "ann@example.org")
		if _, err := s.CreateAccount(ctx, models.NewAccount{Username: "bob", Password: resetPassword}); err != nil {
			t.Fatal(err)
		}
		got, err := s.ConfirmPendingEmail(ctx, nil, " ANN ")
		if err != nil || got != "ann@example.org" {
			t.Fatalf("confirm: %q %v", got, err)
		}
		if acc, _ := s.AccountByUsername(ctx, "ann"); acc.Email != "ann@example.org" || acc.PendingEmail != "" {
			t.Errorf("email %q, pending %q", acc.Email, acc.PendingEmail)
		}
		log, err := s.AuditLog(ctx, 1)
		if err != nil || len(log) != 1 || log[0].Action != "confirm_email" || log[0].TargetID != "ann" || log[0].AccountID != nil {
			t.Errorf("audit: %+v %v", log, err)
		}
		if _, err := s.ConfirmPendingEmail(ctx, nil, "bob"); err == nil {
			t.Error("confirmed a member without a pending address")
		}
		if _, err := s.ConfirmPendingEmail(ctx, nil, "nobody"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown member: %v", err)
		}
	})
}

// TestEmailConfirmationDataAndErasure: the download lists the pending
// address and the links (without their hashes); erasure removes both.
func TestEmailConfirmationDataAndErasure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc := signUp(t, s, "ann", "ann@example.org")
		if link, err := s.RequestEmailConfirmation(ctx, acc.ID, nil); err != nil || link == nil {
			t.Fatal(link, err)
		}
		data, err := s.AccountExport(ctx, acc)
		if err != nil {
			t.Fatal(err)
		}
		if rows := data.Tables["email_confirmations"]; len(rows) != 1 || rows[0]["token_hash"] != nil ||
			rows[0]["email"] != "ann@example.org" || rows[0]["expires_at"] == nil {
			t.Errorf("download's links: %v", rows)
		}
		if rows := data.Tables["accounts"]; len(rows) != 1 || rows[0]["pending_email"] != "ann@example.org" {
			t.Errorf("download's account: %v", rows)
		}
		if err := s.DeleteAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.DB.NewRaw("SELECT count(*) FROM email_confirmations WHERE account_id = ?", acc.ID).Scan(ctx, &n); err != nil || n != 0 {
			t.Errorf("erased account's links: %d %v", n, err)
		}
		var pending string
		if err := s.DB.NewRaw("SELECT pending_email FROM accounts WHERE id = ?", acc.ID).Scan(ctx, &pending); err != nil || pending != "" {
			t.Errorf("erased account's pending address: %q %v", pending, err)
		}
	})
}

// TestEditAccountEmailShown: a form that sends back the address it
// showed (EmailShown) changes nothing of the address when it was not
// touched, even if another window changed it since (the language is
// saved, the pending change kept), and is refused with ErrEditConflict
// when it was touched and the address changed since.
func TestEditAccountEmailShown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "old@example.org", Password: resetPassword})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.EditAccount(ctx, acc, models.AccountEdit{Email: ptr("new@example.org"), CurrentPassword: resetPassword}); err != nil {
			t.Fatal(err)
		}
		// The form opened before that change showed old@.
		got, err := s.EditAccount(ctx, acc, models.AccountEdit{Email: ptr("old@example.org"), EmailShown: ptr("old@example.org"), Locale: ptr("fr")})
		if err != nil || got.PendingEmail != "new@example.org" || got.Locale != "fr" {
			t.Fatalf("untouched stale address: %v, pending %q locale %q", err, got.PendingEmail, got.Locale)
		}
		_, err = s.EditAccount(ctx, acc, models.AccountEdit{Email: ptr("third@example.org"), EmailShown: ptr("old@example.org"), CurrentPassword: resetPassword})
		if !errors.Is(err, models.ErrEditConflict) {
			t.Errorf("touched stale address: %v, want ErrEditConflict", err)
		}
		if got, _ := s.AccountByID(ctx, acc.ID); got.PendingEmail != "new@example.org" {
			t.Errorf("pending %q after the refused change", got.PendingEmail)
		}
	})
}

// TestEmailConfirmedByLink: a used link tells whose address it confirmed
// (the page after the confirming form, reloaded too) while that address
// is still the account's, for ConfirmedLinkShown; an unused, unknown or
// empty link, one used longer ago, or one whose address has since
// changed, is ErrConfirmLinkInvalid.
func TestEmailConfirmedByLink(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc := signUp(t, s, "ann", "ann@example.org")
		link, err := s.RequestEmailConfirmation(ctx, acc.ID, nil)
		if err != nil || link == nil {
			t.Fatalf("link: %v %v", link, err)
		}
		if _, _, err := s.EmailConfirmedByLink(ctx, link.Token); !errors.Is(err, models.ErrConfirmLinkInvalid) {
			t.Errorf("an unused link: %v, want ErrConfirmLinkInvalid", err)
		}
		if _, err := s.ConfirmEmail(ctx, link.Token); err != nil {
			t.Fatal(err)
		}
		for range 2 { // reloaded: the same answer
			if name, email, err := s.EmailConfirmedByLink(ctx, link.Token); err != nil || name != "ann" || email != "ann@example.org" {
				t.Errorf("the used link: %q %q %v", name, email, err)
			}
		}
		for _, tok := range []string{"", "unknown", strings.Repeat("x", 101)} {
			if _, _, err := s.EmailConfirmedByLink(ctx, tok); !errors.Is(err, models.ErrConfirmLinkInvalid) {
				t.Errorf("token %.10q: %v, want ErrConfirmLinkInvalid", tok, err)
			}
		}
		// Used longer ago than ConfirmedLinkShown: a shared browser that
		// kept the token shows nothing to whoever comes next.
		setUsed := func(at time.Time) {
			t.Helper()
			if _, err := s.DB.NewUpdate().Table("email_confirmations").Set("used_at = ?", at).Where("account_id = ?", acc.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		setUsed(time.Now().Add(-models.ConfirmedLinkShown - time.Minute))
		if _, _, err := s.EmailConfirmedByLink(ctx, link.Token); !errors.Is(err, models.ErrConfirmLinkInvalid) {
			t.Errorf("used long ago: %v, want ErrConfirmLinkInvalid", err)
		}
		setUsed(time.Now())
		// The address changed since: the link no longer says it is hers.
		acc, _ = s.AccountByID(ctx, acc.ID)
		if _, _, err := s.EditAccountChanged(ctx, acc, models.AccountEdit{Email: ptr("ann@new.example"), CurrentPassword: resetPassword}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ConfirmPendingEmail(ctx, nil, "ann"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.EmailConfirmedByLink(ctx, link.Token); !errors.Is(err, models.ErrConfirmLinkInvalid) {
			t.Errorf("the address replaced: %v, want ErrConfirmLinkInvalid", err)
		}
	})
}
