package models_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

func ptr(s string) *string { return &s }

// TestEditAccountValidation: every invalid field is reported at once, and
// nothing is written when one is.
func TestEditAccountValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "ann@example.org", Password: "long enough pw", Locale: "en"})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			in     models.AccountEdit
			fields []string
		}{
			{"name too long", models.AccountEdit{DisplayName: ptr(strings.Repeat("é", models.MaxDisplayName+1))}, []string{"display_name"}},
			{"name on two lines", models.AccountEdit{DisplayName: ptr("Ann\nAdmin")}, []string{"display_name"}},
			{"name with a control character", models.AccountEdit{DisplayName: ptr("Ann\x07")}, []string{"display_name"}},
			{"bio too long", models.AccountEdit{Bio: ptr(strings.Repeat("b", models.MaxBio+1))}, []string{"bio"}},
			{"bad email", models.AccountEdit{Email: ptr("ann at example"), CurrentPassword: "long enough pw"}, []string{"email"}},
			{"email with a name", models.AccountEdit{Email: ptr("Ann <ann@example.org>"), CurrentPassword: "long enough pw"}, []string{"email"}},
			{"unknown language", models.AccountEdit{Locale: ptr("de")}, []string{"locale"}},
			{"all at once", models.AccountEdit{DisplayName: ptr(strings.Repeat("n", 51)), Bio: ptr(strings.Repeat("b", 501)),
				Email: ptr("@"), Locale: ptr("EN"), CurrentPassword: "long enough pw"}, []string{"bio", "display_name", "email", "locale"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.EditAccount(ctx, acc, tt.in)
				var ve *models.ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("want validation error, got %v", err)
				}
				if got := slices.Sorted(maps.Keys(ve.Fields)); !slices.Equal(got, tt.fields) {
					t.Fatalf("errors on %v, want %v (%v)", got, tt.fields, ve.Fields)
				}
			})
		}
		got, err := s.AccountByID(ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Email != "ann@example.org" || got.Locale != "en" || got.Bio != "" {
			t.Errorf("a refused edit wrote: email %q, locale %q, bio %q", got.Email, got.Locale, got.Bio)
		}
	})
}

// TestEditAccount: the given fields change, the others stay; the bio is
// kept as Markdown and rendered, sanitised, into the actor's summary; a
// profile change emits account.updated, a private setting does not; a
// new e-mail address waits as the pending one, the confirmed address
// staying in use, and removing the address removes both.
func TestEditAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "ann@example.org", Password: "long enough pw", Locale: "en"})
		if err != nil {
			t.Fatal(err)
		}
		updates := func() int {
			t.Helper()
			evs, err := s.PendingEvents(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, ev := range evs {
				if ev.Kind == models.EventAccountUpdated {
					if ev.ActorID != acc.Actor.ID || ev.ObjectID != acc.ID {
						t.Errorf("event %+v is not about ann's actor", ev)
					}
					n++
				}
			}
			return n
		}
		tests := []struct {
			name                 string
			in                   models.AccountEdit
			displayName, summary string
			bio, email, locale   string
			pending              string
			events               int
		}{
			{"profile", models.AccountEdit{DisplayName: ptr("  Ann Martin "), Bio: ptr("Cyclist in *Lyon*.<script>alert(1)</script>")},
				"Ann Martin", "<p>Cyclist in <em>Lyon</em>.alert(1)</p>", "Cyclist in *Lyon*.<script>alert(1)</script>", "ann@example.org", "en", "", 1},
			{"the same again", models.AccountEdit{DisplayName: ptr("Ann Martin"), Bio: ptr("Cyclist in *Lyon*.<script>alert(1)</script>")},
				"Ann Martin", "<p>Cyclist in <em>Lyon</em>.alert(1)</p>", "Cyclist in *Lyon*.<script>alert(1)</script>", "ann@example.org", "en", "", 1},
			{"private settings", models.AccountEdit{Email: ptr(" ann@lyon.example "), Locale: ptr("fr"), CurrentPassword: "long enough pw"},
				"Ann Martin", "<p>Cyclist in <em>Lyon</em>.alert(1)</p>", "Cyclist in *Lyon*.<script>alert(1)</script>", "ann@example.org", "fr", "ann@lyon.example", 1},
			{"name only", models.AccountEdit{DisplayName: ptr("Ann M.")},
				"Ann M.", "<p>Cyclist in <em>Lyon</em>.alert(1)</p>", "Cyclist in *Lyon*.<script>alert(1)</script>", "ann@example.org", "fr", "ann@lyon.example", 2},
			{"everything emptied", models.AccountEdit{DisplayName: ptr(""), Bio: ptr(""), Email: ptr(""), Locale: ptr(""), CurrentPassword: "long enough pw"},
				"", "", "", "", "", "", 3},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.EditAccount(ctx, acc, tt.in)
				if err != nil {
					t.Fatal(err)
				}
				if got.Actor.Name != tt.displayName || got.Actor.Summary != tt.summary || got.Bio != tt.bio ||
					got.Email != tt.email || got.Locale != tt.locale || got.PendingEmail != tt.pending {
					t.Errorf("got name %q summary %q bio %q email %q locale %q pending %q", got.Actor.Name, got.Actor.Summary, got.Bio, got.Email, got.Locale, got.PendingEmail)
				}
				if n := updates(); n != tt.events {
					t.Errorf("%d account.updated events, want %d", n, tt.events)
				}
			})
		}
		if got, _ := s.AccountByID(ctx, acc.ID); got.Actor.DisplayName() != "ann" {
			t.Errorf("an empty display name shows %q, want the user name", got.Actor.DisplayName())
		}
	})
}

