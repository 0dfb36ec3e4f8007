package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestReaddressPetitionWhen: a moderator gives a petition a new addressee
// only while its addressee cannot answer (no longer a decision-maker,
// disabled or erased), and never once it was answered.
func TestReaddressPetitionWhen(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		mustDecider(t, s, "adjointe")
		cases := []struct {
			name   string
			change func(t *testing.T, p *models.Petition, addressee *models.Account)
			want   error
			why    string // in the error
		}{
			{"still a decision-maker", func(*testing.T, *models.Petition, *models.Account) {}, models.ErrConflict, "can still answer"},
			{"no longer a decision-maker", func(t *testing.T, _ *models.Petition, a *models.Account) {
				if err := s.SetDecider(ctx, nil, a.Username, false); err != nil {
					t.Fatal(err)
				}
			}, nil, ""},
			{"disabled", func(t *testing.T, _ *models.Petition, a *models.Account) {
				if err := s.SetDisabled(ctx, nil, a.Username, true, "left"); err != nil {
					t.Fatal(err)
				}
			}, nil, ""},
			{"erased", func(t *testing.T, _ *models.Petition, a *models.Account) {
				if err := s.DeleteAccount(ctx, a); err != nil {
					t.Fatal(err)
				}
			}, nil, ""},
			{"answered, then left office", func(t *testing.T, p *models.Petition, a *models.Account) {
				if _, err := s.RespondPetition(ctx, a, p.ID, "Non."); err != nil {
					t.Fatal(err)
				}
				if err := s.SetDecider(ctx, nil, a.Username, false); err != nil {
					t.Fatal(err)
				}
			}, models.ErrConflict, "already answered"},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				addressee := mustDecider(t, s, "elu"+string(rune('a'+i)))
				p, err := s.CreatePetition(ctx, c.members[0].Actor, "ville", models.PetitionInput{
					Title: "Un banc", Body: "Au parc.", Addressee: addressee.Username, Goal: 10})
				if err != nil {
					t.Fatal(err)
				}
				tc.change(t, p, addressee)
				v, err := s.ViewPetition(ctx, p.ID, nil)
				if err != nil {
					t.Fatal(err)
				}
				if v.AddresseeCanAnswer != (tc.name == "still a decision-maker") {
					t.Errorf("AddresseeCanAnswer = %t", v.AddresseeCanAnswer)
				}
				_, err = s.ReaddressPetition(ctx, c.mod, p.ID, "adjointe")
				wantErr(t, err, tc.want)
				if err != nil && !strings.Contains(err.Error(), tc.why) {
					t.Errorf("error %q does not say %q", err, tc.why)
				}
			})
		}
	})
}

