package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestEraseRemoteActor: a remote actor's Delete withdraws its support,
// votes and signature on open items and keeps the closed debate's vote.
func TestEraseRemoteActor(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		zoe := f.remote(t, "zoe", "mastodon.example")
		prop, err := f.s.CreateProposal(ctx, f.users[0].Actor, "town", models.ProposalInput{Title: "More benches", Body: "Please."})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetDecider(ctx, f.admin, "boss", true); err != nil {
			t.Fatal(err)
		}
		pet, err := f.s.CreatePetition(ctx, f.users[0].Actor, "town", models.PetitionInput{Title: "Keep the library open", Body: "On Sundays.", Addressee: "boss", Goal: 10})
		if err != nil {
			t.Fatal(err)
		}
		open, closing := f.debate(t, models.DebateInput{Multiple: true}, true), f.debate(t, models.DebateInput{}, true)
		if _, err := f.s.Support(ctx, zoe, prop.ID); err != nil {
			t.Fatal(err)
		}
		for _, o := range []string{"Red", "Blue"} {
			if _, err := f.s.AddVoteOption(ctx, zoe, open.ID, o); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.s.AddVoteOption(ctx, zoe, closing.ID, "Green"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.s.Sign(ctx, zoe, pet.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.CloseDebate(ctx, f.mod, closing.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.s.EraseRemoteActor(ctx, f.users[1].Actor); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("erased a local actor: %v", err)
		}
		if err := f.s.MarkActorDeleted(ctx, zoe); err != nil {
			t.Fatal(err)
		}
		if err := f.s.EraseRemoteActor(ctx, zoe); err != nil {
			t.Fatal(err)
		}
		if p, _ := f.s.ProposalByID(ctx, prop.ID); p.SupportsCount != 0 {
			t.Errorf("supports = %d", p.SupportsCount)
		}
		if p, _ := f.s.PetitionByID(ctx, pet.ID); p.SignaturesCount != 0 {
			t.Errorf("signatures = %d", p.SignaturesCount)
		}
		if r, _ := f.s.Results(ctx, open.ID); r.Voters != 0 || r.Options[0].Count != 0 || r.Options[2].Count != 0 {
			t.Errorf("open debate results = %+v", r)
		}
		if r, _ := f.s.Results(ctx, closing.ID); r.Voters != 1 || r.Options[1].Count != 1 || r.ByInstance["mastodon.example"] != 1 {
			t.Errorf("closed debate results = %+v, want the vote kept", r)
		}
		for _, k := range []string{models.EventSupportRemoved, models.EventVoteWithdrawn, models.EventSignatureRemoved} {
			if countEvents(t, f.s, k) != 1 {
				t.Errorf("%s events = %d, want 1", k, countEvents(t, f.s, k))
			}
		}
		// Twice (a replayed Delete) changes nothing.
		if err := f.s.EraseRemoteActor(ctx, zoe); err != nil {
			t.Fatal(err)
		}
	})
}

// TestUndoOneVoteOrSignature: the Undo or Delete of one Mastodon vote
// Note takes that option out; the Undo of a signature withdraws it.
func TestUndoOneVoteOrSignature(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		zoe := f.remote(t, "zoe", "mastodon.example")
		d := f.debate(t, models.DebateInput{Multiple: true}, true)
		for _, o := range []string{"Red", "Blue"} {
			if _, err := f.s.AddVoteOption(ctx, zoe, d.ID, o); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.s.RemoveVoteOption(ctx, zoe, d.ID, "Red"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.RemoveVoteOption(ctx, zoe, d.ID, "Red"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("removed twice: %v", err)
		}
		if r, _ := f.s.Results(ctx, d.ID); r.Voters != 1 || r.Options[0].Count != 0 || r.Options[2].Count != 1 {
			t.Fatalf("results = %+v", r)
		}
		if err := f.s.RemoveVoteOption(ctx, zoe, d.ID, "Blue"); err != nil {
			t.Fatal(err)
		}
		if r, _ := f.s.Results(ctx, d.ID); r.Voters != 0 {
			t.Fatalf("results = %+v, want no voter", r)
		}
		if err := f.s.SetDecider(ctx, f.admin, "boss", true); err != nil {
			t.Fatal(err)
		}
		pet, err := f.s.CreatePetition(ctx, f.users[0].Actor, "town", models.PetitionInput{Title: "Keep the library open", Body: "On Sundays.", Addressee: "boss", Goal: 10})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.s.Sign(ctx, zoe, pet.ID, false); err != nil {
			t.Fatal(err)
		}
		if n, err := f.s.Unsign(ctx, zoe, pet.ID); err != nil || n != 0 {
			t.Fatalf("unsign = %d, %v", n, err)
		}
		if _, err := f.s.Unsign(ctx, zoe, pet.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unsigned twice: %v", err)
		}
	})
}

// TestParticipationRecordsAndRefusal: records are unique by id even under
// concurrent retries; the origin's Reject of a vote sent from here
// withdraws the local ballot and tells the member, only when it comes
// from the origin.
func TestParticipationRecordsAndRefusal(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		origin := f.remote(t, "town", "other.example")
		d, err := f.s.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: "https://other.example/d/7", Question: "Shared?",
			Options: []string{"Yes", "No"}, Updated: f.now.Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		ann := f.users[0].Actor
		if _, err := f.s.CastVote(ctx, ann, d.ID, []string{"Yes"}); err != nil {
			t.Fatal(err)
		}
		rec := models.Participation{URI: ann.URI + "#votes/1-0", ActivityURI: ann.URI + "#votes/1-0/activity", Kind: models.ParticipationVote,
			ObjectType: models.ObjectTypeDebate, ObjectID: d.ID, ActorID: ann.ID, Option: "Yes", Outgoing: true}
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for range 50 {
			wg.Go(func() {
				r := rec
				errs <- f.s.RecordParticipation(ctx, &r)
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		sent, err := f.s.SentParticipations(ctx, models.ParticipationVote, models.ObjectTypeDebate, d.ID, ann.ID)
		if err != nil || len(sent) != 1 {
			t.Fatalf("sent = %v, %v", sent, err)
		}
		if err := f.s.RefuseSentParticipation(ctx, f.remote(t, "eve", "evil.example"), rec.ActivityURI); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("refused by a third party: %v", err)
		}
		if err := f.s.RefuseSentParticipation(ctx, origin, rec.ActivityURI); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.MyBallot(ctx, ann, d); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("ballot kept after the refusal: %v", err)
		}
		if sent, _ := f.s.SentParticipations(ctx, models.ParticipationVote, models.ObjectTypeDebate, d.ID, ann.ID); len(sent) != 0 {
			t.Errorf("records kept: %v", sent)
		}
		notes, err := f.s.Notifications(ctx, f.users[0], 0, 10)
		if err != nil || len(notes) != 1 || notes[0].Kind != models.NotifyParticipationRefused {
			t.Errorf("notifications = %+v, %v", notes, err)
		}
		if err := f.s.RefuseSentParticipation(ctx, origin, "https://nowhere.example/x"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown refusal: %v", err)
		}
	})
}

