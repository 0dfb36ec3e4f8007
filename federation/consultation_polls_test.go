package federation

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
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

// pollsNode starts a node whose space ville a fake peer follows, with a
// moderator, alice and a decider (maire, a petition's addressee).
func pollsNode(t *testing.T) (a *node, peer *peerInbox, ville *models.Space, mod, alice *models.Account) {
	t.Helper()
	a, peer = newNode(t, nil), newPeerInbox(t)
	ville = a.space(t, "ville")
	mod, alice, maire := moderator(t, a, "modo"), a.user(t, "alice"), a.user(t, "maire")
	if err := a.st.SetDecider(context.Background(), nil, maire.Username, true); err != nil {
		t.Fatal(err)
	}
	peer.follower(t, a, "fan", ville.Actor)
	a.run(t)
	return a, peer, ville, mod, alice
}

// TestConsultationPollsClose: a debate and a petition of a consultation
// go out with endTime = the end of its contribution phase (not the
// debate's own close, two days later; the petition has none), get a final
// Update with closed when that end passes, and an Update with the new
// endTime when moderators extend the phase.
func TestConsultationPollsClose(t *testing.T) {
	ctx := context.Background()
	a, peer, ville, mod, alice := pollsNode(t)
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

// TestPollFollowsPhases: what a poll of a consultation (a debate, single
// or multiple choice, and a petition) carries at each phase. Before the
// contribution phase (upcoming, information) no oneOf/anyOf, which
// Mastodon would show as an open poll whose votes odn refuses: the
// options are in odn:oneOf/odn:anyOf for odn peers and the status line
// says when voting opens; during it, the poll, ending with the phase;
// after it, closed then; withdrawn, closed at the withdrawal. Before,
// the information phase sent the open poll.
func TestPollFollowsPhases(t *testing.T) {
	w := newGoldenWorld()
	opens, contribution, synthesis, closes := gT0, gT0.Add(24*time.Hour), gT0.Add(48*time.Hour), gT0.Add(72*time.Hour)
	cons := func() *models.Consultation {
		return &models.Consultation{ID: 5, URI: gBase + "/consultations/5", SpaceID: 1, Title: "Place Carnot",
			OpensAt: opens, ContributionAt: contribution, SynthesisAt: synthesis, ClosesAt: closes, CreatedAt: gT0, UpdatedAt: gT0}
	}
	withdrawn := gT0.Add(time.Hour)
	label := "2026-11-24 09:00 UTC" // contribution
	for _, tc := range []struct {
		name      string
		now       time.Time
		withdrawn bool
		poll      bool   // oneOf/anyOf present
		closed    string // "" for none
		line      string // in the status line
	}{
		{"upcoming", opens.Add(-time.Hour), false, false, "", "voting opens " + label},
		{"information", opens.Add(time.Hour), false, false, "", "voting opens " + label},
		{"contribution", contribution.Add(time.Hour), false, true, "", "ouvert / open"},
		{"synthesis", synthesis.Add(time.Hour), false, true, rfc3339(synthesis), "ouvert / open"},
		{"closed", closes.Add(time.Hour), false, true, rfc3339(synthesis), "ouvert / open"},
		{"withdrawn in the information phase", opens.Add(2 * time.Hour), true, true, rfc3339(withdrawn), "ouvert / open"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, kind := range []string{"oneOf", "anyOf", "petition"} {
				c := cons()
				if tc.withdrawn {
					c.DeletedAt = &withdrawn
				}
				d := w.debate(models.ResultsLive, models.DebateOpen)
				d.ClosesAt = nil
				d.Multiple = kind == "anyOf"
				q := DebateToQuestion(d, w.space, goldenResults())
				optKey, odnKey, line := kind, "odn:"+kind, tc.line
				if kind == "petition" {
					pe := w.petition()
					pe.ClosesAt = nil
					q = PetitionToQuestion(pe, tc.now)
					optKey, odnKey = "anyOf", PropODNAnyOf
					line = strings.NewReplacer("voting opens", "signing opens", "ouvert / open", "ouverte / open").Replace(line)
				}
				want := q[optKey]
				inConsultation(q, c, w.space, true, tc.now)
				m := onWire(t, q)
				_, hasPoll := m[optKey]
				_, hasODN := m[odnKey]
				// Without its poll it is a Note: Pleroma and Akkoma drop a
				// Question without oneOf/anyOf (QuestionValidator).
				if wantType := map[bool]string{true: "Question", false: "Note"}[tc.poll]; m["type"] != wantType {
					t.Errorf("%s: type %v, want %s", kind, m["type"], wantType)
				}
				if hasPoll != tc.poll || hasODN == tc.poll {
					t.Errorf("%s: %s present %v, %s present %v; want the poll %v", kind, optKey, hasPoll, odnKey, hasODN, tc.poll)
				}
				if got := m[optKey]; !tc.poll {
					got = m[odnKey]
					if fmt.Sprint(got) != fmt.Sprint(onWire(t, doc{"x": want})["x"]) {
						t.Errorf("%s: %s = %v, want the options %v", kind, odnKey, got, want)
					}
				}
				if closed, _ := m["closed"].(string); closed != tc.closed {
					t.Errorf("%s: closed %q, want %q", kind, closed, tc.closed)
				}
				if !tc.withdrawn && m["endTime"] != rfc3339(synthesis) {
					t.Errorf("%s: endTime %v, want the end of the contribution phase", kind, m["endTime"])
				}
				if content, _ := m["content"].(string); !strings.Contains(content, line) {
					t.Errorf("%s: content %q lacks %q", kind, content, line)
				}
				// An odn peer reads the options back, whichever key.
				if kind != "petition" {
					names, _, multiple := pollOptions(m)
					if !slices.Equal(names, d.Options) || multiple != d.Multiple {
						t.Errorf("%s: a peer reads options %v multiple %v", kind, names, multiple)
					}
					if got := questionToRemoteDebate(m).DescriptionHTML; strings.Contains(got, "opens") {
						t.Errorf("%s: a copy's description keeps the status line: %q", kind, got)
					}
				}
			}
		})
	}
}