// TestReaddressPetition: who may re-address, which addressee is
// accepted, and what a re-addressing records: the petition's new
// addressee and date, an audit entry naming both, the notifications of
// the new addressee, author and signers, and the event federation sends
// an Update from.
func TestReaddressPetition(t *testing.T) {
	clk := newClock()
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		author, signer, other := c.members[0], c.members[1], c.members[2]
		adjointe := mustDecider(t, s, "adjointe")
		mustDecider(t, s, "ancien")
		if err := s.SetDisabled(ctx, nil, "ancien", true, "left"); err != nil {
			t.Fatal(err)
		}
		p := c.petition(t, author, 100, nil)
		if _, _, err := s.Sign(ctx, signer.Actor, p.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := s.SetDecider(ctx, nil, "maire", false); err != nil { // the election
			t.Fatal(err)
		}
		const (
			verified = "verified decision-maker"
			differ   = "differ from the current one"
		)
		cases := []struct {
			name, addressee string
			by              *models.Account
			want            error
			message         string // of the addressee field
		}{
			{"anonymous", "adjointe", nil, models.ErrUnauthorized, ""},
			{"member", "adjointe", other, models.ErrForbidden, ""},
			{"author", "adjointe", author, models.ErrForbidden, ""},
			{"the former addressee", "adjointe", c.mayor, models.ErrForbidden, ""},
			{"not a decision-maker", "m3", c.mod, errValidation, verified},
			{"unknown", "nobody", c.mod, errValidation, verified},
			{"empty", " ", c.mod, errValidation, verified},
			{"disabled decision-maker", "ancien", c.mod, errValidation, verified},
			{"the same addressee", "@Maire", c.mod, errValidation, differ},
			{"moderator", "@Adjointe", c.mod, nil, ""},
			{"again, the new addressee can answer", "ancien", c.mod, models.ErrConflict, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				clk.Add(time.Minute)
				_, err := s.ReaddressPetition(ctx, tc.by, p.ID, tc.addressee)
				wantErr(t, err, tc.want)
				var ve *models.ValidationError
				if tc.message != "" && (!errors.As(err, &ve) || !strings.Contains(ve.Fields["addressee"], tc.message)) {
					t.Errorf("error %v, want the addressee field to say %q", err, tc.message)
				}
			})
		}
		got, err := s.PetitionByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.AddresseeID != adjointe.Actor.ID || got.Addressee.Username != "adjointe" || got.ReaddressedAt == nil ||
			!got.ReaddressedAt.Equal(got.UpdatedAt) || !got.UpdatedAt.After(p.UpdatedAt) {
			t.Fatalf("re-addressed petition: addressee %d (want %d), readdressed_at %v, updated_at %v (created %v)",
				got.AddresseeID, adjointe.Actor.ID, got.ReaddressedAt, got.UpdatedAt, p.UpdatedAt)
		}
		log, err := s.AuditLog(ctx, 5)
		if err != nil || len(log) == 0 || log[0].Action != "petition_readdressed" || log[0].AccountID == nil || *log[0].AccountID != c.mod.ID ||
			!strings.Contains(log[0].Detail, "maire") || !strings.Contains(log[0].Detail, "adjointe") {
			t.Fatalf("audit log = %+v %v", log, err)
		}
		for _, tc := range []struct {
			acc  *models.Account
			told bool
		}{{adjointe, true}, {author, true}, {signer, true}, {other, false}, {c.mod, false}, {c.mayor, false}} {
			list, err := s.Notifications(ctx, tc.acc, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			told := len(list) > 0 && list[0].Kind == models.NotifyPetitionReaddressed && list[0].ObjectID == p.ID
			if told != tc.told {
				t.Errorf("%s told of the new addressee: %t, want %t (%+v)", tc.acc.Username, told, tc.told, list)
			}
		}
		evs, err := s.PendingEvents(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		emitted := 0
		for _, ev := range evs {
			if ev.Kind == models.EventPetitionReaddressed && ev.ObjectID == p.ID && strings.Contains(ev.Data, adjointe.Actor.URI) {
				emitted++
			}
		}
		if emitted != 1 {
			t.Errorf("%d %s events, want 1", emitted, models.EventPetitionReaddressed)
		}
		// A copy of another server's petition is re-addressed there.
		remote, err := s.UpsertRemotePetition(ctx, models.RemotePetition{URI: "https://far.example/pe/1", Title: "Ailleurs",
			ContentHTML: "<p>Loin.</p>", AuthorID: c.remote.ID, Goal: 10})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.ReaddressPetition(ctx, c.mod, remote.ID, "adjointe")
		wantErr(t, err, models.ErrForbidden)
		// The new addressee answers; the former one no longer may.
		_, err = s.RespondPetition(ctx, c.mayor, p.ID, "Oui")
		wantErr(t, err, models.ErrForbidden)
		if _, err := s.RespondPetition(ctx, adjointe, p.ID, "Le banc sera posé."); err != nil {
			t.Fatal(err)
		}
	}, models.WithClock(clk.Now))
}

// mustDecider creates a member marked as a verified decision-maker.
func mustDecider(t *testing.T, s *models.Store, name string) *models.Account {
	t.Helper()
	acc := mustAccount(t, s, name, models.RoleMember)
	if err := s.SetDecider(context.Background(), nil, name, true); err != nil {
		t.Fatal(err)
	}
	acc.Decider = true
	return acc
}

// TestRespondPetitionOutOfOffice: an addressee whose decider status was
// withdrawn no longer answers the petition (moderators re-address it);
// given it back, they answer.
func TestRespondPetitionOutOfOffice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		mayor := mustDecider(t, s, "ancien")
		p, err := s.CreatePetition(ctx, c.members[0].Actor, "ville", models.PetitionInput{
			Title: "Un banc", Body: "Au parc.", Addressee: mayor.Username, Goal: 10})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetDecider(ctx, nil, mayor.Username, false); err != nil {
			t.Fatal(err)
		}
		mayor, err = s.AccountByUsername(ctx, mayor.Username) // as the next request loads it
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.RespondPetition(ctx, mayor, p.ID, "Oui.")
		if !errors.Is(err, models.ErrForbidden) || !strings.Contains(err.Error(), "no longer") {
			t.Fatalf("out of office: err = %v, want ErrForbidden saying why", err)
		}
		if err := s.SetDecider(ctx, nil, mayor.Username, true); err != nil {
			t.Fatal(err)
		}
		if mayor, err = s.AccountByUsername(ctx, mayor.Username); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RespondPetition(ctx, mayor, p.ID, "Oui."); err != nil {
			t.Fatalf("back in office: %v", err)
		}
	})
}
