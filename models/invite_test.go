package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestCreateInviteForOnce: the same request key issues one invitation,
// whose code comes back (again) the second time; another key, another
// code; a member may not invite; the code of a key is shown while it can
// be used.
func TestCreateInviteForOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		mod, err := s.CreateAccount(ctx, models.NewAccount{Username: "modo", Password: "correct horse", Role: models.RoleModerator})
		if err != nil {
			t.Fatal(err)
		}
		member, err := s.CreateAccount(ctx, models.NewAccount{Username: "membre", Password: "correct horse"})
		if err != nil {
			t.Fatal(err)
		}
		key, other := strings.Repeat("a", 64), strings.Repeat("b", 64)
		code, again, err := s.CreateInviteFor(ctx, mod, key)
		if err != nil || again {
			t.Fatalf("first: %v again=%v", err, again)
		}
		code2, again, err := s.CreateInviteFor(ctx, mod, key)
		if err != nil || !again || code2 != code {
			t.Fatalf("same key: %q again=%v %v, want %q again", code2, again, err, code)
		}
		if n, _ := s.DB.NewSelect().Table("invites").Count(ctx); n != 1 {
			t.Fatalf("%d invitations, want 1", n)
		}
		if code3, _, _ := s.CreateInviteFor(ctx, mod, other); code3 == code {
			t.Error("another key gives the same code")
		}
		if _, _, err := s.CreateInviteFor(ctx, member, key+"c"); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("a member invites: %v", err)
		}
		if _, err := s.InviteFor(ctx, member, key); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("another's invitation found: %v", err)
		}
		if got, err := s.InviteFor(ctx, mod, key); err != nil || got != code {
			t.Errorf("InviteFor: %q %v", got, err)
		}
		if err := s.SetSetting(ctx, nil, models.SettingRegistration, models.RegistrationInvite); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SignUp(ctx, models.NewAccount{Username: "nouvelle", Password: "correct horse"}, code); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SignUp(ctx, models.NewAccount{Username: "encore", Password: "correct horse"}, code); err == nil {
			t.Error("the code worked twice")
		}
		if _, err := s.InviteFor(ctx, mod, key); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a used invitation's code: %v", err)
		}
	})
}
