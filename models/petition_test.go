package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// clock is a settable fake clock for deadlines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *civic) petition(t *testing.T, by *models.Account, goal int, closes *time.Time) *models.Petition {
	t.Helper()
	p, err := c.s.CreatePetition(context.Background(), by.Actor, c.space.Name, models.PetitionInput{
		Title: "Sauvons le kiosque", Body: "Le kiosque du parc doit **rester**.", Addressee: "maire", Goal: goal, ClosesAt: closes})
	if err != nil {
		t.Fatalf("create petition: %v", err)
	}
	return p
}

func TestPetitionValidation(t *testing.T) {
	clk := newClock()
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		past, soon, far := clk.Now().Add(-time.Hour), clk.Now().Add(24*time.Hour), clk.Now().Add(4*365*24*time.Hour)
		ok := models.PetitionInput{Title: "Un kiosque", Body: "Texte", Addressee: "maire", Goal: 10}
		with := func(f func(*models.PetitionInput)) models.PetitionInput { in := ok; f(&in); return in }
		cases := []struct {
			name string
			in   models.PetitionInput
			want error
		}{
			{"ok", ok, nil},
			{"ok with @ and deadline", with(func(in *models.PetitionInput) { in.Addressee, in.ClosesAt = "@Maire", &soon }), nil},
			{"addressee not a decider", with(func(in *models.PetitionInput) { in.Addressee = "m1" }), errValidation},
			{"addressee unknown", with(func(in *models.PetitionInput) { in.Addressee = "nobody" }), errValidation},
			{"addressee missing", with(func(in *models.PetitionInput) { in.Addressee = "" }), errValidation},
			{"goal zero", with(func(in *models.PetitionInput) { in.Goal = 0 }), errValidation},
			{"goal too big", with(func(in *models.PetitionInput) { in.Goal = 10_000_001 }), errValidation},
			{"goal at limit", with(func(in *models.PetitionInput) { in.Goal = 10_000_000 }), nil},
			{"deadline past", with(func(in *models.PetitionInput) { in.ClosesAt = &past }), errValidation},
			{"deadline too far", with(func(in *models.PetitionInput) { in.ClosesAt = &far }), errValidation},
			{"empty body", with(func(in *models.PetitionInput) { in.Body = "" }), errValidation},
			{"long title", with(func(in *models.PetitionInput) { in.Title = strings.Repeat("x", 141) }), errValidation},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.CreatePetition(ctx, c.members[0].Actor, "ville", tc.in)
				wantErr(t, err, tc.want)
			})
		}
	}, models.WithClock(clk.Now))
}

func TestPetitionSigning(t *testing.T) {
	clk := newClock()
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyLocal, 0)
		closes := clk.Now().Add(48 * time.Hour)
		p := c.petition(t, c.members[0], 4, &closes)
		if p.URI != fmt.Sprintf("%s/pe/%d", s.URLs.Base, p.ID) || p.Addressee == nil || p.Addressee.Username != "maire" {
			t.Fatalf("petition = %+v", p)
		}
		n, goal, err := s.Sign(ctx, c.members[1].Actor, p.ID, true)
		if err != nil || n != 1 || goal != 4 {
			t.Fatalf("sign = %d/%d %v", n, goal, err)
		}
		_, _, err = s.Sign(ctx, c.members[1].Actor, p.ID, false)
		wantErr(t, err, models.ErrDuplicate)
		_, _, err = s.Sign(ctx, c.remote, p.ID, true)
		wantErr(t, err, models.ErrForbidden) // local policy refuses remote actors
		if _, _, err := s.Sign(ctx, c.members[2].Actor, p.ID, false); err != nil {
			t.Fatal(err)
		}
		v, err := s.ViewPetition(ctx, p.ID, c.members[1])
		if err != nil || !v.Signed || v.SignaturesCount != 2 || v.PublicCount != 1 || len(v.Signers) != 1 || v.Signers[0].Name != "m1" {
			t.Fatalf("view = %+v %v", v, err)
		}
		// Milestones 25 % (1 of 4) and 50 % (2 of 4) are recorded once each.
		if len(v.Milestones) != 2 || v.Milestones[0].Percent != 25 || v.Milestones[1].Percent != 50 {
			t.Fatalf("milestones = %+v", v.Milestones)
		}
		if list, _ := s.Notifications(ctx, c.members[0], 0, 10); len(list) != 2 || list[0].Kind != models.NotifyPetitionMilestone || list[0].Data != "50" {
			t.Fatalf("author notifications = %+v", list)
		}
		// Signatures withdrawn by erasure and given again do not record twice.
		if err := s.DeleteAccount(ctx, c.members[2]); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.PetitionByID(ctx, p.ID); got.SignaturesCount != 1 {
			t.Fatalf("count after erasure = %d", got.SignaturesCount)
		}
		if _, _, err := s.Sign(ctx, c.members[3].Actor, p.ID, false); err != nil {
			t.Fatal(err)
		}
		if n := countEvents(t, s, models.EventPetitionMilestone); n != 2 {
			t.Fatalf("milestone events = %d, want 2", n)
		}
		// After the deadline, signing is closed.
		clk.Add(49 * time.Hour)
		if got, _ := s.PetitionByID(ctx, p.ID); got.State(s.Now()) != models.PetitionClosed {
			t.Fatalf("state = %s", got.State(s.Now()))
		}
		_, _, err = s.Sign(ctx, c.mod.Actor, p.ID, true)
		wantErr(t, err, models.ErrClosed)
		_, _, err = s.Sign(ctx, c.mod.Actor, 424242, true)
		wantErr(t, err, models.ErrNotFound)
	}, models.WithClock(clk.Now))
}