// TestEditAccountGone: a deleted account has nothing left to edit.
func TestEditAccountGone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Password: "long enough pw"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EditAccount(ctx, acc, models.AccountEdit{DisplayName: ptr("Back")}); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("editing an erased account: %v, want not found", err)
		}
		if _, err := s.EditAccount(ctx, nil, models.AccountEdit{}); !errors.Is(err, models.ErrUnauthorized) {
			t.Fatalf("editing without an account: %v, want unauthorized", err)
		}
	})
}

// TestEmailChangeNeedsPassword: a new e-mail address (where reset links
// go) needs the current password; a wrong one counts toward the log-in
// limit; other settings, or the same address, do not need it.
func TestEmailChangeNeedsPassword(t *testing.T) {
	const emailPassword = "correct horse battery"
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "ann@example.org", Password: emailPassword})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			in   models.AccountEdit
			want string // current_password problem
		}{
			{"missing", models.AccountEdit{Email: ptr("new@example.org")}, "is required to change the e-mail address"},
			{"wrong", models.AccountEdit{Email: ptr("new@example.org"), CurrentPassword: "a wrong guess"}, "is wrong"},
			{"wrong, with a bad address", models.AccountEdit{Email: ptr("nope"), CurrentPassword: "a wrong guess"}, "is wrong"},
			{"removed", models.AccountEdit{Email: ptr("")}, "is required to change the e-mail address"},
			{"same address", models.AccountEdit{Email: ptr(" ann@example.org "), Locale: ptr("fr")}, ""},
			{"right", models.AccountEdit{Email: ptr("new@example.org"), CurrentPassword: emailPassword}, ""},
		} {
			got, err := s.EditAccount(ctx, acc, tc.in)
			ve, _ := errors.AsType[*models.ValidationError](err)
			if tc.want == "" {
				if err != nil {
					t.Errorf("%s: %v", tc.name, err)
				} else {
					acc = got
				}
				continue
			}
			if ve == nil || ve.Fields["current_password"] != tc.want {
				t.Errorf("%s: %v", tc.name, err)
			}
			if tc.name == "wrong, with a bad address" && ve != nil && ve.Fields["email"] == "" {
				t.Errorf("%s: the address's problem is not told with the password's: %v", tc.name, err)
			}
		}
		if acc.Email != "ann@example.org" || acc.PendingEmail != "new@example.org" {
			t.Errorf("e-mail %q, pending %q; want the new one pending", acc.Email, acc.PendingEmail)
		}
		// A wrong password is counted as at log-in.
		if _, err := s.EditAccount(ctx, acc, models.AccountEdit{Email: ptr("x@example.org"), CurrentPassword: "a wrong guess"}); err == nil {
			t.Fatal("wrong password accepted")
		}
		for range models.MaxLoginFailures - 1 {
			s.Authenticate(ctx, "ann", "a wrong guess") //nolint:errcheck // counting
		}
		if _, err := s.Authenticate(ctx, "ann", emailPassword); !errors.Is(err, models.ErrThrottled) {
			t.Errorf("wrong passwords of the e-mail form not counted: %v", err)
		}
	})
}

