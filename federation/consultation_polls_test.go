package federation

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestPollEndsBy: a poll whose consultation stops taking votes before its
// own close says so (endTime, and closed once past); one ending or closed
// sooner is left alone.
func TestPollEndsBy(t *testing.T) {
	end := time.Date(2027, 3, 31, 9, 0, 0, 0, time.UTC)
	before, after := end.Add(-time.Hour), end.Add(time.Hour)
	for _, tc := range []struct {
		name              string
		endTime, closed   *time.Time // as DebateToQuestion wrote them
		now               time.Time
		wantEnd, wantShut *time.Time
	}{
		{"no close of its own, before the end", nil, nil, before, &end, nil},
		{"no close of its own, after the end", nil, nil, after, &end, &end},
		{"closes later, before the end", &after, nil, before, &end, nil},
		{"closes later, after the end", &after, nil, after, &end, &end},
		{"closes sooner", &before, nil, before, &before, nil},
		{"closed sooner, closing later", &after, &before, after, &after, &before},
		{"closed later by hand", &after, &after, after.Add(time.Hour), &end, &end},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := doc{"type": "Question"}
			if tc.endTime != nil {
				q["endTime"] = rfc3339(*tc.endTime)
			}
			if tc.closed != nil {
				q["closed"] = rfc3339(*tc.closed)
			}
			pollEndsBy(q, end, tc.now)
			for key, want := range map[string]*time.Time{"endTime": tc.wantEnd, "closed": tc.wantShut} {
				got, ok := q[key]
				if (want == nil) != !ok || (want != nil && got != rfc3339(*want)) {
					t.Errorf("%s = %v, want %v", key, got, want)
				}
			}
		})
	}
}

// TestConsultationPollsClose: a debate and a petition of a consultation
// go out with endTime = the end of its contribution phase (not the
// debate's own close, two days later; the petition has none), get a final
// Update with closed when that end passes, and an Update with the new
// endTime when moderators extend the phase.
func TestConsultationPollsClose(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	peer := newPeerInbox(t)
	ville := a.space(t, "ville")
	mod, alice, maire := moderator(t, a, "modo"), a.user(t, "alice"), a.user(t, "maire")
	if _, err := a.st.DB.NewUpdate().Model((*models.Account)(nil)).Set("decider = ?", true).Where("id = ?", maire.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	peer.follower(t, a, "fan", ville.Actor)
	a.run(t)
	now := time.Now().UTC()
	in := models.ConsultationInput{Title: "Place du marché", Summary: "Votre avis", OpensAt: now.Add(-2 * time.Hour),
		ContributionAt: now.Add(-time.Hour), SynthesisAt: now.Add(3 * time.Second), ClosesAt: now.Add(2 * time.Hour)}
	c, err := a.st.CreateConsultation(ctx, mod, "ville", in)
	if err != nil {
		t.Fatal(err)
	}
	end := rfc3339(c.SynthesisAt)
	closes := now.Add(48 * time.Hour)
	d, err := a.st.CreateDebate(ctx, mod, ville, models.DebateInput{Question: "Quel aménagement ?", Options: []string{"Jardin", "Marché"},
		ClosesAt: &closes, ConsultationID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.OpenDebate(ctx, mod, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.CreatePetition(ctx, alice.Actor, "ville", models.PetitionInput{Title: "Sauvons le kiosque", Body: "x",
		Addressee: "maire", Goal: 10, Consultation: c.ID}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the Creates of the debate and the petition", func() bool { return len(peer.announcedCreate("Question")) == 2 })
	for _, cr := range peer.announcedCreate("Question") {
		q := cr["object"].(map[string]any)
		if q["endTime"] != end || q["closed"] != nil {
			t.Errorf("%s created with endTime %v, closed %v; votes stop at %s", q["id"], q["endTime"], q["closed"], end)
		}
	}
	// The end of the contribution phase passes: a final Update each.
	finals := func(want string) func() bool {
		return func() bool {
			n := 0
			for _, u := range peer.find("Update", "Question") {
				if q := u["object"].(map[string]any); q["endTime"] == want && q["closed"] == want {
					n++
				}
			}
			return n == 2
		}
	}
	waitFor(t, "the Updates closing both polls at the end of the contribution phase", finals(end))
	if code, q := serveAS(a, "debate", strconv.FormatInt(d.ID, 10)); code != 200 || q["closed"] != end || q[PropODNStatus] != models.DebateOpen {
		t.Errorf("debate served after the phase: %d endTime %v closed %v status %v", code, q["endTime"], q["closed"], q[PropODNStatus])
	}
	// Moderators extend the contribution phase: the polls reopen on peers.
	in.SynthesisAt = time.Now().Add(time.Hour)
	c, err = a.st.UpdateConsultation(ctx, mod, c.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	newEnd := rfc3339(c.SynthesisAt)
	waitFor(t, "the Updates with the new endTime", func() bool {
		n := 0
		for _, u := range peer.find("Update", "Question") {
			if q := u["object"].(map[string]any); q["endTime"] == newEnd && q["closed"] == nil {
				n++
			}
		}
		return n == 2
	})
}
