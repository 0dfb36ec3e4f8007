package fedtest_test

import (
	"fmt"
	"net/http"
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
