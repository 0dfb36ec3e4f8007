package fedtest_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/federation/fedtest"
	"github.com/opendemocracynow/odn/models"
)

// TestCopyFromNoteTakesLaterPoll: A publishes a debate and a petition of
// a consultation whose contribution phase is a few seconds away, so both
// go out as Notes (pollOpensAt: Pleroma and Akkoma drop a Question
// without options). B, following A's space, stores its copies from those
// Notes (isCopyKind reads odn:type, not type), the debate's options from
// odn:oneOf; bob's vote and signature on B are refused by the phase and
// nothing reaches A. When the phase opens, A sends each an
// Update{Question} with its poll; B takes it on the copy it made from a
// Note, and bob's vote and signature then reach A and are counted.
//
// A is stopped while the objects are made and the phase moved, so that
// its outbox builds their Creates after the move (a debate or petition
// can only be created in the contribution phase).
func TestCopyFromNoteTakesLaterPoll(t *testing.T) {
	n := startCivicNet(t)
	keepInbox(t, n.b)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	since := inboxMark(t, n.b)

	n.a.Stop()
	now := time.Now().UTC()
	in := models.ConsultationInput{Title: "Budget 2027", OpensAt: now.Add(-2 * time.Hour), ContributionAt: now.Add(-time.Hour),
		SynthesisAt: now.Add(2 * time.Hour), ClosesAt: now.Add(3 * time.Hour)}
	c, d := n.consultationDebate(t, in, "A new playground?")
	pet, err := n.a.Store.CreatePetition(n.ctx, n.alice.Actor, "ville", models.PetitionInput{Title: "Save the hall", Body: "Please.",
		Addressee: "alice", Goal: 10, Consultation: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	in.ContributionAt = time.Now().UTC().Add(15 * time.Second) // room for the restart, the copies and the refusals on a loaded machine
	if c, err = n.a.Store.UpdateConsultation(n.ctx, n.alice, c.ID, in); err != nil {
		t.Fatal(err)
	}
	opens := c.ContributionAt
	n.a.Restart()

	debateAtB := copyOf(t, n.b, "debate", d.URI, debateID(n.b))
	petAtB := copyOf(t, n.b, "petition", pet.URI, petitionID(n.b))
	for _, uri := range []string{d.URI, pet.URI} {
		got := questionsAt(t, n.b, uri, since)
		if len(got) == 0 || got[0]["type"] != "Note" {
			t.Fatalf("%s first reached B as %v, want a Note (the test relies on A building it after the phase moved)", uri, got)
		}
		for _, q := range got {
			if mastodonPoll(q) {
				t.Errorf("%s reached B as an open poll before the contribution phase", uri)
			}
		}
	}
	if cp, err := n.b.Store.DebateByID(n.ctx, debateAtB); err != nil || !slices.Equal(cp.Options, []string{"Yes", "No"}) {
		t.Fatalf("B's copy of the debate from the Note: %+v (%v), want the options Yes, No", cp, err)
	}
	sign := func() int {
		return n.b.API("POST", fmt.Sprintf("/api/v1/petitions/%d/signatures", petAtB), n.bobTok, nil, nil)
	}
	if st := vote(n.b, n.bobTok, debateAtB, "Yes"); st != http.StatusConflict {
		t.Errorf("bob's vote on B's copy before the contribution phase: status %d, want 409", st)
	}
	if st := sign(); st != http.StatusConflict {
		t.Errorf("bob's signature on B's copy before the contribution phase: status %d, want 409", st)
	}
	settle(n)
	signatures := func() int { p, _ := n.a.Store.PetitionByID(n.ctx, pet.ID); return p.SignaturesCount }
	if by, k := byInstance(t, n.a, d.ID), signatures(); by[n.b.Host] != 0 || k != 0 {
		t.Errorf("before the phase A counts votes %v and %d signatures, want none", by, k)
	}
	if time.Now().After(opens) {
		t.Fatal("too slow: the contribution phase began before the refusals were checked")
	}

	// The phase opens: an Update{Question} with the poll reaches B.
	since = inboxMark(t, n.b)
	polls := func(uri string) int {
		k := 0
		for _, q := range questionsAt(t, n.b, uri, since) {
			if q["type"] == "Question" && mastodonPoll(q) {
				k++
			}
		}
		return k
	}
	fedtest.Eventually(t, wait, "the Update{Question} of each at B once the contribution phase begins", func() bool {
		return polls(d.URI) > 0 && polls(pet.URI) > 0
	})
	settle(n)
	if cp, err := n.b.Store.DebateByID(n.ctx, debateAtB); err != nil || !slices.Equal(cp.Options, []string{"Yes", "No"}) {
		t.Errorf("B's copy of the debate after the Update{Question}: %+v (%v), want the options Yes, No", cp, err)
	}
	mustVote(t, n.b, n.bobTok, debateAtB, "Yes", "bob's vote in the contribution phase")
	if st := sign(); st >= 300 {
		t.Fatalf("bob's signature in the contribution phase: status %d", st)
	}
	fedtest.Eventually(t, wait, "A to count bob's vote and signature", func() bool {
		return byInstance(t, n.a, d.ID)[n.b.Host] == 1 && signatures() == 1
	})
}
