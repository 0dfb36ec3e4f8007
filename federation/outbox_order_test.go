package federation

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestParticipationEventsOutOfOrder: two nodes share the outbox; one takes
// a member's support.added, the other the support.removed that follows,
// and handles it first. The origin must not keep the support (it did:
// the Undo found nothing sent, then the Like went out), and a support
// (or a signature) given again since must stay sent once.
func TestParticipationEventsOutOfOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *models.Store) {
		ctx := context.Background()
		mk := func() *Service {
			s, err := New(Options{Store: st, Lease: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		a, b := mk(), mk()
		author, err := st.UpsertRemoteActor(ctx, &models.Actor{URI: "https://far.example/users/zoe", Type: models.ActorPerson,
			Username: "zoe", Host: "far.example", Inbox: "https://far.example/users/zoe/inbox"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := st.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://far.example/p/1", AuthorID: author.ID, Title: "Bikes", ContentHTML: "<p>More bikes</p>"})
		if err != nil {
			t.Fatal(err)
		}
		pe, err := st.UpsertRemotePetition(ctx, models.RemotePetition{URI: "https://far.example/pe/1", AuthorID: author.ID, Title: "Trees",
			ContentHTML: "<p>More trees</p>", Goal: 100})
		if err != nil {
			t.Fatal(err)
		}
		acc, err := st.CreateAccount(ctx, models.NewAccount{Username: "ann", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		drain := func(n *Service) {
			for {
				k, err := n.outboxBatch(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if k == 0 {
					return
				}
			}
		}
		drain(a)
		process := func(n *Service, evs []models.Event) {
			bctx := withBatchMemo(ctx)
			var fin []models.FinishedEvent
			for _, ev := range evs {
				var out []models.Outgoing
				if h, ok := eventHandlers[ev.Kind]; ok {
					if out, err = h(bctx, n, ev); err != nil {
						t.Fatal(err)
					}
				}
				fin = append(fin, models.FinishedEvent{ID: ev.ID, Out: out})
			}
			if _, err := n.store.FinishEvents(bctx, n.owner, fin...); err != nil {
				t.Fatal(err)
			}
		}
		// Each node claims one event; the second is handled first.
		inReverse := func() {
			t.Helper()
			evA, err := st.ClaimEvents(ctx, a.owner, 1, time.Minute)
			if err != nil || len(evA) != 1 {
				t.Fatalf("claim A: %v %v", evA, err)
			}
			evB, err := st.ClaimEvents(ctx, b.owner, 1, time.Minute)
			if err != nil || len(evB) != 1 {
				t.Fatalf("claim B: %v %v", evB, err)
			}
			process(b, evB)
			process(a, evA)
		}
		if _, err := st.Support(ctx, acc.Actor, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Unsupport(ctx, acc.Actor, p.ID); err != nil {
			t.Fatal(err)
		}
		inReverse()
		if sent, _ := st.SentParticipations(ctx, models.ParticipationSupport, models.ObjectTypeProposal, p.ID, acc.Actor.ID); len(sent) != 0 {
			t.Errorf("the support was withdrawn here, but %d Like(s) stay sent to the origin", len(sent))
		}
		if _, _, err := st.Sign(ctx, acc.Actor, pe.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Unsign(ctx, acc.Actor, pe.ID); err != nil {
			t.Fatal(err)
		}
		inReverse()
		if sent, _ := st.SentParticipations(ctx, models.ParticipationSignature, models.ObjectTypePetition, pe.ID, acc.Actor.ID); len(sent) != 0 {
			t.Errorf("the signature was withdrawn here, but %d stay sent to the origin", len(sent))
		}
		// Given, withdrawn, given again, handled last first: one is sent.
		for _, f := range []func() error{
			func() error { _, err := st.Support(ctx, acc.Actor, p.ID); return err },
			func() error { _, err := st.Unsupport(ctx, acc.Actor, p.ID); return err },
			func() error { _, err := st.Support(ctx, acc.Actor, p.ID); return err },
		} {
			if err := f(); err != nil {
				t.Fatal(err)
			}
		}
		evs, err := st.ClaimEvents(ctx, a.owner, 3, time.Minute)
		if err != nil || len(evs) != 3 {
			t.Fatalf("claim: %v %v", evs, err)
		}
		for i := len(evs) - 1; i >= 0; i-- {
			process(a, evs[i:i+1])
		}
		if sent, _ := st.SentParticipations(ctx, models.ParticipationSupport, models.ObjectTypeProposal, p.ID, acc.Actor.ID); len(sent) != 1 {
			t.Errorf("the support is given here; %d Like(s) stay sent to the origin, want 1", len(sent))
		}
	})
}
