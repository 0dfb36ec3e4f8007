package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// What a local member taking part in a copy is told when its origin's
// Update says the object changed: what the origin tells its own, once,
// however often and in whatever order the versions arrive (a replay,
// the space's relay of the same Update, a refetch).

// toldOf counts acc's notifications of kind about (typ, id).
func toldOf(t *testing.T, f *civicFixture, acc *models.Account, kind, typ string, id int64) int {
	t.Helper()
	notes, err := f.s.Notifications(context.Background(), acc, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range notes {
		if x.Kind == kind && x.ObjectType == typ && x.ObjectID == id {
			n++
		}
	}
	return n
}

// TestRemoteDebateCloseTellsVoters: the origin's Update closing a debate
// tells the copy's local voters that the results are final, once; a
// member who did not vote is not told.
func TestRemoteDebateCloseTellsVoters(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		origin := f.remote(t, "town", "far.example")
		t0 := f.now.Add(-time.Hour)
		open := models.RemoteDebate{URI: "https://far.example/d/1", Question: "Trees?", Options: []string{"Yes", "No"},
			Counts: []int{1, 0}, Voters: 1, Updated: t0}
		d, err := f.s.UpsertRemoteDebate(ctx, origin, open)
		if err != nil {
			t.Fatal(err)
		}
		voter, other := f.users[0], f.users[1]
		if _, err := f.s.CastVote(ctx, voter.Actor, d.ID, []string{"No"}); err != nil {
			t.Fatal(err)
		}
		counted := open
		counted.Counts, counted.Voters, counted.Updated = []int{1, 1}, 2, t0.Add(time.Minute)
		closed := counted
		closed.Closed, closed.Updated = true, t0.Add(2*time.Minute)
		// The close, its replay, then the older count Update late.
		for _, in := range []models.RemoteDebate{closed, closed, counted, closed} {
			if _, err := f.s.UpsertRemoteDebate(ctx, origin, in); err != nil {
				t.Fatal(err)
			}
		}
		if n := toldOf(t, f, voter, models.NotifyDebateClosed, models.ObjectTypeDebate, d.ID); n != 1 {
			t.Errorf("voter told %d times of the close, want 1", n)
		}
		if n := toldOf(t, f, other, models.NotifyDebateClosed, models.ObjectTypeDebate, d.ID); n != 0 {
			t.Errorf("a member who did not vote told %d times", n)
		}
		// A later Update of the closed debate (a correction) tells no one.
		later := closed
		later.DescriptionHTML, later.Updated = "<p>Thanks.</p>", t0.Add(3*time.Minute)
		if _, err := f.s.UpsertRemoteDebate(ctx, origin, later); err != nil {
			t.Fatal(err)
		}
		if n := toldOf(t, f, voter, models.NotifyDebateClosed, models.ObjectTypeDebate, d.ID); n != 1 {
			t.Errorf("voter told %d times after a later Update, want 1", n)
		}
	})
}