func TestPetitionResponseAndUpdates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		author, signer := c.members[0], c.members[1]
		p := c.petition(t, author, 100, nil)
		if _, _, err := s.Sign(ctx, signer.Actor, p.ID, false); err != nil {
			t.Fatal(err)
		}
		// Updates: the author only.
		_, err := s.PostPetitionUpdate(ctx, signer.Actor, p.ID, "Pas moi")
		wantErr(t, err, models.ErrForbidden)
		_, err = s.PostPetitionUpdate(ctx, author.Actor, p.ID, "  ")
		wantErr(t, err, errValidation)
		u, err := s.PostPetitionUpdate(ctx, author.Actor, p.ID, "Nous avons **rencontré** les élus.")
		if err != nil || !strings.Contains(u.BodyHTML, "<strong>") || !strings.HasSuffix(u.URI, fmt.Sprintf("/pe/%d/updates/%d", p.ID, u.ID)) {
			t.Fatalf("update = %+v %v", u, err)
		}
		list, _ := s.Notifications(ctx, signer, 0, 10)
		if len(list) != 1 || list[0].Kind != models.NotifyPetitionUpdate || list[0].Object == nil {
			t.Fatalf("signer notifications = %+v", list)
		}
		// The response: the addressee only.
		cases := []struct {
			name string
			by   *models.Account
			body string
			want error
		}{
			{"author refused", author, "Oui", models.ErrForbidden},
			{"moderator refused", c.mod, "Oui", models.ErrForbidden},
			{"anonymous", nil, "Oui", models.ErrUnauthorized},
			{"empty", c.mayor, " ", errValidation},
			{"addressee", c.mayor, "Le kiosque **restera**.", nil},
			{"twice", c.mayor, "Encore", models.ErrConflict},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.RespondPetition(ctx, tc.by, p.ID, tc.body)
				wantErr(t, err, tc.want)
			})
		}
		got, _ := s.PetitionByID(ctx, p.ID)
		if got.State(s.Now()) != models.PetitionAnswered || !strings.Contains(got.ResponseHTML, "<strong>restera</strong>") || got.RespondedAt == nil {
			t.Fatalf("answered petition = %+v", got)
		}
		_, _, err = s.Sign(ctx, c.members[2].Actor, p.ID, false)
		wantErr(t, err, models.ErrClosed)
		for _, acc := range []*models.Account{author, signer} {
			list, _ := s.Notifications(ctx, acc, 0, 10)
			if len(list) == 0 || list[0].Kind != models.NotifyPetitionAnswered {
				t.Fatalf("notifications of %s = %+v", acc.Username, list)
			}
		}
		// Updates are still possible after the response.
		if _, err := s.PostPetitionUpdate(ctx, author.Actor, p.ID, "Merci à tous."); err != nil {
			t.Fatal(err)
		}
		v, _ := s.ViewPetition(ctx, p.ID, nil)
		if len(v.Updates) != 2 || v.Signed {
			t.Fatalf("view = %+v", v)
		}
	})
}

func TestPetitionConcurrentSignatures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		p := c.petition(t, c.members[0], 40, nil)
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for i := range 50 {
			a, err := s.UpsertRemoteActor(ctx, &models.Actor{URI: fmt.Sprintf("https://far.example/users/s%d", i), Type: models.ActorPerson, Username: fmt.Sprintf("s%d", i), Host: "far.example"})
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				wg.Go(func() {
					if _, _, err := s.Sign(ctx, a, p.ID, i%2 == 0); err != nil && !errors.Is(err, models.ErrDuplicate) {
						errs <- err
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		v, err := s.ViewPetition(ctx, p.ID, nil)
		if err != nil || v.SignaturesCount != 50 || v.PublicCount != 25 || len(v.Milestones) != 4 {
			t.Fatalf("count = %d public = %d milestones = %d %v", v.SignaturesCount, v.PublicCount, len(v.Milestones), err)
		}
		if n, err := s.RecountSignatures(ctx, p.ID); err != nil || n != 50 {
			t.Fatalf("recount = %d %v", n, err)
		}
		if n := countEvents(t, s, models.EventPetitionMilestone); n != 4 {
			t.Fatalf("milestone events = %d", n)
		}
		if n := countEvents(t, s, models.EventSignatureAdded); n != 50 {
			t.Fatalf("signature events = %d", n)
		}
	})
}
