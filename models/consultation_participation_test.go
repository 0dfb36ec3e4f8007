package models_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestPhaseRefusal: what pages and the API show before anyone votes,
// supports or signs is exactly the refusal the action gets, phase by
// phase, for a debate, a proposal and a petition of a consultation.
func TestPhaseRefusal(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		if _, err := f.s.CreateAccount(ctx, models.NewAccount{Username: "maire", Password: "long enough password", Email: "maire@example.org"}); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetDecider(ctx, nil, "maire", true); err != nil {
			t.Fatal(err)
		}
		f.at(11) // contribution: create one of each
		d, err := f.s.CreateDebate(ctx, f.mod, f.space, models.DebateInput{Question: "Which trees?", Options: []string{"Oaks", "Limes"}, ConsultationID: f.c.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.OpenDebate(ctx, f.mod, d.ID); err != nil {
			t.Fatal(err)
		}
		p, err := f.s.CreateProposal(ctx, f.citizens[0].Actor, "town", models.ProposalInput{Title: "Plant trees", Body: "Shade!", Consultation: f.c.ID})
		if err != nil {
			t.Fatal(err)
		}
		pe, err := f.s.CreatePetition(ctx, f.citizens[0].Actor, "town", models.PetitionInput{Title: "Keep the kiosk", Body: "x", Addressee: "maire", Goal: 10, Consultation: f.c.ID})
		if err != nil {
			t.Fatal(err)
		}
		voter := f.citizens[1].Actor
		attempts := map[string]func() error{
			"vote":    func() error { _, err := f.s.CastVote(ctx, voter, d.ID, []string{"Oaks"}); return err },
			"support": func() error { _, err := f.s.Support(ctx, voter, p.ID); return err },
			"sign":    func() error { _, _, err := f.s.Sign(ctx, voter, pe.ID, false); return err },
		}
		for _, tc := range []struct {
			name  string
			day   int
			phase string // of the refusal; "" when allowed
		}{
			{"upcoming", -1, models.PhaseUpcoming},
			{"information", 3, models.PhaseInformation},
			{"contribution", 12, ""},
			{"synthesis", 31, models.PhaseSynthesis},
			{"closed", 41, models.PhaseClosed},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f.at(tc.day)
				for _, id := range []int64{d.ConsultationID, p.ConsultationID, pe.ConsultationID} {
					if id != f.c.ID {
						t.Fatalf("object attached to consultation %d, want %d", id, f.c.ID)
					}
				}
				got, err := f.s.PhaseRefusal(ctx, models.ConsultationRef{ID: f.c.ID}, models.ActionVote)
				if err != nil {
					t.Fatal(err)
				}
				if tc.phase == "" {
					if got != nil {
						t.Fatalf("refusal in the contribution phase: %v", got)
					}
					return
				}
				if got == nil || got.Phase != tc.phase {
					t.Fatalf("refusal = %v, want one of the %s phase", got, tc.phase)
				}
				for what, try := range attempts {
					var actual *models.PhaseError
					if err := try(); !errors.As(err, &actual) || actual.Error() != got.Error() {
						t.Errorf("%s: the action gets %v, the page would say %q", what, err, got)
					}
				}
			})
		}
		// A withdrawn consultation refuses everything, for good.
		f.at(12)
		if err := f.s.DeleteConsultation(ctx, f.mod, f.c.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := f.s.PhaseRefusal(ctx, models.ConsultationRef{ID: f.c.ID}, models.ActionVote); err != nil || got == nil || got.Phase != models.PhaseClosed || !got.Next.IsZero() {
			t.Fatalf("withdrawn consultation: %v %v", got, err)
		}
		// No consultation: nothing is read (a cancelled context would fail any query).
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if got, err := f.s.PhaseRefusal(cancelled, models.ConsultationRef{}, models.ActionVote); got != nil || err != nil {
			t.Fatalf("no consultation: %v %v", got, err)
		}
	})
}