// questionsSince returns the Questions the peer received (in a Create or
// an Update, bare or announced) since its mark-th activity, by id.
func (p *peerInbox) questionsSince(mark int) map[string][]map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string][]map[string]any{}
	seen := map[string]bool{} // an activity comes bare and announced
	for _, m := range p.got[min(mark, len(p.got)):] {
		if m["type"] == "Announce" {
			if inner, ok := m["object"].(map[string]any); ok {
				m = inner
			}
		}
		if q, ok := m["object"].(map[string]any); ok && (m["type"] == "Create" || m["type"] == "Update") && isPollDoc(q) && !seen[idOf(m["id"])] {
			seen[idOf(m["id"])] = true
			id := idOf(q["id"])
			out[id] = append(out[id], q)
		}
	}
	return out
}

// isPollDoc reports whether q is a debate or petition: a Question, or the
// Note it is before its consultation's contribution phase (pollOpensAt).
func isPollDoc(q map[string]any) bool {
	return q["type"] == "Question" || q[PropODNType] == ODNTypeDebate || q[PropODNType] == ODNTypePetition
}

func (p *peerInbox) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got)
}

// openPoll reports whether Mastodon would show q as a poll taking votes
// at now: options, no closed, an endTime (if any) to come.
func openPoll(q map[string]any, now time.Time) bool {
	_, one := q["oneOf"]
	_, any := q["anyOf"]
	if _, closed := q["closed"]; closed || !(one || any) {
		return false
	}
	end, err := time.Parse(time.RFC3339, fmt.Sprint(q["endTime"]))
	return err != nil || end.After(now)
}

