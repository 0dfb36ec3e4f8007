package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// lastEvent is the newest pending event of kind.
func lastEvent(t *testing.T, s *models.Store, kind string) *models.Event {
	t.Helper()
	evs, err := s.PendingEvents(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == kind {
			return &evs[i]
		}
	}
	return nil
}

func TestPetitionUpdateEdit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		author, signer := c.members[0], c.members[1]
		p := c.petition(t, author, 100, nil)
		if _, _, err := s.Sign(ctx, signer.Actor, p.ID, false); err != nil {
			t.Fatal(err)
		}
		u, err := s.PostPetitionUpdate(ctx, author.Actor, p.ID, "Nous avons rencontré les élu.")
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			by   *models.Account
			body string
			want error
		}{
			{"anonymous", nil, "x", models.ErrUnauthorized},
			{"a signer", signer, "x", models.ErrForbidden},
			{"the addressee", c.mayor, "x", models.ErrForbidden},
			{"empty", author, "  ", errValidation},
			{"the author", author, "Nous avons rencontré les **élus**.", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.EditPetitionUpdate(ctx, tc.by, p.ID, u.ID, tc.body, 0)
				wantErr(t, err, tc.want)
			})
		}
		v, err := s.ViewPetition(ctx, p.ID, nil)
		if err != nil || len(v.Updates) != 1 {
			t.Fatalf("view: %+v %v", v, err)
		}
		got := v.Updates[0]
		if got.ID != u.ID || got.URI != u.URI || !strings.Contains(got.BodyHTML, "<strong>élus</strong>") || got.EditedAt == nil || !got.CreatedAt.Equal(u.CreatedAt) {
			t.Fatalf("edited update = %+v", got)
		}
		// No second notification for an edit (the first one stays).
		if list, _ := s.Notifications(ctx, signer, 0, 10); len(list) != 1 || list[0].Kind != models.NotifyPetitionUpdate {
			t.Fatalf("signer notifications = %+v", list)
		}
		ev := lastEvent(t, s, models.EventPetitionUpdateEdited)
		if ev == nil || ev.ObjectID != p.ID || !strings.Contains(ev.Data, u.URI) {
			t.Fatalf("event = %+v", ev)
		}
		// The author's own edit is not audited; a moderator's is.
		if log, _ := s.AuditLog(ctx, 10); len(log) > 0 && log[0].Action == "petition_update_edited" {
			t.Fatalf("author's edit audited: %+v", log[0])
		}
		if _, err := s.EditPetitionUpdate(ctx, c.mod, p.ID, u.ID, "Compte rendu de la rencontre.", 0); err != nil {
			t.Fatal(err)
		}
		if log, _ := s.AuditLog(ctx, 1); len(log) != 1 || log[0].Action != "petition_update_edited" || log[0].TargetID != fmt.Sprint(p.ID) {
			t.Fatalf("audit = %+v", log)
		}
		// An update of another petition is not found through this one.
		other := c.petition(t, author, 10, nil)
		_, err = s.EditPetitionUpdate(ctx, author, other.ID, u.ID, "x", 0)
		wantErr(t, err, models.ErrNotFound)
	})
}

func TestPetitionResponseEdit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		author, signer := c.members[0], c.members[1]
		p := c.petition(t, author, 100, nil)
		if _, _, err := s.Sign(ctx, signer.Actor, p.ID, false); err != nil {
			t.Fatal(err)
		}
		_, err := s.EditPetitionResponse(ctx, c.mayor, p.ID, "Pas encore", 0)
		wantErr(t, err, models.ErrConflict)
		answered, err := s.RespondPetition(ctx, c.mayor, p.ID, "Le kiosque restera ouvert le dimanche.")
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			by   *models.Account
			body string
			want error
		}{
			{"anonymous", nil, "x", models.ErrUnauthorized},
			{"the author", author, "x", models.ErrForbidden},
			{"a moderator", c.mod, "x", models.ErrForbidden},
			{"empty", c.mayor, " ", errValidation},
			{"the addressee", c.mayor, "Le kiosque restera ouvert **le samedi**.", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.EditPetitionResponse(ctx, tc.by, p.ID, tc.body, 0)
				wantErr(t, err, tc.want)
			})
		}
		got, err := s.PetitionByID(ctx, p.ID)
		if err != nil || !strings.Contains(got.ResponseHTML, "<strong>le samedi</strong>") || got.ResponseEditedAt == nil ||
			got.RespondedAt == nil || !got.RespondedAt.Equal(*answered.RespondedAt) || got.Status != models.PetitionAnswered {
			t.Fatalf("edited response = %+v %v", got, err)
		}
		// Signers and author are told of the changed response.
		for _, acc := range []*models.Account{author, signer} {
			if list, _ := s.Notifications(ctx, acc, 0, 10); len(list) == 0 || list[0].Kind != models.NotifyPetitionResponseEdited {
				t.Fatalf("notifications of %s = %+v", acc.Username, list)
			}
		}
		if log, _ := s.AuditLog(ctx, 1); len(log) != 1 || log[0].Action != "petition_response_edited" {
			t.Fatalf("audit = %+v", log)
		}
		// Federation reads the response's events: the answer, then the edit.
		evs, err := s.PetitionResponses(ctx, p.ID)
		if err != nil || len(evs) != 2 || evs[0].Kind != models.EventPetitionAnswered || evs[1].Kind != models.EventPetitionResponseEdited {
			t.Fatalf("responses = %+v %v", evs, err)
		}
		// The same text again changes nothing, tells no one.
		if _, err := s.EditPetitionResponse(ctx, c.mayor, p.ID, "Le kiosque restera ouvert **le samedi**.", 0); err != nil {
			t.Fatal(err)
		}
		if evs, _ := s.PetitionResponses(ctx, p.ID); len(evs) != 2 {
			t.Fatalf("the same text sent again: %d events", len(evs))
		}
		// Out of office: no more edits, as no more answers.
		if err := s.SetDecider(ctx, nil, "maire", false); err != nil {
			t.Fatal(err)
		}
		_, err = s.EditPetitionResponse(ctx, c.mayor, p.ID, "Autre chose", 0)
		wantErr(t, err, models.ErrForbidden)
	})
}

// TestPetitionResponsesPlan: the read of a petition's response events
// uses its partial index, not a scan of every event.
func TestPetitionResponsesPlan(t *testing.T) {
	s := dbtest.Open(t, "sqlite")
	ctx := context.Background()
	for i, kind := range []string{models.EventPetitionAnswered, models.EventPetitionResponseEdited} {
		ev := &models.Event{Kind: kind, ObjectType: models.ObjectTypePetition, ObjectID: 7, Data: `{"response_html":"<p>Oui</p>"}`, CreatedAt: time.Now()}
		if _, err := s.DB.NewInsert().Model(ev).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.NewInsert().Model(&models.Event{Kind: "vote.cast", ObjectType: "debate", ObjectID: int64(i), Data: "{}", CreatedAt: time.Now()}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var evs []models.Event
	plan := queryPlans(t, s, "petition.answered", func() {
		var err error
		if evs, err = s.PetitionResponses(ctx, 7); err != nil {
			t.Fatal(err)
		}
	})[0]
	if len(evs) != 2 || !strings.Contains(plan, "events_petition_responses") {
		t.Errorf("responses %+v, plan:\n%s", evs, plan)
	}
}