// TestRemotePetitionMilestonesTellSigners: the counts of the origin's
// Updates reach the copy's milestones, recorded there as the origin
// records its own; the local signer is told of the goal reached (as the
// origin tells its signers of 100 % only), once, whatever the order.
func TestRemotePetitionMilestonesTellSigners(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		alice := f.remote(t, "alice", "far.example")
		t0 := f.now.Add(-time.Hour)
		at := func(k, sigs int) models.RemotePetition {
			return models.RemotePetition{URI: "https://far.example/pe/1", AuthorID: alice.ID, Title: "Hall",
				ContentHTML: "<p>x</p>", Goal: 4, Signatures: sigs, Updated: t0.Add(time.Duration(k) * time.Minute)}
		}
		pe, err := f.s.UpsertRemotePetition(ctx, at(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		signer := f.users[0]
		if _, _, err := f.s.Sign(ctx, signer.Actor, pe.ID, false); err != nil {
			t.Fatal(err)
		}
		told := func() int {
			return toldOf(t, f, signer, models.NotifyPetitionMilestone, models.ObjectTypePetition, pe.ID)
		}
		if _, err := f.s.UpsertRemotePetition(ctx, at(1, 2)); err != nil {
			t.Fatal(err)
		}
		if n := told(); n != 0 {
			t.Errorf("signer told %d times at 50 %%, want 0 (the origin tells its author only)", n)
		}
		// The goal, its replay, an older count arriving late, a signature
		// withdrawn at the origin and given again.
		for _, in := range []models.RemotePetition{at(3, 4), at(3, 4), at(2, 3), at(4, 3), at(5, 4)} {
			if _, err := f.s.UpsertRemotePetition(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		if n := told(); n != 1 {
			t.Errorf("signer told %d times of the goal reached, want 1", n)
		}
		v, err := f.s.ViewPetition(ctx, pe.ID, signer)
		if err != nil {
			t.Fatal(err)
		}
		var pcts []int
		for _, m := range v.Milestones {
			pcts = append(pcts, m.Percent)
		}
		if len(pcts) != 4 {
			t.Errorf("copy's milestones = %v, want 25 50 75 100", pcts)
		}
	})
}

// TestRemoteProposalThresholdTellsSupporters: the origin's Update that
// takes a proposal out of open having reached its threshold tells the
// copy's local supporters, once, and dates the threshold on the copy, also
// when the decision overtook the threshold_reached Update (or came before
// the origin sent anything); a proposal decided before its threshold, as
// a local one, tells of the decision only.
func TestRemoteProposalThresholdTellsSupporters(t *testing.T) {
	type version struct {
		k, supports int
		status      string
	}
	for _, tc := range []struct {
		name     string
		versions []version
		want     int // threshold notifications
		status   string
		supports int
	}{
		// The threshold, its replay, the older count Update arriving
		// late, then a later count Update.
		{"threshold then count", []version{{2, 3, models.ProposalThresholdReached}, {2, 3, models.ProposalThresholdReached},
			{1, 2, models.ProposalOpen}, {3, 4, models.ProposalThresholdReached}}, 1, models.ProposalThresholdReached, 4},
		// The decision overtakes the threshold Update, which arrives late.
		{"decision overtakes threshold", []version{{3, 3, models.ProposalAccepted}, {3, 3, models.ProposalAccepted},
			{2, 3, models.ProposalThresholdReached}}, 1, models.ProposalAccepted, 3},
		// Threshold and answer both before the origin sent anything, then
		// more supports of the answered proposal.
		{"answered past threshold", []version{{2, 4, models.ProposalAnswered}, {3, 5, models.ProposalAnswered}},
			1, models.ProposalAnswered, 5},
		// Rejected before its threshold: no threshold told.
		{"decided before threshold", []version{{2, 2, models.ProposalRejected}}, 0, models.ProposalRejected, 2},
		// Answered before its threshold, then supported past it while
		// answered: the origin no longer moves it to threshold_reached.
		{"threshold after decision", []version{{2, 2, models.ProposalAnswered}, {3, 3, models.ProposalAnswered}},
			0, models.ProposalAnswered, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachCivic(t, func(t *testing.T, f *civicFixture) {
				ctx := context.Background()
				alice := f.remote(t, "alice", "far.example")
				t0 := f.now.Add(-time.Hour)
				at := func(v version) models.RemoteProposal {
					in := models.RemoteProposal{URI: "https://far.example/p/1", AuthorID: alice.ID, Title: "Trees",
						ContentHTML: "<p>x</p>", Status: v.status, Supports: v.supports, Threshold: 3,
						Updated: t0.Add(time.Duration(v.k) * time.Minute)}
					if v.status != models.ProposalOpen && v.status != models.ProposalThresholdReached {
						in.AnsweredAt = &in.Updated
					}
					return in
				}
				p, err := f.s.UpsertRemoteProposal(ctx, at(version{0, 0, models.ProposalOpen}))
				if err != nil {
					t.Fatal(err)
				}
				supporter, other := f.users[0], f.users[1]
				if _, err := f.s.Support(ctx, supporter.Actor, p.ID); err != nil {
					t.Fatal(err)
				}
				for _, v := range tc.versions {
					if _, err := f.s.UpsertRemoteProposal(ctx, at(v)); err != nil {
						t.Fatal(err)
					}
				}
				if n := toldOf(t, f, supporter, models.NotifyProposalThreshold, models.ObjectTypeProposal, p.ID); n != tc.want {
					t.Errorf("supporter told %d times of the threshold, want %d", n, tc.want)
				}
				if n := toldOf(t, f, other, models.NotifyProposalThreshold, models.ObjectTypeProposal, p.ID); n != 0 {
					t.Errorf("a member who did not support told %d times", n)
				}
				got, err := f.s.ProposalByURI(ctx, p.URI)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != tc.status || got.SupportsCount != tc.supports || (got.ThresholdReachedAt != nil) != (tc.want > 0) {
					t.Errorf("copy = %s %d %v, want %s %d dated %v", got.Status, got.SupportsCount, got.ThresholdReachedAt,
						tc.status, tc.supports, tc.want > 0)
				}
			})
		})
	}
}

// TestRemoteProposalDecisionTellsSupporters: each decision of the origin
// on a proposal (a status set by a moderator, with or without an answer
// text) tells the copy's local supporters once, whether the proposal's
// Update (odn:answeredAt) or the answer Note comes first, and however
// often either comes; an Update carrying an older decision tells no one.
func TestRemoteProposalDecisionTellsSupporters(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		alice, mod := f.remote(t, "alice", "far.example"), f.remote(t, "mod", "far.example")
		t0 := f.now.Add(-time.Hour).Truncate(time.Second)
		const uri = "https://far.example/p/1"
		at := func(k int, status string, decided *time.Time) models.RemoteProposal {
			return models.RemoteProposal{URI: uri, AuthorID: alice.ID, Title: "Trees", ContentHTML: "<p>x</p>",
				Status: status, Supports: 1, AnsweredAt: decided, Updated: t0.Add(time.Duration(k)*time.Minute + 123*time.Millisecond)}
		}
		p, err := f.s.UpsertRemoteProposal(ctx, at(0, models.ProposalOpen, nil))
		if err != nil {
			t.Fatal(err)
		}
		supporter, other := f.users[0], f.users[1]
		if _, err := f.s.Support(ctx, supporter.Actor, p.ID); err != nil {
			t.Fatal(err)
		}
		upsert := func(ins ...models.RemoteProposal) {
			t.Helper()
			for _, in := range ins {
				if _, err := f.s.UpsertRemoteProposal(ctx, in); err != nil {
					t.Fatal(err)
				}
			}
		}
		answer := func(html string, at time.Time) {
			t.Helper()
			if err := f.s.SetRemoteAnswer(ctx, mod, models.RemoteAnswer{ObjectURI: uri, HTML: html, Status: "x", At: at}); err != nil {
				t.Fatal(err)
			}
		}
		check := func(what string, want int, status, answer string) {
			t.Helper()
			if n := toldOf(t, f, supporter, models.NotifyProposalAnswered, models.ObjectTypeProposal, p.ID); n != want {
				t.Errorf("%s: supporter told %d times, want %d", what, n, want)
			}
			got, err := f.s.ProposalByURI(ctx, uri)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != status || got.AnswerHTML != answer {
				t.Errorf("%s: copy = %s %q, want %s %q", what, got.Status, got.AnswerHTML, status, answer)
			}
		}
		// Accepted with a text: the Update first, then the Note, each twice.
		t1 := t0.Add(time.Minute)
		upsert(at(1, models.ProposalAccepted, &t1), at(1, models.ProposalAccepted, &t1))
		answer("<p>Forty oaks.</p>", t1)
		answer("<p>Forty oaks.</p>", t1)
		check("accepted with a text", 1, models.ProposalAccepted, "<p>Forty oaks.</p>")
		// Rejected without a text: no Note comes.
		t2 := t0.Add(2 * time.Minute)
		upsert(at(2, models.ProposalRejected, &t2), at(2, models.ProposalRejected, &t2))
		check("rejected without a text", 2, models.ProposalRejected, "<p>Forty oaks.</p>")
		// Answered with a new text: the Note first; then an Update sent
		// before this decision arrives late (newer than the copy, older
		// decision), and the decision's own Update.
		t3 := t0.Add(3 * time.Minute)
		answer("<p>Thirty oaks.</p>", t3)
		upsert(at(3, models.ProposalRejected, &t2), at(4, models.ProposalAnswered, &t3), at(4, models.ProposalAnswered, &t3))
		check("answered, the Note first", 3, models.ProposalAnswered, "<p>Thirty oaks.</p>")
		// An Update without odn:answeredAt (an older peer) keeps what is known.
		upsert(at(5, models.ProposalAnswered, nil))
		check("an Update without the time", 3, models.ProposalAnswered, "<p>Thirty oaks.</p>")
		if n := toldOf(t, f, other, models.NotifyProposalAnswered, models.ObjectTypeProposal, p.ID); n != 0 {
			t.Errorf("a member who did not support told %d times", n)
		}
	})
}
