package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestProposalCopyIgnoresReplay: RANKING.md says a remote proposal's count is
// "the origin's count as last received, plus supports given here since".
// A replay of the same Update (same "updated": the author's copy and the
// space's Announce of it, a re-fetch) reset the count and dropped the
// support given here since: copies apply only a strictly newer version,
// as debates do.
func TestProposalCopyIgnoresReplay(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		origin := f.remote(t, "town", "other.example")
		in := models.RemoteProposal{URI: "https://other.example/p/3", AuthorID: origin.ID, SpaceID: f.space.ID, Title: "Trees",
			ContentHTML: "<p>On the square.</p>", Supports: 10, Published: f.now.Add(-2 * time.Hour), Updated: f.now.Add(-time.Hour)}
		p, err := f.s.UpsertRemoteProposal(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		n, err := f.s.Support(ctx, f.users[0].Actor, p.ID)
		if err != nil || n != 11 {
			t.Fatalf("support: %d %v", n, err)
		}
		if _, err := f.s.UpsertRemoteProposal(ctx, in); err != nil { // the same Update again
			t.Fatal(err)
		}
		got, err := f.s.ProposalByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SupportsCount != 11 {
			t.Errorf("a replayed Update reset the copy's count to %d (10 at origin + 1 given here = 11)", got.SupportsCount)
		}
	})
}

// TestPetitionCopyIgnoresReplay: the same for petitions.
func TestPetitionCopyIgnoresReplay(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		origin := f.remote(t, "town", "other.example")
		in := models.RemotePetition{URI: "https://other.example/pe/3", AuthorID: origin.ID, SpaceID: f.space.ID, Title: "Save the kiosk",
			ContentHTML: "<p>Please.</p>", Goal: 100, Signatures: 10, Published: f.now.Add(-2 * time.Hour), Updated: f.now.Add(-time.Hour)}
		p, err := f.s.UpsertRemotePetition(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		n, _, err := f.s.Sign(ctx, f.users[0].Actor, p.ID, false)
		if err != nil || n != 11 {
			t.Fatalf("sign: %d %v", n, err)
		}
		if _, err := f.s.UpsertRemotePetition(ctx, in); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.PetitionByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SignaturesCount != 11 {
			t.Errorf("a replayed Update reset the copy's count to %d (10 at origin + 1 given here = 11)", got.SignaturesCount)
		}
	})
}