// TestEmailChangeRaceKeepsTheNewAddress: a settings request sent from a
// view of the account before the owner changed the address (so carrying
// the old address, and no password, which the unchanged address did not
// need) is refused when it is decided while the owner's password-checked
// change is in flight, instead of writing the old address back once that
// change commits, or, when the owner's new address is pending, instead
// of going back to the confirmed one and so cancelling it. It fails when
// the address is compared outside the saving transaction and written
// unconditionally, or when going back to the confirmed address is not
// checked against the address the check saw.
func TestEmailChangeRaceKeepsTheNewAddress(t *testing.T) {
	for _, tc := range []struct {
		name, column string
		stored       func(*models.Account) string
	}{
		{"address written", "email", func(a *models.Account) string { return a.Email }},
		{"address pending", "pending_email", func(a *models.Account) string { return a.PendingEmail }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s *models.Store) {
				ctx := context.Background()
				acc, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "old@example.org", Password: "correct horse battery"})
				if err != nil {
					t.Fatal(err)
				}
				owner, err := s.DB.BeginTx(ctx, nil) // the owner's change, checked and written, not yet committed
				if err != nil {
					t.Fatal(err)
				}
				defer owner.Rollback() //nolint:errcheck // committed below
				if _, err := owner.NewRaw("UPDATE accounts SET ? = ? WHERE id = ?", bun.Ident(tc.column), "new@example.org", acc.ID).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() {
					_, _, err := s.EditAccountChanged(ctx, acc, models.AccountEdit{Email: ptr("old@example.org"), Locale: ptr("fr")})
					done <- err
				}()
				select {
				case err := <-done:
					t.Fatalf("the stale request did not wait for the change in flight: %v", err)
				case <-time.After(300 * time.Millisecond):
				}
				if err := owner.Commit(); err != nil {
					t.Fatal(err)
				}
				if err := <-done; !errors.Is(err, models.ErrEditConflict) {
					t.Errorf("stale request with the old address and no password: %v, want ErrEditConflict", err)
				}
				got, err := s.AccountByID(ctx, acc.ID)
				if err != nil {
					t.Fatal(err)
				}
				if tc.stored(got) != "new@example.org" || got.Locale != "" {
					t.Errorf("stored %q (locale %q), want the owner's new address and nothing of the stale request", tc.stored(got), got.Locale)
				}
			})
		})
	}
}

// TestEditAccountTellsTheEmailChange: EditAccountChanged returns the
// change of address it made, from the stored address, and nil when the
// address sent is the stored one, whatever the caller's account says.
func TestEditAccountTellsTheEmailChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "old@example.org", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		stale := *acc
		stale.Email = "stale@example.org"
		for _, tc := range []struct {
			name string
			in   models.AccountEdit
			want *models.EmailChange
		}{
			{"same address", models.AccountEdit{Email: ptr("old@example.org")}, nil},
			{"new address", models.AccountEdit{Email: ptr("new@example.org"), CurrentPassword: "correct horse battery"},
				&models.EmailChange{From: "old@example.org", To: "new@example.org", Confirm: true}},
			{"the pending address again", models.AccountEdit{Email: ptr("new@example.org")}, nil},
			{"back to the confirmed one", models.AccountEdit{Email: ptr("old@example.org")},
				&models.EmailChange{From: "old@example.org", To: "old@example.org"}},
			{"removed", models.AccountEdit{Email: ptr(""), CurrentPassword: "correct horse battery"}, &models.EmailChange{From: "old@example.org", To: ""}},
			{"locale only", models.AccountEdit{Locale: ptr("fr")}, nil},
		} {
			_, got, err := s.EditAccountChanged(ctx, &stale, tc.in)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Errorf("%s: change %+v, want %+v", tc.name, got, tc.want)
			}
		}
	})
}