// TestParticipationEndAndPolls: when a consultation's polls stop taking
// votes (the end of its contribution phase, or its withdrawal if sooner),
// and which of its debates and petitions still follow its dates.
func TestParticipationEndAndPolls(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		if _, err := f.s.CreateAccount(ctx, models.NewAccount{Username: "maire", Password: "long enough password", Email: "maire@example.org"}); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetDecider(ctx, nil, "maire", true); err != nil {
			t.Fatal(err)
		}
		f.at(11)
		debate := func(open bool) *models.Debate {
			d, err := f.s.CreateDebate(ctx, f.mod, f.space, models.DebateInput{Question: "Which trees?", Options: []string{"Oaks", "Limes"}, ConsultationID: f.c.ID})
			if err != nil {
				t.Fatal(err)
			}
			if open {
				if _, err := f.s.OpenDebate(ctx, f.mod, d.ID); err != nil {
					t.Fatal(err)
				}
			}
			return d
		}
		open, draft, closed := debate(true), debate(false), debate(true)
		if _, err := f.s.CloseDebate(ctx, f.mod, closed.ID); err != nil {
			t.Fatal(err)
		}
		pe, err := f.s.CreatePetition(ctx, f.citizens[0].Actor, "town", models.PetitionInput{Title: "Keep the kiosk", Body: "x", Addressee: "maire", Goal: 10, Consultation: f.c.ID})
		if err != nil {
			t.Fatal(err)
		}
		polls, err := f.s.ConsultationPolls(ctx, f.c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range polls {
			got = append(got, p.Type+strconv.FormatInt(p.ID, 10))
		}
		if want := []string{"debate" + strconv.FormatInt(open.ID, 10), "petition" + strconv.FormatInt(pe.ID, 10)}; !slices.Equal(got, want) {
			t.Errorf("polls = %v, want %v (not the draft %d nor the closed %d)", got, want, draft.ID, closed.ID)
		}
		for _, tc := range []struct {
			action string
			want   time.Time
		}{
			{models.ActionVote, f.c.SynthesisAt},
			{models.ActionComment, f.c.ClosesAt},
		} {
			if end, err := f.s.ParticipationEnd(ctx, f.c.ID, tc.action); err != nil || end == nil || !end.Equal(tc.want) {
				t.Errorf("%s ends at %v (%v), want %v", tc.action, end, err, tc.want)
			}
		}
		if end, err := f.s.ParticipationEnd(ctx, 0, models.ActionVote); end != nil || err != nil {
			t.Errorf("no consultation: %v %v", end, err)
		}
		if err := f.s.DeleteConsultation(ctx, f.mod, f.c.ID); err != nil {
			t.Fatal(err)
		}
		if end, err := f.s.ParticipationEnd(ctx, f.c.ID, models.ActionVote); err != nil || end == nil || !end.Equal(f.clock.Now()) {
			t.Errorf("withdrawn consultation: votes end at %v (%v), want its withdrawal %v", end, err, f.clock.Now())
		}
	})
}