// TestRelayObject: moderators relay a remote debate into a space once;
// local objects and members are refused.
func TestRelayObject(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		origin := f.remote(t, "town", "other.example")
		d, err := f.s.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: "https://other.example/d/7", Question: "Shared?",
			Options: []string{"Yes", "No"}, Updated: f.now.Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.RelayObject(ctx, f.users[0], "town", d.URI); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("member relayed: %v", err)
		}
		r, err := f.s.RelayObject(ctx, f.mod, "town", d.URI)
		if err != nil || r.ObjectType != models.ObjectTypeDebate || r.ObjectID != d.ID {
			t.Fatalf("relay = %+v, %v", r, err)
		}
		if got, _ := f.s.DebateByID(ctx, d.ID); got.SpaceID != f.space.ID {
			t.Errorf("relayed debate space = %d, want %d", got.SpaceID, f.space.ID)
		}
		if countEvents(t, f.s, models.EventRelayCreated) != 1 {
			t.Error("no relay.created event")
		}
		if _, err := f.s.RelayObject(ctx, f.mod, "town", d.URI); !errors.Is(err, models.ErrDuplicate) {
			t.Errorf("relayed twice: %v", err)
		}
		local := f.debate(t, models.DebateInput{}, true)
		var ve *models.ValidationError
		if _, err := f.s.RelayObject(ctx, f.mod, "town", local.URI); !errors.As(err, &ve) {
			t.Errorf("relayed a local debate: %v", err)
		}
		if rs, err := f.s.Relays(ctx, f.space.ID); err != nil || len(rs) != 1 {
			t.Errorf("relays = %v, %v", rs, err)
		}
		// The origin deletes it: the space undoes its relay.
		if err := f.s.DeleteRemoteCopy(ctx, origin, d.URI); err != nil {
			t.Fatal(err)
		}
		if countEvents(t, f.s, models.EventRelayWithdrawn) != 1 {
			t.Error("no relay.withdrawn event")
		}
	})
}

