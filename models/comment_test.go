package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// civicFixture is a space with a moderator and members on a fake clock,
// shared by the debate, comment and moderation tests.
type civicFixture struct {
	s     *models.Store
	now   time.Time
	space *models.Space
	admin *models.Account
	mod   *models.Account
	users []*models.Account
}

// eachCivic runs fn on SQLite and PostgreSQL with a fresh fixture.
func eachCivic(t *testing.T, fn func(t *testing.T, f *civicFixture)) {
	t.Helper()
	f := &civicFixture{}
	clock := func() time.Time { return f.now }
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		*f = civicFixture{s: s, now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
		ctx := context.Background()
		mk := func(name, role string) *models.Account {
			acc, err := s.CreateAccount(ctx, models.NewAccount{Username: name, Password: "correct horse battery", Role: role})
			if err != nil {
				t.Fatal(err)
			}
			return acc
		}
		f.admin = mk("boss", models.RoleAdmin)
		f.mod = mk("modo", models.RoleModerator)
		for _, n := range []string{"ann", "bob", "cyd", "dee", "eve"} {
			f.users = append(f.users, mk(n, models.RoleMember))
		}
		var err error
		f.space, err = s.CreateSpace(ctx, nil, models.SpaceInput{Name: "town", Kind: models.KindCity, Title: "Town"})
		if err != nil {
			t.Fatal(err)
		}
		fn(t, f)
	}, models.WithClock(clock), models.WithBaseURL("https://town.example"))
}

// tick advances the fake clock.
func (f *civicFixture) tick(d time.Duration) { f.now = f.now.Add(d) }

// remote stores a remote actor of host.
// remotes makes n remote actors named prefix0… on hosts h0.example…
// (hosts of them, in turn).
func (f *civicFixture) remotes(t *testing.T, prefix string, n, hosts int) []*models.Actor {
	t.Helper()
	actors := make([]*models.Actor, n)
	for i := range actors {
		actors[i] = f.remote(t, fmt.Sprint(prefix, i), fmt.Sprintf("h%d.example", i%hosts))
	}
	return actors
}

func (f *civicFixture) remote(t *testing.T, name, host string) *models.Actor {
	t.Helper()
	a, err := f.s.UpsertRemoteActor(context.Background(), &models.Actor{
		URI: "https://" + host + "/users/" + name, Type: models.ActorPerson, Username: name, Host: host,
		Inbox: "https://" + host + "/users/" + name + "/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