// TestConsultationAudience: the consultation's Update goes, besides its
// space's followers, to the instances that may hold copies of its items:
// those of its remote participants (shared inboxes, each once) and of
// the remote followers of its items' local authors; not to a blocked
// domain, nor to those of other consultations.
func TestConsultationAudience(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		f.at(15) // contribution
		remote := func(name, host string) *models.Actor {
			a, err := f.s.UpsertRemoteActor(ctx, &models.Actor{URI: "https://" + host + "/users/" + name, Type: models.ActorPerson,
				Username: name, Host: host, Inbox: "https://" + host + "/users/" + name + "/inbox", SharedInbox: "https://" + host + "/inbox"})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		zoe, yan, xia, wim := remote("zoe", "b.example"), remote("yan", "b.example"), remote("xia", "bad.example"), remote("wim", "c.example")
		p, err := f.s.CreateProposal(ctx, f.citizens[0].Actor, "town", models.ProposalInput{Title: "Trees", Body: "x", Consultation: f.c.ID})
		if err != nil {
			t.Fatal(err)
		}
		other, err := f.s.CreateProposal(ctx, f.citizens[1].Actor, "town", models.ProposalInput{Title: "Benches", Body: "x"})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []*models.Actor{zoe, yan, xia} {
			if _, err := f.s.Support(ctx, a, p.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.s.Support(ctx, remote("vic", "d.example"), other.ID); err != nil {
			t.Fatal(err)
		}
		// A remote vote, signature and comment on its other items.
		d, err := f.s.CreateDebate(ctx, f.mod, f.space, models.DebateInput{Question: "Which trees?", Options: []string{"Oaks", "Limes"}, ConsultationID: f.c.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.OpenDebate(ctx, f.mod, d.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.CastVote(ctx, remote("ulf", "e.example"), d.ID, []string{"Oaks"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.CreateAccount(ctx, models.NewAccount{Username: "maire", Password: "long enough password", Email: "maire@example.org"}); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetDecider(ctx, nil, "maire", true); err != nil {
			t.Fatal(err)
		}
		pe, err := f.s.CreatePetition(ctx, f.citizens[0].Actor, "town", models.PetitionInput{Title: "Keep the kiosk", Body: "x", Addressee: "maire", Goal: 10, Consultation: f.c.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.s.Sign(ctx, remote("tia", "f.example"), pe.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.CreateComment(ctx, remote("sam", "g.example"), models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "Yes"}); err != nil {
			t.Fatal(err)
		}
		// wim follows the proposal's author.
		if _, err := f.s.ReceiveFollow(ctx, wim, f.citizens[0].Actor, "https://c.example/follows/1", true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.BlockDomain(ctx, nil, "bad.example", "spam"); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.ConsultationAudience(ctx, f.c.ID)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		want := []string{"https://b.example/inbox", "https://c.example/inbox", "https://e.example/inbox", "https://f.example/inbox", "https://g.example/inbox"}
		if !slices.Equal(got, want) {
			t.Errorf("audience = %v, want %v", got, want)
		}
	})
}

// TestAllowedFrom: when a consultation starts taking an action — the
// start of the first phase allowing it that is not skipped — which
// federation reads to open a consultation's polls; nil when no phase
// allows it, or once withdrawn.
func TestAllowedFrom(t *testing.T) {
	t0 := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
	withdrawn := day(1)
	for _, tc := range []struct {
		name   string
		c      models.Consultation
		action string
		want   *time.Time
	}{
		{"votes from the contribution phase", models.Consultation{OpensAt: day(0), ContributionAt: day(10), SynthesisAt: day(30), ClosesAt: day(40)}, models.ActionVote, new(day(10))},
		{"no information phase", models.Consultation{OpensAt: day(0), ContributionAt: day(0), SynthesisAt: day(30), ClosesAt: day(40)}, models.ActionVote, new(day(0))},
		{"workshop sheets too", models.Consultation{OpensAt: day(0), ContributionAt: day(10), SynthesisAt: day(30), ClosesAt: day(40)}, models.ActionWorkshop, new(day(10))},
		{"comments in the synthesis phase only", models.Consultation{OpensAt: day(0), ContributionAt: day(10), SynthesisAt: day(10), ClosesAt: day(40)}, models.ActionComment, new(day(10))},
		{"no contribution phase", models.Consultation{OpensAt: day(0), ContributionAt: day(10), SynthesisAt: day(10), ClosesAt: day(40)}, models.ActionVote, nil},
		{"withdrawn", models.Consultation{OpensAt: day(0), ContributionAt: day(10), SynthesisAt: day(30), ClosesAt: day(40), DeletedAt: &withdrawn}, models.ActionVote, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.c.AllowedFrom(tc.action)
			if (got == nil) != (tc.want == nil) || (got != nil && !got.Equal(*tc.want)) {
				t.Errorf("AllowedFrom(%s) = %v, want %v", tc.action, got, tc.want)
			}
		})
	}
}