// TestRemoteCopiesDeleteStanceFollow: the origin's Delete marks a copy
// deleted; a remote reply on a debate takes a stance; FollowedLocally.
func TestRemoteCopiesDeleteStanceFollow(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		origin := f.remote(t, "town", "other.example")
		// Federation passes names escaped (plain text in ActivityStreams).
		d, err := f.s.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: "https://other.example/d/7", Question: "Pour l&#39;école &lt;Jaurès&gt; ?",
			Options: []string{"Yes", "No"}, Updated: f.now.Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if d.Question != "Pour l'école <Jaurès> ?" {
			t.Errorf("question = %q", d.Question)
		}
		if err := f.s.DeleteRemoteCopy(ctx, f.remote(t, "eve", "evil.example"), d.URI); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("deleted by a third party: %v", err)
		}
		if err := f.s.DeleteRemoteCopy(ctx, origin, d.URI); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.DebateByURI(ctx, d.URI); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("copy still there: %v", err)
		}
		if err := f.s.DeleteRemoteCopy(ctx, origin, d.URI); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("deleted twice: %v", err)
		}

		local := f.debate(t, models.DebateInput{}, true)
		zoe := f.remote(t, "zoe", "mastodon.example")
		c, err := f.s.CreateRemoteComment(ctx, zoe, models.RemoteComment{URI: "https://mastodon.example/users/zoe/statuses/1",
			InReplyToURI: local.URI, ContentHTML: "<p>contre : too expensive</p>"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetRemoteStance(ctx, zoe, c.URI, models.StanceAgainst); err != nil {
			t.Fatal(err)
		}
		if n, _ := f.s.CountComments(ctx, models.ObjectTypeDebate, local.ID, models.StanceAgainst); n != 1 {
			t.Errorf("arguments against = %d", n)
		}
		typ, id, err := f.s.CivicObjectByURI(ctx, c.URI)
		if err != nil || typ != models.ObjectTypeComment || id != c.ID {
			t.Errorf("CivicObjectByURI = %s %d %v", typ, id, err)
		}
		if typ, id, err := f.s.CivicObjectByURI(ctx, local.URI); err != nil || typ != models.ObjectTypeDebate || id != local.ID {
			t.Errorf("CivicObjectByURI(debate) = %s %d %v", typ, id, err)
		}
		if _, _, err := f.s.CivicObjectByURI(ctx, "https://nowhere.example/x"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("CivicObjectByURI(unknown) = %v, want not found", err)
		}

		if ok, _ := f.s.FollowedLocally(ctx, origin.ID); ok {
			t.Error("followed before any follow")
		}
		if _, err := f.s.FollowActor(ctx, f.users[0], origin); err != nil {
			t.Fatal(err)
		}
		if err := f.s.AcceptFollowBetween(ctx, f.users[0].Actor.ID, origin.ID); err != nil {
			t.Fatal(err)
		}
		if ok, err := f.s.FollowedLocally(ctx, origin.ID); !ok || err != nil {
			t.Errorf("FollowedLocally = %v, %v", ok, err)
		}
	})
}
