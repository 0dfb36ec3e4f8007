package models_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestFollowerInboxesFollowActors: the delivery inbox kept on each follow
// row (migration 20261206090000) follows its actor whatever writes it: a
// shared inbox learnt later, a move to another server, a deletion written
// straight to the table. Local followers and pending follows get no
// delivery of the followee's posts.
func TestFollowerInboxesFollowActors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *models.Store) {
		ctx := context.Background()
		sp, err := st.CreateSpace(ctx, nil, models.SpaceInput{Name: "ville", Kind: models.KindCity, Title: "Ville"})
		if err != nil {
			t.Fatal(err)
		}
		// remote stores a remote actor as a fetch would; the URI is the
		// key, so the same name at another host is a move.
		remote := func(uri, host, shared string) *models.Actor {
			t.Helper()
			name := uri[strings.LastIndex(uri, "/")+1:]
			a, err := st.UpsertRemoteActor(ctx, &models.Actor{URI: uri, Type: models.ActorPerson, Username: name, Host: host,
				Inbox: uri + "/inbox", SharedInbox: shared, PublicKeyID: uri + "#main-key", PublicKeyPEM: "x"})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		follow := func(a *models.Actor, accept bool) {
			t.Helper()
			if _, err := st.ReceiveFollow(ctx, a, sp.Actor, a.URI+"#follow", accept); err != nil {
				t.Fatal(err)
			}
		}
		check := func(step string, want ...string) {
			t.Helper()
			got, err := st.FollowerInboxes(ctx, sp.Actor.ID)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: inboxes %q, want %q", step, got, want)
			}
		}

		ann := remote("https://a.example/users/ann", "a.example", "https://a.example/inbox")
		ada := remote("https://a.example/users/ada", "a.example", "https://a.example/inbox")
		bob := remote("https://b.example/users/bob", "b.example", "")
		pat := remote("https://p.example/users/pat", "p.example", "https://p.example/inbox")
		for _, a := range []*models.Actor{ann, ada, bob} {
			follow(a, true)
		}
		follow(pat, false)
		local, err := st.CreateAccount(ctx, models.NewAccount{Username: "lea", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.FollowActor(ctx, local, sp.Actor); err != nil {
			t.Fatal(err)
		}
		check("followed", "https://a.example/inbox", "https://b.example/users/bob/inbox")
		related, err := st.RelatedInboxes(ctx, sp.Actor.ID)
		if err != nil || !slices.Contains(related, "https://p.example/inbox") {
			t.Errorf("related inboxes %q (%v): the pending follower is missing", related, err)
		}

		remote(bob.URI, "b.example", "https://b.example/inbox") // a refetch finds a shared inbox
		check("shared inbox learnt", "https://a.example/inbox", "https://b.example/inbox")

		remote(ann.URI, "c.example", "https://c.example/inbox") // its server moved it
		if err := st.SetHostSoftware(ctx, "c.example", "gotosocial"); err != nil {
			t.Fatal(err)
		}
		check("moved", "https://a.example/inbox", "https://b.example/inbox", "https://c.example/inbox")
		rs, err := st.FollowerRecipients(ctx, sp.Actor.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Inbox == "https://c.example/inbox" && r.Software != "gotosocial" {
				t.Errorf("moved follower: software %q, want its new host's", r.Software)
			}
		}

		if _, err := st.DB.NewUpdate().Model((*models.Actor)(nil)).Set("deleted_at = ?", time.Now().UTC()).
			Where("id = ?", ada.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		check("deleted", "https://b.example/inbox", "https://c.example/inbox")

		if err := st.AcceptFollowBetween(ctx, pat.ID, sp.Actor.ID); err != nil {
			t.Fatal(err)
		}
		check("accepted", "https://b.example/inbox", "https://c.example/inbox", "https://p.example/inbox")
	})
}
