package fedtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/federation/fedtest"
	"github.com/opendemocracynow/odn/models"
)

// TestCopiesFollowTheOriginsPhases: A's consultations have a debate and
// a proposal; bob (B) follows A's space. When A's moderator moves the
// contribution phase later (the consultation back in its information
// phase), A's space sends the consultation's Update with its new phases
// (and its polls' Updates), and B then
// refuses bob's vote and support on its copies with the origin's reason
// (409, participation_closed in the API, a notice linking A's consultation
// on the page) instead of counting them and sending what A refuses. When
// the contribution phase opens again, bob's vote goes through and A
// counts it. Before, B offered the forms whatever A's phase.
func TestCopiesFollowTheOriginsPhases(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)

	now := time.Now().UTC()
	in := models.ConsultationInput{Title: "Budget 2027", OpensAt: now.Add(-2 * time.Hour), ContributionAt: now.Add(-time.Hour),
		SynthesisAt: now.Add(2 * time.Hour), ClosesAt: now.Add(3 * time.Hour)}
	c, d := n.consultationDebate(t, in, "A new playground?")
	// The proposal is in a consultation of its own, with no poll: only the
	// consultation's own Update tells B of its new phases (proposals are
	// not re-sent).
	in2 := in
	in2.Title = "Trees"
	c2, err := n.a.Store.CreateConsultation(n.ctx, n.alice, "ville", in2)
	if err != nil {
		t.Fatal(err)
	}
	prop, err := n.a.Store.CreateProposal(n.ctx, n.alice.Actor, "ville", models.ProposalInput{Title: "More trees", Body: "Shade.", Consultation: c2.ID})
	if err != nil {
		t.Fatal(err)
	}
	atB := copyOf(t, n.b, "debate", d.URI, debateID(n.b))
	propB := copyOf(t, n.b, "proposal", prop.URI, proposalID(n.b))

	// Back to the information phase for an hour.
	in.ContributionAt, in2.ContributionAt = now.Add(time.Hour), now.Add(time.Hour)
	if _, err := n.a.Store.UpdateConsultation(n.ctx, n.alice, c.ID, in); err != nil {
		t.Fatal(err)
	}
	if _, err := n.a.Store.UpdateConsultation(n.ctx, n.alice, c2.ID, in2); err != nil {
		t.Fatal(err)
	}
	type refusal struct {
		Phase   string
		OpensAt *time.Time `json:"opens_at"`
	}
	closedAtB := func(path string) *refusal {
		var out struct {
			Closed *refusal `json:"participation_closed"`
		}
		if st := n.b.API("GET", path, n.bobTok, nil, &out); st != http.StatusOK {
			t.Fatalf("GET %s on B: status %d", path, st)
		}
		return out.Closed
	}
	debatePath, proposalPath := fmt.Sprintf("/api/v1/debates/%d", atB), fmt.Sprintf("/api/v1/proposals/%d", propB)
	for _, path := range []string{debatePath, proposalPath} {
		fedtest.Eventually(t, wait, "B to know A's new phases ("+path+")", func() bool {
			r := closedAtB(path)
			return r != nil && r.Phase == models.PhaseInformation && r.OpensAt != nil && r.OpensAt.Equal(in.ContributionAt.Truncate(time.Second))
		})
	}
	if st := vote(n.b, n.bobTok, atB, "Yes"); st != http.StatusConflict {
		t.Errorf("bob's vote on B's copy in A's information phase: status %d, want 409", st)
	}
	if st := n.b.API("POST", proposalPath+"/support", n.bobTok, nil, nil); st != http.StatusConflict {
		t.Errorf("bob's support on B's copy in A's information phase: status %d, want 409", st)
	}
	page := getPage(t, fmt.Sprintf("%s/d/%d", n.b.BaseURL, atB))
	if !strings.Contains(page, `class="notice phase-refusal"`) || !strings.Contains(page, `href="`+c.URI+`"`) {
		t.Errorf("B's page of the copy has no notice linking A's consultation %s", c.URI)
	}

	// The contribution phase opens again.
	in.ContributionAt = now.Add(-time.Minute)
	if _, err := n.a.Store.UpdateConsultation(n.ctx, n.alice, c.ID, in); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B to open its copy again", func() bool { return closedAtB(debatePath) == nil })
	mustVote(t, n.b, n.bobTok, atB, "Yes", "bob's vote in the contribution phase")
	fedtest.Eventually(t, wait, "A to count bob's vote", func() bool { return byInstance(t, n.a, d.ID)[n.b.Host] == 1 })
	settle(n)
	if by := byInstance(t, n.a, d.ID); by[n.b.Host] != 1 {
		t.Errorf("A's count for B = %v, want 1 (nothing refused, nothing sent before)", by)
	}
}