// TestConsultationPollsOpenWithTheContributionPhase: moderators move a
// consultation's contribution phase a few seconds later, back into its
// information phase. Its open debate and petition get an Update without
// a poll (the options in odn:oneOf/anyOf) at once, a draft debate opened
// now goes out without one, and the served documents agree: a Mastodon
// follower sees no open poll. When the phase starts, the count-update
// worker sends each of them, once, the Question with its open poll. Before,
// the Update and the Create carried an open poll during the information
// phase and nothing was sent when it opened.
func TestConsultationPollsOpenWithTheContributionPhase(t *testing.T) {
	ctx := context.Background()
	a, peer, ville, mod, alice := pollsNode(t)
	now := time.Now().UTC()
	in := models.ConsultationInput{Title: "Place du marché", Summary: "Votre avis", OpensAt: now.Add(-2 * time.Hour),
		ContributionAt: now.Add(-time.Hour), SynthesisAt: now.Add(2 * time.Hour), ClosesAt: now.Add(3 * time.Hour)}
	c, err := a.st.CreateConsultation(ctx, mod, "ville", in)
	if err != nil {
		t.Fatal(err)
	}
	newDebate := func(q string, open bool) *models.Debate {
		d, err := a.st.CreateDebate(ctx, mod, ville, models.DebateInput{Question: q, Options: []string{"Jardin", "Marché"}, ConsultationID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		if open {
			if d, err = a.st.OpenDebate(ctx, mod, d.ID); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	open, draft := newDebate("Quel aménagement ?", true), newDebate("Quel nom ?", false)
	pe, err := a.st.CreatePetition(ctx, alice.Actor, "ville", models.PetitionInput{Title: "Sauvons le kiosque", Body: "x",
		Addressee: "maire", Goal: 10, Consultation: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the Creates of the debate and the petition", func() bool { return len(peer.announcedCreate("Question")) == 2 })
	settleQueue(t, a)

	// Back to the information phase for a few seconds.
	mark := peer.mark()
	opens := time.Now().UTC().Add(5 * time.Second)
	in.ContributionAt = opens
	if c, err = a.st.UpdateConsultation(ctx, mod, c.ID, in); err != nil {
		t.Fatal(err)
	}
	opens = c.ContributionAt // as stored (to the second)
	if _, err := a.st.OpenDebate(ctx, mod, draft.ID); err != nil {
		t.Fatal(err)
	}
	ids := []string{open.URI, draft.URI, pe.URI}
	waitFor(t, "the Updates of the open polls and the Create of the opened draft", func() bool {
		got := peer.questionsSince(mark)
		return len(got[open.URI]) > 0 && len(got[draft.URI]) > 0 && len(got[pe.URI]) > 0
	})
	for id, qs := range peer.questionsSince(mark) {
		for _, q := range qs {
			if openPoll(q, time.Now()) {
				t.Errorf("%s sent as an open poll in the information phase: %v", id, q)
			}
			if _, ok := q[PropODNOneOf]; !ok && id != pe.URI {
				t.Errorf("%s sent without odn:oneOf: odn peers lose its options", id)
			}
		}
	}
	for kind, id := range map[string]int64{"debate": open.ID, "petition": pe.ID} {
		if code, q := serveAS(a, kind, strconv.FormatInt(id, 10)); code != 200 || openPoll(q, time.Now()) {
			t.Errorf("%s %d served as an open poll in the information phase (%d)", kind, id, code)
		}
	}
	if time.Now().After(opens) {
		t.Fatal("the machine is too slow: the contribution phase began before the checks of the information phase")
	}

	// The contribution phase begins: each poll opens, once.
	mark = peer.mark()
	opened := func() map[string]int {
		n := map[string]int{}
		for id, qs := range peer.questionsSince(mark) {
			for _, q := range qs {
				if openPoll(q, time.Now()) {
					n[id]++
				}
			}
		}
		return n
	}
	waitFor(t, "the open polls when the contribution phase begins", func() bool {
		n := opened()
		return n[open.URI] > 0 && n[draft.URI] > 0 && n[pe.URI] > 0
	})
	if time.Now().Before(opens) {
		t.Errorf("polls opened before the contribution phase (%v): %v", opens, peer.questionsSince(mark))
	}
	settleQueue(t, a)
	if n := opened(); n[open.URI] != 1 || n[draft.URI] != 1 || n[pe.URI] != 1 {
		t.Errorf("open polls sent %v, want one each of %v", n, ids)
	}
	for kind, id := range map[string]int64{"debate": open.ID, "petition": pe.ID} {
		if code, q := serveAS(a, kind, strconv.FormatInt(id, 10)); code != 200 || !openPoll(q, time.Now()) {
			t.Errorf("%s %d not served as an open poll in the contribution phase (%d): %v", kind, id, code, q)
		}
	}
}

// settleQueue waits until n's workers are idle: no event to handle, no
// delivery waiting, no count Update due (twice in a row).
func settleQueue(t *testing.T, n *node) {
	t.Helper()
	ctx := context.Background()
	idle := func() bool {
		evs, err := n.st.PendingEvents(ctx, 1)
		if err != nil || len(evs) > 0 {
			return false
		}
		k, err := n.st.DB.NewSelect().Model((*models.Delivery)(nil)).Where("state = ?", models.DeliveryPending).Count(ctx)
		if err != nil || k > 0 {
			return false
		}
		k, err = n.st.DB.NewSelect().Model((*models.CountUpdate)(nil)).Where("due_at IS NOT NULL AND due_at <= ?", time.Now()).Count(ctx)
		return err == nil && k == 0
	}
	calm := 0
	waitFor(t, "the workers to be idle", func() bool {
		if idle() {
			calm++
		} else {
			calm = 0
		}
		return calm >= 3
	})
}

// TestPollScheduleFollowsPhases: the next Update of a consultation's
// open poll is due at the next voting boundary still to come, and
// follows the consultation's dates as moderators move them: the end of
// the contribution phase while it runs; its start once moved later
// (twice); its end again once it has begun. Before, only the end was
// ever due.
func TestPollScheduleFollowsPhases(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	mod := moderator(t, a, "modo")
	now := a.st.Now().Truncate(time.Second)
	in := models.ConsultationInput{Title: "Place du marché", OpensAt: now.Add(-2 * time.Hour), ContributionAt: now.Add(-time.Hour),
		SynthesisAt: now.Add(5 * time.Hour), ClosesAt: now.Add(6 * time.Hour)}
	c, err := a.st.CreateConsultation(ctx, mod, "ville", in)
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.st.CreateDebate(ctx, mod, ville, models.DebateInput{Question: "Quel aménagement ?", Options: []string{"Jardin", "Marché"}, ConsultationID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.OpenDebate(ctx, mod, d.ID); err != nil {
		t.Fatal(err)
	}
	due := func() time.Time {
		t.Helper()
		runEvents(t, a)
		for range 3 { // the Updates asked for now, whose next one is then due
			if _, err := a.s.countUpdatesPass(ctx); err != nil {
				t.Fatal(err)
			}
		}
		cu, err := a.st.CountUpdateOf(ctx, models.ObjectTypeDebate, d.ID)
		if err != nil || cu.DueAt == nil {
			t.Fatalf("no Update due: %+v %v", cu, err)
		}
		return *cu.DueAt
	}
	move := func(contribution time.Time) {
		t.Helper()
		in.ContributionAt = contribution
		if _, err := a.st.UpdateConsultation(ctx, mod, c.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []struct {
		name         string
		contribution time.Time // zero: as created
		want         time.Time
	}{
		{"published in the contribution phase: its end", time.Time{}, in.SynthesisAt},
		{"moved an hour later: its start", now.Add(time.Hour), now.Add(time.Hour)},
		{"moved two hours later: its new start", now.Add(2 * time.Hour), now.Add(2 * time.Hour)},
		{"begun again: its end", now.Add(-time.Minute), in.SynthesisAt},
	} {
		if !step.contribution.IsZero() {
			move(step.contribution)
		}
		if got := due(); !got.Equal(step.want) {
			t.Errorf("%s: next Update due %v, want %v", step.name, got, step.want)
		}
	}
}
