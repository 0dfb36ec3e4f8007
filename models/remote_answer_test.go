package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestRemoteAnswerOnCopies: the origin's answer to a proposal and a
// petition's update land on the copies, from the origin only; the local
// supporter or signer is told once, however often they arrive; an older
// answer and a later Update of the proposal without one keep the answer.
func TestRemoteAnswerOnCopies(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		alice, mod := f.remote(t, "alice", "far.example"), f.remote(t, "mod", "far.example")
		mallory := f.remote(t, "mallory", "near.example")
		member := f.users[0]
		told := func(kind string) int {
			notes, err := f.s.Notifications(ctx, member, 0, 50)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, x := range notes {
				if x.Kind == kind {
					n++
				}
			}
			return n
		}
		t0 := f.now.Add(-time.Hour)
		p, err := f.s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://far.example/p/1", AuthorID: alice.ID,
			Title: "Trees", ContentHTML: "<p>x</p>", Updated: t0})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Support(ctx, member.Actor, p.ID); err != nil {
			t.Fatal(err)
		}
		answer := models.RemoteAnswer{ObjectURI: p.URI, HTML: "<p>Yes, <b>forty</b> oaks.</p>", Status: models.ProposalAccepted, At: t0.Add(time.Minute)}
		if err := f.s.SetRemoteAnswer(ctx, mallory, answer); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("another host's answer: %v, want ErrForbidden", err)
		}
		for range 2 {
			if err := f.s.SetRemoteAnswer(ctx, mod, answer); err != nil {
				t.Fatal(err)
			}
		}
		old := answer
		old.HTML, old.At = "<p>An older one.</p>", t0
		if err := f.s.SetRemoteAnswer(ctx, mod, old); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: p.URI, AuthorID: alice.ID,
			Title: "Trees", ContentHTML: "<p>x</p>", Status: models.ProposalAccepted, Updated: t0.Add(2 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.s.ProposalByURI(ctx, p.URI); got.AnswerHTML != "<p>Yes, <b>forty</b> oaks.</p>" || got.Status != models.ProposalAccepted {
			t.Errorf("copy = %q %q", got.Status, got.AnswerHTML)
		}
		if n := told(models.NotifyProposalAnswered); n != 1 {
			t.Errorf("supporter told %d times of the answer, want 1", n)
		}
		if err := f.s.SetRemoteAnswer(ctx, mod, models.RemoteAnswer{ObjectURI: "https://far.example/p/2", HTML: "<p>x</p>"}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("answer to no copy: %v, want ErrNotFound", err)
		}

		pe, err := f.s.UpsertRemotePetition(ctx, models.RemotePetition{URI: "https://far.example/pe/1", AuthorID: alice.ID,
			Title: "Hall", ContentHTML: "<p>x</p>", Goal: 10, Updated: t0})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.s.Sign(ctx, member.Actor, pe.ID, false); err != nil {
			t.Fatal(err)
		}
		up := models.RemotePetitionUpdate{URI: pe.URI + "/updates/1", PetitionURI: pe.URI, ContentHTML: "<p>We met the mayor.</p>"}
		if err := f.s.AddRemotePetitionUpdate(ctx, mod, up); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("an update by another account of the host: %v, want ErrForbidden", err)
		}
		for range 2 {
			if err := f.s.AddRemotePetitionUpdate(ctx, alice, up); err != nil {
				t.Fatal(err)
			}
		}
		v, err := f.s.ViewPetition(ctx, pe.ID, member)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Updates) != 1 || v.Updates[0].BodyHTML != "<p>We met the mayor.</p>" {
			t.Errorf("copy's updates = %+v", v.Updates)
		}
		// The author edited it at the origin: the Update of its Note
		// changes the copy's text, telling no one again.
		edited := up
		edited.ContentHTML = "<p>We met the mayor and her deputy.</p>"
		if err := f.s.AddRemotePetitionUpdate(ctx, alice, edited); err != nil {
			t.Fatal(err)
		}
		if v, err := f.s.ViewPetition(ctx, pe.ID, member); err != nil || len(v.Updates) != 1 ||
			v.Updates[0].BodyHTML != edited.ContentHTML || v.Updates[0].EditedAt == nil {
			t.Errorf("copy's updates after the edit = %+v, %v", v.Updates, err)
		}
		if n := told(models.NotifyPetitionUpdate); n != 1 {
			t.Errorf("signer told %d times of the update, want 1", n)
		}
		if err := f.s.SetRemoteAnswer(ctx, alice, models.RemoteAnswer{ObjectURI: pe.URI, HTML: "<p>It stays.</p>", At: t0.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.s.PetitionByURI(ctx, pe.URI); got.Status != models.PetitionAnswered || got.ResponseHTML != "<p>It stays.</p>" {
			t.Errorf("petition copy = %q %q", got.Status, got.ResponseHTML)
		}
		if n := told(models.NotifyPetitionAnswered); n != 1 {
			t.Errorf("signer told %d times of the response, want 1", n)
		}
	})
}

// failQuery cancels the context of the statements whose SQL contains
// match, so that they fail as on a lost connection.
type failQuery struct{ match string }

func (h *failQuery) BeforeQuery(ctx context.Context, ev *bun.QueryEvent) context.Context {
	if h.match != "" && strings.Contains(ev.Query, h.match) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		return ctx
	}
	return ctx
}

func (h *failQuery) AfterQuery(context.Context, *bun.QueryEvent) {}

// TestRemotePetitionUpdateReadFails: a database error reading the copy of
// the petition is returned as such (federation retries it), not taken for
// a petition not held here (ErrNotFound: the update would be dropped).
func TestRemotePetitionUpdateReadFails(t *testing.T) {
	s := dbtest.Open(t, "sqlite")
	ctx := context.Background()
	alice, err := s.UpsertRemoteActor(ctx, &models.Actor{URI: "https://far.example/u/alice", Type: models.ActorPerson,
		Username: "alice", Host: "far.example", Inbox: "https://far.example/u/alice/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	pe, err := s.UpsertRemotePetition(ctx, models.RemotePetition{URI: "https://far.example/pe/1", AuthorID: alice.ID,
		Title: "Hall", ContentHTML: "<p>x</p>", Goal: 10, Updated: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	h := &failQuery{match: `"petition"."author_id"`}
	s.DB.AddQueryHook(h)
	err = s.AddRemotePetitionUpdate(ctx, alice, models.RemotePetitionUpdate{URI: pe.URI + "/updates/1", PetitionURI: pe.URI,
		ContentHTML: "<p>We met the mayor.</p>"})
	h.match = "" // bun has no way to remove a hook
	if err == nil || errors.Is(err, models.ErrNotFound) {
		t.Errorf("reading the copy failed: %v, want that error, not ErrNotFound", err)
	}
}