// keepInbox makes in's database keep a copy of every activity its inbox
// receives (the inbox empties an item's body once processed), for
// questionsAt: a test-only table filled by a trigger (SQLite).
func keepInbox(t *testing.T, in *fedtest.Instance) {
	t.Helper()
	for _, q := range []string{
		`CREATE TABLE test_inbox_bodies (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)`,
		`CREATE TRIGGER test_keep_inbox AFTER INSERT ON inbox_items BEGIN INSERT INTO test_inbox_bodies (body) VALUES (NEW.body); END`,
	} {
		if _, err := in.Store.DB.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
}

// inboxMark is the id of the last activity in received (keepInbox).
func inboxMark(t *testing.T, in *fedtest.Instance) int64 {
	t.Helper()
	var id int64
	if err := in.Store.DB.NewRaw(`SELECT COALESCE(MAX(id), 0) FROM test_inbox_bodies`).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

// questionsAt returns the Questions with id uri that in received in
// Creates and Updates (bare or announced) after its activity since, one
// per activity: what a follower was shown of that poll (keepInbox).
func questionsAt(t *testing.T, in *fedtest.Instance, uri string, since int64) []map[string]any {
	t.Helper()
	var bodies []string
	if err := in.Store.DB.NewRaw(`SELECT body FROM test_inbox_bodies WHERE id > ? ORDER BY id`, since).Scan(context.Background(), &bodies); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var out []map[string]any
	for _, body := range bodies {
		var m map[string]any
		if json.Unmarshal([]byte(body), &m) != nil {
			continue
		}
		if inner, ok := m["object"].(map[string]any); ok && m["type"] == "Announce" {
			m = inner
		}
		q, ok := m["object"].(map[string]any)
		id, _ := m["id"].(string)
		if ok && (m["type"] == "Create" || m["type"] == "Update") && q["id"] == uri && !seen[id] {
			seen[id] = true
			out = append(out, q)
		}
	}
	return out
}

// mastodonPoll reports whether Mastodon would show q as a poll taking
// votes: options (oneOf or anyOf), not closed, ending later.
func mastodonPoll(q map[string]any) bool {
	_, one := q["oneOf"]
	_, any := q["anyOf"]
	end, err := time.Parse(time.RFC3339, fmt.Sprint(q["endTime"]))
	return (one || any) && q["closed"] == nil && (err != nil || end.After(time.Now()))
}

// TestPollsOpenWithTheContributionPhase: A's moderator moves a
// consultation's contribution phase a few seconds later (back into its
// information phase) while it has an open debate, and opens a draft
// debate of it then. bob's instance B, following A's space, receives
// both without a poll (what a Mastodon follower would see as an open
// poll): their options come as odn:oneOf, so B's copies keep them and
// refuse bob's vote with the phase's reason. A restarts; when the phase
// starts, without anyone doing anything, A sends each poll open, once; B's
// copies take bob's vote and A counts it for B. Before, both went out
// as open polls during the information phase.
func TestPollsOpenWithTheContributionPhase(t *testing.T) {
	n := startCivicNet(t)
	keepInbox(t, n.b)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	now := time.Now().UTC()
	in := models.ConsultationInput{Title: "Budget 2027", OpensAt: now.Add(-2 * time.Hour), ContributionAt: now.Add(-time.Hour),
		SynthesisAt: now.Add(2 * time.Hour), ClosesAt: now.Add(3 * time.Hour)}
	c, open := n.consultationDebate(t, in, "A new playground?")
	draft, err := n.a.Store.CreateDebate(n.ctx, n.alice, n.ville, models.DebateInput{Question: "Which trees?",
		Options: []string{"Oaks", "Limes"}, ConsultationID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	openAtB := copyOf(t, n.b, "debate", open.URI, debateID(n.b))
	settle(n)

	// Back to the information phase for a few seconds; the draft opens.
	since := inboxMark(t, n.b)
	in.ContributionAt = time.Now().UTC().Add(6 * time.Second)
	if c, err = n.a.Store.UpdateConsultation(n.ctx, n.alice, c.ID, in); err != nil {
		t.Fatal(err)
	}
	opens := c.ContributionAt
	if _, err := n.a.Store.OpenDebate(n.ctx, n.alice, draft.ID); err != nil {
		t.Fatal(err)
	}
	draftAtB := copyOf(t, n.b, "debate", draft.URI, debateID(n.b))
	fedtest.Eventually(t, wait, "B to hear of the open debate's new phase", func() bool { return len(questionsAt(t, n.b, open.URI, since)) > 0 })
	for _, d := range []*models.Debate{open, draft} {
		for _, q := range questionsAt(t, n.b, d.URI, since) {
			if mastodonPoll(q) {
				t.Errorf("%s reached B as an open poll in the information phase: oneOf %v, endTime %v", d.URI, q["oneOf"], q["endTime"])
			}
		}
	}
	for id, want := range map[int64][]string{openAtB: {"Yes", "No"}, draftAtB: {"Oaks", "Limes"}} {
		d, err := n.b.Store.DebateByID(n.ctx, id)
		if err != nil || !slices.Equal(d.Options, want) {
			t.Errorf("B's copy %d: options %v (%v), want %v", id, d.Options, err, want)
		}
		if st := vote(n.b, n.bobTok, id, want[0]); st != http.StatusConflict {
			t.Errorf("bob's vote on B's copy %d in A's information phase: status %d, want 409", id, st)
		}
	}
	if time.Now().After(opens) {
		t.Fatal("too slow: the contribution phase began before the information phase was checked")
	}

	// A restarts before the phase begins: the opening is a durable job.
	since = inboxMark(t, n.b)
	n.a.Restart()

	// The contribution phase begins: each poll reaches B open, once.
	openPolls := func(uri string) int {
		k := 0
		for _, q := range questionsAt(t, n.b, uri, since) {
			if mastodonPoll(q) {
				k++
			}
		}
		return k
	}
	fedtest.Eventually(t, wait, "the open polls at B once the contribution phase begins", func() bool {
		return openPolls(open.URI) > 0 && openPolls(draft.URI) > 0
	})
	if time.Now().Before(opens) {
		t.Errorf("a poll reached B open before the contribution phase began at %v", opens)
	}
	settle(n)
	for _, d := range []*models.Debate{open, draft} {
		if k := openPolls(d.URI); k != 1 {
			t.Errorf("%s reached B open %d times, want once", d.URI, k)
		}
	}
	mustVote(t, n.b, n.bobTok, draftAtB, "Oaks", "bob's vote in the contribution phase")
	fedtest.Eventually(t, wait, "A to count bob's vote for B", func() bool { return byInstance(t, n.a, draft.ID)[n.b.Host] == 1 })
}