// TestEmailChangesAreLimited: an account changes its address at most
// MaxEmailChanges times in EmailChangeWindow (each change mails the old
// address: unbounded, it would mail anyone at will); past that the change
// is refused on "email" and nothing is saved; each change is audited,
// without the addresses; a day later it may change again. Sending the
// stored address is no change and is not counted.
func TestEmailChangesAreLimited(t *testing.T) {
	var now time.Time
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		acc, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "ann@example.org", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		change := func(email string) error {
			_, err := s.EditAccount(ctx, acc, models.AccountEdit{Email: ptr(email), CurrentPassword: "correct horse battery"})
			return err
		}
		for i, email := range []string{"victim@example.org", "", "ann@example.org"}[:models.MaxEmailChanges] {
			if err := change(email); err != nil {
				t.Fatalf("change %d: %v", i+1, err)
			}
			if err := change(email); err != nil {
				t.Fatalf("resending the stored address %d: %v", i+1, err)
			}
		}
		err = change("victim2@example.org")
		if ve, ok := errors.AsType[*models.ValidationError](err); !ok || ve.Fields["email"] != "was changed too many times in the last 24 hours; try again later" {
			t.Fatalf("change past the limit: %v", err)
		}
		if got, _ := s.AccountByID(ctx, acc.ID); got.Email != "" || got.PendingEmail != "ann@example.org" {
			t.Errorf("refused change saved: %q, pending %q", got.Email, got.PendingEmail)
		}
		log, err := s.AuditLog(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range log {
			if e.Action == "change_email" {
				n++
				if e.TargetID != "ann" || e.Detail != "" || e.AccountID == nil || *e.AccountID != acc.ID {
					t.Errorf("audit entry %+v", e)
				}
			}
		}
		if n != models.MaxEmailChanges {
			t.Errorf("%d changes audited, want %d", n, models.MaxEmailChanges)
		}
		now = now.Add(models.EmailChangeWindow)
		if err := change("new@example.org"); err != nil {
			t.Errorf("change a day later: %v", err)
		}
	}, models.WithClock(func() time.Time { return now }))
}

// TestSettingsVersion: a change of the language or of the digest moves
// the account's SettingsVersion (a save that changes neither, or only
// the public profile, does not); an edit of them made from another
// version is refused with an *EditConflict naming the current one and
// changes nothing; one made from the current version, or naming none
// (the API), applies.
func TestSettingsVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Password: "long enough pw", Email: "ann@example.org", Locale: "fr"})
		if err != nil {
			t.Fatal(err)
		}
		if acc.SettingsVersion != 1 {
			t.Fatalf("a new account's settings version is %d, want 1", acc.SettingsVersion)
		}
		on, off := true, false
		for _, tc := range []struct {
			name    string
			in      models.AccountEdit
			err     bool // an *EditConflict
			version int64
		}{
			{"the same language, no version", models.AccountEdit{Locale: ptr("fr")}, false, 1},
			{"the profile only", models.AccountEdit{DisplayName: ptr("Ann"), IfSettingsVersion: 7}, false, 1},
			{"the digest through the API", models.AccountEdit{EmailDigest: &on}, false, 2},
			{"a form opened before", models.AccountEdit{Locale: ptr("en"), EmailDigest: &off, IfSettingsVersion: 1}, true, 2},
			{"an address from a form opened before", models.AccountEdit{Email: ptr("ann@example.org"), IfSettingsVersion: 1}, true, 2},
			{"the form again, at the current version", models.AccountEdit{Locale: ptr("en"), EmailDigest: &off, IfSettingsVersion: 2}, false, 3},
		} {
			_, err := s.EditAccount(ctx, acc, tc.in)
			conflict, isConflict := errors.AsType[*models.EditConflict](err)
			if isConflict != tc.err || (!tc.err && err != nil) {
				t.Errorf("%s: %v", tc.name, err)
			}
			if isConflict && conflict.Current != tc.version {
				t.Errorf("%s: conflict at version %d, want %d", tc.name, conflict.Current, tc.version)
			}
			got, err := s.AccountByID(ctx, acc.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.SettingsVersion != tc.version {
				t.Errorf("%s: settings version %d, want %d", tc.name, got.SettingsVersion, tc.version)
			}
			if tc.err && (got.Locale != "fr" || !got.EmailDigest) {
				t.Errorf("%s: the refused edit changed the settings: %q %v", tc.name, got.Locale, got.EmailDigest)
			}
		}
	})
}
