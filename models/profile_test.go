package models_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

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
			{"bad email", models.AccountEdit{Email: ptr("ann at example")}, []string{"email"}},
			{"email with a name", models.AccountEdit{Email: ptr("Ann <ann@example.org>")}, []string{"email"}},
			{"unknown language", models.AccountEdit{Locale: ptr("de")}, []string{"locale"}},
			{"all at once", models.AccountEdit{DisplayName: ptr(strings.Repeat("n", 51)), Bio: ptr(strings.Repeat("b", 501)),
				Email: ptr("@"), Locale: ptr("EN")}, []string{"bio", "display_name", "email", "locale"}},
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
// profile change emits account.updated, a private setting does not.
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
			events               int
		}{
			{"profile", models.AccountEdit{DisplayName: ptr("  Ann Martin "), Bio: ptr("Cyclist in *Lyon*.<script>alert(1)</script>")},
				"Ann Martin", "<p>Cyclist in <em>Lyon</em>.alert(1)</p>", "Cyclist in *Lyon*.<script>alert(1)</script>", "ann@example.org", "en", 1},
			{"the same again", models.AccountEdit{DisplayName: ptr("Ann Martin"), Bio: ptr("Cyclist in *Lyon*.<script>alert(1)</script>")},
				"Ann Martin", "<p>Cyclist in <em>Lyon</em>.alert(1)</p>", "Cyclist in *Lyon*.<script>alert(1)</script>", "ann@example.org", "en", 1},
			{"private settings", models.AccountEdit{Email: ptr(" ann@lyon.example "), Locale: ptr("fr")},
				"Ann Martin", "<p>Cyclist in <em>Lyon</em>.alert(1)</p>", "Cyclist in *Lyon*.<script>alert(1)</script>", "ann@lyon.example", "fr", 1},
			{"name only", models.AccountEdit{DisplayName: ptr("Ann M.")},
				"Ann M.", "<p>Cyclist in <em>Lyon</em>.alert(1)</p>", "Cyclist in *Lyon*.<script>alert(1)</script>", "ann@lyon.example", "fr", 2},
			{"everything emptied", models.AccountEdit{DisplayName: ptr(""), Bio: ptr(""), Email: ptr(""), Locale: ptr("")},
				"", "", "", "", "", 3},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.EditAccount(ctx, acc, tt.in)
				if err != nil {
					t.Fatal(err)
				}
				if got.Actor.Name != tt.displayName || got.Actor.Summary != tt.summary || got.Bio != tt.bio ||
					got.Email != tt.email || got.Locale != tt.locale {
					t.Errorf("got name %q summary %q bio %q email %q locale %q", got.Actor.Name, got.Actor.Summary, got.Bio, got.Email, got.Locale)
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
