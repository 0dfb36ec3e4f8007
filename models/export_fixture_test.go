package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// openData is a space with content of every kind, built through the
// civic rules, for the export, GDPR and move tests.
type openData struct {
	s        *models.Store
	now      time.Time
	space    *models.Space
	admin    *models.Account
	mayor    *models.Account
	users    map[string]*models.Account // ann bob cyd dee eve
	remote   *models.Actor
	props    []*models.Proposal // [0] supported, [1] plain, [2] hidden
	debate   *models.Debate     // closed, 4 voters
	petition *models.Petition   // bob signed publicly, cyd privately
	comments []*models.Comment  // [0] visible, [1] hidden
}

// eachOpenData runs fn on SQLite and PostgreSQL with fresh open data.
func eachOpenData(t *testing.T, fn func(t *testing.T, d *openData)) {
	t.Helper()
	d := &openData{}
	clock := func() time.Time { return d.now }
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		*d = openData{s: s, now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
		seedOpenData(t, d)
		fn(t, d)
	}, models.WithClock(clock), models.WithBaseURL("https://town.example"))
}

func seedOpenData(t *testing.T, d *openData) {
	t.Helper()
	ctx := context.Background()
	s := d.s
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mk := func(name, role string) *models.Account {
		acc, err := s.CreateAccount(ctx, models.NewAccount{Username: name, Email: name + "@mail.example", Password: "correct horse battery", Role: role})
		must(err)
		return acc
	}
	d.admin = mk("boss", models.RoleAdmin)
	d.mayor = mk("mayor", models.RoleMember)
	must(s.SetDecider(ctx, nil, "mayor", true))
	d.users = map[string]*models.Account{}
	for _, n := range []string{"ann", "bob", "cyd", "dee", "eve"} {
		d.users[n] = mk(n, models.RoleMember)
	}
	var err error
	d.space, err = s.CreateSpace(ctx, nil, models.SpaceInput{Name: "town", Kind: models.KindCity, Title: "Town", Licence: models.LicenceOuverte})
	must(err)
	d.remote, err = s.UpsertRemoteActor(ctx, &models.Actor{URI: "https://social.example/users/zoe", Type: models.ActorPerson,
		Username: "zoe", Host: "social.example", Inbox: "https://social.example/users/zoe/inbox"})
	must(err)
	ann, bob, cyd, dee := d.users["ann"].Actor, d.users["bob"].Actor, d.users["cyd"].Actor, d.users["dee"].Actor

	for _, title := range []string{"More trees on the square", "A library open on Sundays", "Something moderated away"} {
		p, err := s.CreateProposal(ctx, ann, "town", models.ProposalInput{Title: title, Body: "Because **it matters**.", Tags: []string{"green", "culture"}})
		must(err)
		d.props = append(d.props, p)
		d.now = d.now.Add(time.Minute)
	}
	for _, a := range []*models.Actor{bob, cyd, d.remote} {
		_, err := s.Support(ctx, a, d.props[0].ID)
		must(err)
	}
	_, err = s.DB.NewUpdate().Table("proposals").Set("hidden_at = ?", d.now).Where("id = ?", d.props[2].ID).Exec(ctx)
	must(err)

	d.debate, err = s.CreateDebate(ctx, d.admin, d.space, models.DebateInput{Question: "Which day for the market?",
		Options: []string{"Saturday", "Sunday"}})
	must(err)
	_, err = s.OpenDebate(ctx, d.admin, d.debate.ID)
	must(err)
	for a, opt := range map[*models.Actor]string{ann: "Saturday", bob: "Sunday", cyd: "Saturday", d.remote: "Saturday"} {
		_, err := s.CastVote(ctx, a, d.debate.ID, []string{opt})
		must(err)
	}
	d.now = d.now.Add(time.Hour)
	d.debate, err = s.CloseDebate(ctx, d.admin, d.debate.ID)
	must(err)

	d.petition, err = s.CreatePetition(ctx, ann, "town", models.PetitionInput{Title: "Save the old cinema", Body: "It is our history.",
		Addressee: "mayor", Goal: 4})
	must(err)
	_, _, err = s.Sign(ctx, bob, d.petition.ID, true)
	must(err)
	_, _, err = s.Sign(ctx, cyd, d.petition.ID, false)
	must(err)
	_, err = s.PostPetitionUpdate(ctx, ann, d.petition.ID, "Halfway there, thank you!")
	must(err)

	for _, body := range []string{"I agree, and benches too.", "Rude words hidden by moderation."} {
		c, err := s.CreateComment(ctx, dee, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: d.props[0].ID, Body: body})
		must(err)
		d.comments = append(d.comments, c)
	}
	_, err = s.DB.NewUpdate().Table("comments").Set("hidden_at = ?", d.now).Where("id = ?", d.comments[1].ID).Exec(ctx)
	must(err)
}
