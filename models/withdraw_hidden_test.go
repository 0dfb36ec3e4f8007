package models_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestWithdrawWhileHidden: while moderators hide a proposal or a debate,
// its supporters and voters may take back what they gave (a Mastodon
// un-favourite, an Undo of a vote), and the restored tally shows it; they
// cannot add anything.
func TestWithdrawWhileHidden(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		ann, bob := f.users[0].Actor, f.users[1].Actor
		p, err := f.s.CreateProposal(ctx, ann, "town", models.ProposalInput{Title: "Cycle lanes on the quays", Body: "Paint them."})
		if err != nil {
			t.Fatal(err)
		}
		d := f.debate(t, models.DebateInput{Multiple: true}, true)
		for _, a := range []*models.Actor{ann, bob} {
			if _, err := f.s.Support(ctx, a, p.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.CastVote(ctx, a, d.ID, []string{"Red", "Green"}); err != nil {
				t.Fatal(err)
			}
		}
		for _, o := range []struct{ typ string }{{models.ObjectTypeProposal}, {models.ObjectTypeDebate}} {
			id := map[string]int64{models.ObjectTypeProposal: p.ID, models.ObjectTypeDebate: d.ID}[o.typ]
			if err := f.s.HideObject(ctx, f.mod, o.typ, id, "checking"); err != nil {
				t.Fatal(err)
			}
		}
		steps := []struct {
			name string
			do   func() error
			want error
		}{
			{"unsupport", func() error { _, err := f.s.Unsupport(ctx, ann, p.ID); return err }, nil},
			{"support refused", func() error { _, err := f.s.Support(ctx, ann, p.ID); return err }, models.ErrNotFound},
			{"remove an option", func() error { return f.s.RemoveVoteOption(ctx, ann, d.ID, "Red") }, nil},
			{"add an option refused", func() error { _, err := f.s.AddVoteOption(ctx, ann, d.ID, "Blue"); return err }, models.ErrNotFound},
			{"new ballot refused", func() error { _, err := f.s.CastVote(ctx, bob, d.ID, []string{"Blue"}); return err }, models.ErrNotFound},
			{"withdraw a ballot", func() error { return f.s.WithdrawVote(ctx, bob, d.ID) }, nil},
		}
		for _, st := range steps {
			if err := st.do(); !errors.Is(err, st.want) {
				t.Fatalf("%s on a hidden object: %v, want %v", st.name, err, st.want)
			}
		}
		for _, typ := range []string{models.ObjectTypeProposal, models.ObjectTypeDebate} {
			id := map[string]int64{models.ObjectTypeProposal: p.ID, models.ObjectTypeDebate: d.ID}[typ]
			if err := f.s.RestoreObject(ctx, f.mod, typ, id, "fine"); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := f.s.ProposalByID(ctx, p.ID); got.SupportsCount != 1 {
			t.Errorf("supports after restore: %d, want 1", got.SupportsCount)
		}
		r, err := f.s.Results(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		var counts []int
		for _, o := range r.Options {
			counts = append(counts, o.Count)
		}
		if !slices.Equal(counts, []int{0, 1, 0}) || r.Voters != 1 {
			t.Errorf("tally after restore: %v, %d voters; want [0 1 0], 1", counts, r.Voters)
		}
		if rep, err := f.s.Recount(ctx, f.mod, d.ID); err != nil || rep.Corrected {
			t.Errorf("the recount disagrees: %+v %v", rep, err)
		}
	})
}

// TestUnsignDuringSynthesis: as supports and ballots, a signature cannot
// be withdrawn while its consultation is in synthesis.
func TestUnsignDuringSynthesis(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		if err := f.s.SetDecider(ctx, nil, "cyd", true); err != nil {
			t.Fatal(err)
		}
		c, err := f.s.CreateConsultation(ctx, f.mod, "town", models.ConsultationInput{Title: "Park", Summary: "s", Body: "b",
			OpensAt: f.now, ContributionAt: f.now, SynthesisAt: f.now.Add(time.Hour), ClosesAt: f.now.Add(2 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.s.CreatePetition(ctx, f.users[0].Actor, "town", models.PetitionInput{Title: "More trees", Body: "please", Addressee: "cyd", Goal: 10, Consultation: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		rem := f.remote(t, "zoe", "masto.example")
		if _, _, err := f.s.Sign(ctx, rem, p.ID, false); err != nil {
			t.Fatal(err)
		}
		f.tick(90 * time.Minute) // synthesis
		if _, err := f.s.Unsign(ctx, rem, p.ID); !errors.Is(err, models.ErrClosed) {
			t.Fatalf("unsign during synthesis: %v, want ErrClosed", err)
		}
		if got, _ := f.s.PetitionByID(ctx, p.ID); got.SignaturesCount != 1 {
			t.Errorf("signatures: %d, want 1", got.SignaturesCount)
		}
	})
}

// TestRemoteParticipationAtomic: a remote support or signature and the
// record of the activity that gave it commit together: when the record
// cannot be written, nothing is counted (a retry then starts afresh),
// and once both are written a retry finds the record.
func TestRemoteParticipationAtomic(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		if err := f.s.SetDecider(ctx, nil, "cyd", true); err != nil {
			t.Fatal(err)
		}
		prop, err := f.s.CreateProposal(ctx, f.users[0].Actor, "town", models.ProposalInput{Title: "Benches in the park", Body: "More of them."})
		if err != nil {
			t.Fatal(err)
		}
		pet, err := f.s.CreatePetition(ctx, f.users[0].Actor, "town", models.PetitionInput{Title: "More trees", Body: "please", Addressee: "cyd", Goal: 10})
		if err != nil {
			t.Fatal(err)
		}
		zoe := f.remote(t, "zoe", "masto.example")
		// A record that cannot be written (no id): nothing is counted.
		bad := &models.Participation{Kind: models.ParticipationSupport, ObjectType: models.ObjectTypeProposal, ObjectID: prop.ID, ActorID: zoe.ID}
		if _, err := f.s.SupportRemote(ctx, zoe, prop.ID, bad); err == nil {
			t.Fatal("a support without its record was counted")
		}
		sig := models.Participation{Kind: models.ParticipationSignature, ObjectType: models.ObjectTypePetition,
			ObjectID: pet.ID, ActorID: zoe.ID, Option: "Sign"}
		if _, _, err := f.s.SignRemote(ctx, zoe, pet.ID, &sig); err == nil {
			t.Fatal("a signature without its record was counted")
		}
		if p, _ := f.s.ProposalByID(ctx, prop.ID); p.SupportsCount != 0 {
			t.Errorf("supports: %d, want 0", p.SupportsCount)
		}
		if p, _ := f.s.PetitionByID(ctx, pet.ID); p.SignaturesCount != 0 {
			t.Errorf("signatures: %d, want 0", p.SignaturesCount)
		}
		sig.URI = "https://masto.example/users/zoe#votes/1"
		if _, _, err := f.s.SignRemote(ctx, zoe, pet.ID, &sig); err != nil {
			t.Fatal(err)
		}
		if rec, err := f.s.ParticipationByURI(ctx, sig.URI); err != nil || rec.ActorID != zoe.ID {
			t.Fatalf("the signature's record: %+v %v", rec, err)
		}
	})
}
