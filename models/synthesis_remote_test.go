package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestRemoteSynthesis: the synthesis of far.example's consultation tells
// the members here who supported, voted on, signed or commented its
// copies, once however often it arrives; items of another host, a sender
// other than the publishing space, and a synthesis of nothing held here
// tell no one; a link off its host or not http(s) is not kept; members
// with an e-mail address are e-mailed once; its deletion leaves the
// notification naming a removed item.
func TestRemoteSynthesis(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		town, alice := f.remote(t, "town", "far.example"), f.remote(t, "alice", "far.example")
		other := f.remote(t, "other", "near.example")
		ann, bob, cyd, dee, eve := f.users[0], f.users[1], f.users[2], f.users[3], f.users[4]
		t0 := f.now.Add(-time.Hour)
		p, err := f.s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://far.example/p/1", AuthorID: alice.ID,
			Title: "Trees", ContentHTML: "<p>x</p>", Updated: t0})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Support(ctx, ann.Actor, p.ID); err != nil {
			t.Fatal(err)
		}
		d, err := f.s.UpsertRemoteDebate(ctx, alice, models.RemoteDebate{URI: "https://far.example/d/1", Question: "Bikes?",
			Options: []string{"Yes", "No"}, Updated: t0})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.CastVote(ctx, bob.Actor, d.ID, []string{"No"}); err != nil {
			t.Fatal(err)
		}
		pe, err := f.s.UpsertRemotePetition(ctx, models.RemotePetition{URI: "https://far.example/pe/1", AuthorID: alice.ID,
			Title: "Hall", ContentHTML: "<p>x</p>", Goal: 10, Updated: t0})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.s.Sign(ctx, cyd.Actor, pe.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.CreateComment(ctx, dee.Actor, models.CommentInput{ObjectType: models.ObjectTypeDebate, ObjectID: d.ID, Body: "Why not."}); err != nil {
			t.Fatal(err)
		}
		// fay has an e-mail address: she is e-mailed once too.
		fay, err := f.s.CreateAccount(ctx, models.NewAccount{Username: "fay", Password: "correct horse battery", Email: "fay@example.org", Locale: "fr"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Support(ctx, fay.Actor, p.ID); err != nil {
			t.Fatal(err)
		}
		// eve supports a copy from near.example, named in the list too.
		q, err := f.s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://near.example/p/1", AuthorID: other.ID,
			Title: "Elsewhere", ContentHTML: "<p>x</p>", Updated: t0})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Support(ctx, eve.Actor, q.ID); err != nil {
			t.Fatal(err)
		}
		told := func(acc *models.Account) []models.NotificationView {
			t.Helper()
			notes, err := f.s.Notifications(ctx, acc, 0, 50)
			if err != nil {
				t.Fatal(err)
			}
			var out []models.NotificationView
			for _, n := range notes {
				if n.Kind == models.NotifySynthesisPublished {
					out = append(out, n)
				}
			}
			return out
		}
		in := models.RemoteSynthesisIn{URI: "https://far.example/c/1/synthesis", URL: "https://far.example/c/1", Title: "Budget 2027",
			Items: []string{p.URI, d.URI, pe.URI, q.URI, "https://far.example/p/404"}}

		if _, err := f.s.ReceiveRemoteSynthesis(ctx, other, in); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("another host's synthesis: %v, want ErrForbidden", err)
		}
		for i := range 2 {
			n, err := f.s.ReceiveRemoteSynthesis(ctx, town, in)
			if err != nil {
				t.Fatal(err)
			}
			if want := []int{5, 0}[i]; n != want {
				t.Errorf("reception %d told %d members, want %d", i+1, n, want)
			}
		}
		for _, acc := range []*models.Account{ann, bob, cyd, dee} {
			got := told(acc)
			if len(got) != 1 || got[0].Object == nil || got[0].Object.Title != "Budget 2027" || got[0].Object.URL != in.URL {
				t.Errorf("%s: %+v, want one notification linking %s", acc.Username, got, in.URL)
			}
		}
		if got := told(eve); len(got) != 0 {
			t.Errorf("eve took part in near.example's proposal only, told %+v", got)
		}
		mails, err := f.s.PendingSynthesisEmails(ctx, 100)
		if err != nil || len(mails) != 1 || mails[0].Email != "fay@example.org" || mails[0].RemoteSynthesisID == 0 ||
			mails[0].URL != in.URL || mails[0].Title != "Budget 2027" || mails[0].Locale != "fr" {
			t.Fatalf("pending e-mails %+v %v, want fay's about the remote synthesis", mails, err)
		}
		compose := func(e models.SynthesisEmail) models.Mail {
			return models.Mail{Kind: "synthesis", Subject: e.Title, Body: e.URL}
		}
		if n, err := f.s.QueueSynthesisEmails(ctx, 100, compose); err != nil || n != 1 {
			t.Fatalf("queued %d %v, want fay's", n, err)
		}
		if mails, _ := f.s.PendingSynthesisEmails(ctx, 100); len(mails) != 0 {
			t.Errorf("e-mails pending after sending: %+v", mails)
		}
		renamed := in
		renamed.Title, renamed.URL = "Budget 2027 (final)", "javascript://far.example/%0Aalert(1)"
		if _, err := f.s.ReceiveRemoteSynthesis(ctx, alice, renamed); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("update by another actor of the host: %v, want ErrForbidden", err)
		}
		if _, err := f.s.ReceiveRemoteSynthesis(ctx, town, renamed); err != nil {
			t.Fatal(err)
		}
		renamed.URL = "https://evil.example/phish"
		if _, err := f.s.ReceiveRemoteSynthesis(ctx, town, renamed); err != nil {
			t.Fatal(err)
		}
		if got := told(ann); len(got) != 1 || got[0].Object.Title != "Budget 2027 (final)" || got[0].Object.URL != in.URI {
			t.Errorf("after the update (a link off its host falls back to the id): %+v", got)
		}

		none := models.RemoteSynthesisIn{URI: "https://far.example/c/2/synthesis", Title: "Nothing here", Items: []string{"https://far.example/p/9"}}
		if n, err := f.s.ReceiveRemoteSynthesis(ctx, town, none); err != nil || n != 0 {
			t.Errorf("synthesis of nothing held: %d %v", n, err)
		}
		if err := f.s.DeleteRemoteSynthesis(ctx, town, none.URI); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("synthesis of nothing held was recorded: delete gave %v", err)
		}
		if err := f.s.DeleteRemoteSynthesis(ctx, alice, in.URI); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("deleted by another actor: %v, want ErrNotFound", err)
		}
		if err := f.s.DeleteRemoteSynthesis(ctx, town, in.URI); err != nil {
			t.Fatal(err)
		}
		if got := told(bob); len(got) != 1 || got[0].Object != nil {
			t.Errorf("after the deletion: %+v, want a notification naming a removed item", got)
		}
	})
}
