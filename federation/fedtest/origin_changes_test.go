package fedtest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/federation/fedtest"
	"github.com/opendemocracynow/odn/models"
)

func proposalID(in *fedtest.Instance) func(ctx context.Context, uri string) (int64, error) {
	return func(ctx context.Context, uri string) (int64, error) {
		p, err := in.Store.ProposalByURI(ctx, uri)
		if err != nil {
			return 0, err
		}
		return p.ID, nil
	}
}

func petitionID(in *fedtest.Instance) func(ctx context.Context, uri string) (int64, error) {
	return func(ctx context.Context, uri string) (int64, error) {
		p, err := in.Store.PetitionByURI(ctx, uri)
		if err != nil {
			return 0, err
		}
		return p.ID, nil
	}
}

// hasNotification reports whether acc has a notification of kind about
// the object (typ, id).
func hasNotification(t *testing.T, in *fedtest.Instance, acc *models.Account, kind, typ string, id int64) bool {
	t.Helper()
	return notificationCount(t, in, acc, kind, typ, id) > 0
}

// settle waits until the net is quiet: every instance has processed its
// outbox events, sent its pending deliveries (the first attempt; a retry
// later does not count) and processed its inbox, twice in a row.
func settle(n *civicNet) {
	ctx := context.Background()
	quiet := func() bool {
		for _, in := range []*fedtest.Instance{n.a, n.b, n.c} {
			in.Settle()
			pending, err := in.Store.DB.NewSelect().Model((*models.Delivery)(nil)).
				Where("state = ? AND attempts = 0", models.DeliveryPending).Count(ctx)
			if err != nil || pending > 0 {
				return false
			}
			if k, err := in.Store.InboxBacklog(ctx); err != nil || k > 0 {
				return false
			}
		}
		return true
	}
	for deadline, calm := time.Now().Add(10*time.Second), 0; calm < 2 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if quiet() {
			calm++
		} else {
			calm = 0
		}
	}
}

// notificationCount counts acc's notifications of kind about (typ, id).
func notificationCount(t *testing.T, in *fedtest.Instance, acc *models.Account, kind, typ string, id int64) int {
	t.Helper()
	notes, err := in.Store.Notifications(context.Background(), acc, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for _, n := range notes {
		if n.Kind == kind && n.ObjectType == typ && n.ObjectID == id {
			k++
		}
	}
	return k
}

// TestProposalChangesReachCopies: bob (B) follows A's space and supports
// B's copy of alice's proposal. A's edit, the threshold reached, A's
// official answer and a later status changed without a text reach B's
// copy: B's API shows them, and bob, a supporter, is told of each as A's
// supporters are, once.
func TestProposalChangesReachCopies(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	if _, err := n.a.Store.UpdateSpace(n.ctx, n.alice, "ville", models.SpaceInput{Name: "ville", Kind: models.KindCity, Title: "VILLE", SupportThreshold: 1}); err != nil {
		t.Fatal(err)
	}
	prop, err := n.a.Store.CreateProposal(n.ctx, n.alice.Actor, "ville", models.ProposalInput{Title: "More trees", Body: "Along the river."})
	if err != nil {
		t.Fatal(err)
	}
	atB := copyOf(t, n.b, "proposal", prop.URI, proposalID(n.b))
	type apiProposal struct {
		Title, BodyHTML, Status, AnswerHTML string
		Supports                            int
	}
	get := func() apiProposal {
		var p struct {
			Title      string
			BodyHTML   string `json:"body_html"`
			Status     string
			AnswerHTML string `json:"answer_html"`
			Supports   int
		}
		if st := n.b.API("GET", fmt.Sprintf("/api/v1/proposals/%d", atB), n.bobTok, nil, &p); st != http.StatusOK {
			t.Fatalf("B's proposal API: status %d", st)
		}
		return apiProposal(p)
	}

	// The edit.
	if _, err := n.a.Store.UpdateProposal(n.ctx, n.alice.Actor, prop.ID, models.ProposalInput{Title: "More oaks", Body: "Along the river and the canal."}); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B's copy to show A's edit", func() bool {
		p := get()
		return p.Title == "More oaks" && strings.Contains(p.BodyHTML, "canal")
	})

	// bob's support reaches the threshold.
	if st := n.b.API("POST", fmt.Sprintf("/api/v1/proposals/%d/support", atB), n.bobTok, nil, nil); st >= 300 {
		t.Fatalf("support: status %d", st)
	}
	fedtest.Eventually(t, wait, "B's copy to reach the threshold", func() bool {
		p := get()
		return p.Status == models.ProposalThresholdReached && p.Supports == 1
	})
	fedtest.Eventually(t, wait, "bob to be told of the threshold", func() bool {
		return hasNotification(t, n.b, n.bob, models.NotifyProposalThreshold, models.ObjectTypeProposal, atB)
	})
	settle(n)
	if k := notificationCount(t, n.b, n.bob, models.NotifyProposalThreshold, models.ObjectTypeProposal, atB); k != 1 {
		t.Errorf("bob told %d times of the threshold, want 1", k)
	}

	// A's official answer.
	if _, err := n.a.Store.SetProposalStatus(n.ctx, n.alice, prop.ID, models.ProposalAccepted, "We will plant **forty** oaks."); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B's copy to show A's answer", func() bool {
		p := get()
		return p.Status == models.ProposalAccepted && strings.Contains(p.AnswerHTML, "forty")
	})
	fedtest.Eventually(t, wait, "bob to be told of the answer", func() bool {
		return hasNotification(t, n.b, n.bob, models.NotifyProposalAnswered, models.ObjectTypeProposal, atB)
	})
	// A later Update of the proposal without an answer Note (a status
	// changed without a new text) keeps the answer on the copy.
	if _, err := n.a.Store.SetProposalStatus(n.ctx, n.alice, prop.ID, models.ProposalAnswered, ""); err == nil {
		t.Fatal("answered without a text")
	}
	if _, err := n.a.Store.SetProposalStatus(n.ctx, n.alice, prop.ID, models.ProposalRejected, ""); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B's copy to be rejected", func() bool { return get().Status == models.ProposalRejected })
	if p := get(); !strings.Contains(p.AnswerHTML, "forty") {
		t.Errorf("B's copy lost the answer on a later Update: %+v", p)
	}
	// Each decision is told once, as A tells its supporters: the answer
	// (its Update and its Note) and the status changed without a text
	// (an Update only).
	answered := func() int {
		return notificationCount(t, n.b, n.bob, models.NotifyProposalAnswered, models.ObjectTypeProposal, atB)
	}
	fedtest.Eventually(t, wait, "bob to be told of the rejection", func() bool { return answered() >= 2 })
	settle(n)
	if k := answered(); k != 2 {
		t.Errorf("bob told %d times of A's two decisions, want 2", k)
	}
	if page := getPage(t, fmt.Sprintf("%s/p/%d", n.b.BaseURL, atB)); !strings.Contains(page, "forty") {
		t.Errorf("B's page of the proposal does not show the answer")
	}
}

// TestPetitionChangesReachCopies: bob (B) signs B's copy of A's
// petition; the goal reached, the author's update to the signers and the
// addressee's response reach B: B's API and page show them, and bob is
// told, as A's signers are.
func TestPetitionChangesReachCopies(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	pet, err := n.a.Store.CreatePetition(n.ctx, n.alice.Actor, "ville", models.PetitionInput{Title: "Save the hall", Body: "Please.", Addressee: "alice", Goal: 1})
	if err != nil {
		t.Fatal(err)
	}
	atB := copyOf(t, n.b, "petition", pet.URI, petitionID(n.b))
	if st := n.b.API("POST", fmt.Sprintf("/api/v1/petitions/%d/signatures", atB), n.bobTok, nil, nil); st >= 300 {
		t.Fatalf("sign: status %d", st)
	}
	fedtest.Eventually(t, wait, "A to count bob's signature", func() bool {
		p, _ := n.a.Store.PetitionByID(n.ctx, pet.ID)
		return p.SignaturesCount == 1
	})
	type apiPetition struct {
		State        string
		Signatures   int
		ResponseHTML string `json:"response_html"`
		Updates      []struct {
			URI      string
			BodyHTML string `json:"body_html"`
		}
	}
	get := func() apiPetition {
		var p apiPetition
		if st := n.b.API("GET", fmt.Sprintf("/api/v1/petitions/%d", atB), n.bobTok, nil, &p); st != http.StatusOK {
			t.Fatalf("B's petition API: status %d", st)
		}
		return p
	}
	fedtest.Eventually(t, wait, "B's copy to count the signature", func() bool { return get().Signatures == 1 })

	// bob's signature reached the goal (1): A tells its author and
	// signers, and B bob, once. (One signature: A's second count Update
	// would come a batching window, 30 s, after the first.)
	if !hasNotification(t, n.a, n.alice, models.NotifyPetitionMilestone, models.ObjectTypePetition, pet.ID) {
		t.Errorf("alice (A), the author, was not told of the goal reached")
	}
	fedtest.Eventually(t, wait, "bob to be told of the goal reached", func() bool {
		return hasNotification(t, n.b, n.bob, models.NotifyPetitionMilestone, models.ObjectTypePetition, atB)
	})
	settle(n)
	if k := notificationCount(t, n.b, n.bob, models.NotifyPetitionMilestone, models.ObjectTypePetition, atB); k != 1 {
		t.Errorf("bob told %d times of the goal reached, want 1", k)
	}

	// The author's update to the signers.
	u, err := n.a.Store.PostPetitionUpdate(n.ctx, n.alice.Actor, pet.ID, "We met the **mayor**.")
	if err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B's copy to show the petition update", func() bool {
		p := get()
		return len(p.Updates) == 1 && p.Updates[0].URI == u.URI && strings.Contains(p.Updates[0].BodyHTML, "mayor")
	})
	fedtest.Eventually(t, wait, "bob to be told of the update", func() bool {
		return hasNotification(t, n.b, n.bob, models.NotifyPetitionUpdate, models.ObjectTypePetition, atB)
	})

	// The addressee's response.
	if _, err := n.a.Store.RespondPetition(n.ctx, n.alice, pet.ID, "The hall **stays**."); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B's copy to show the response", func() bool {
		p := get()
		return p.State == models.PetitionAnswered && strings.Contains(p.ResponseHTML, "stays")
	})
	fedtest.Eventually(t, wait, "bob to be told of the response", func() bool {
		return hasNotification(t, n.b, n.bob, models.NotifyPetitionAnswered, models.ObjectTypePetition, atB)
	})
	page := getPage(t, fmt.Sprintf("%s/pe/%d", n.b.BaseURL, atB))
	if !strings.Contains(page, "stays") || !strings.Contains(page, "mayor") {
		t.Errorf("B's page of the petition does not show the response and the update")
	}
}

// TestDebateCloseReachesCopies: A closes a debate bob voted in through
// B; B's copy is closed and shows A's final results, and bob is told
// once, as A's voters are.
func TestDebateCloseReachesCopies(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	d := n.openDebate(t, n.ville)
	atB := copyOf(t, n.b, "debate", d.URI, debateID(n.b))
	if st := vote(n.b, n.bobTok, atB, "No"); st >= 300 {
		t.Fatalf("vote: status %d", st)
	}
	ana, _ := n.a.User("ana", false)
	if _, err := n.a.Store.CastVote(n.ctx, ana.Actor, d.ID, []string{"No"}); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "A to count bob's vote", func() bool { return byInstance(t, n.a, d.ID)[n.b.Host] == 1 })
	if _, err := n.a.Store.CloseDebate(n.ctx, n.alice, d.ID); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B's copy to close with A's final results", func() bool {
		copyAtB, err := n.b.Store.DebateByID(n.ctx, atB)
		if err != nil || copyAtB.Current != models.DebateClosed {
			return false
		}
		r, err := n.b.Store.Results(n.ctx, atB)
		return err == nil && r.Voters == 2 && len(r.Options) == 2 && r.Options[1].Count == 2
	})
	if st := vote(n.b, n.bobTok, atB, "Yes"); st < 400 {
		t.Errorf("a vote on B's closed copy: status %d, want a refusal", st)
	}
	if !hasNotification(t, n.a, ana, models.NotifyDebateClosed, models.ObjectTypeDebate, d.ID) {
		t.Errorf("ana (A) was not told of the close")
	}
	fedtest.Eventually(t, wait, "bob to be told of the close", func() bool {
		return hasNotification(t, n.b, n.bob, models.NotifyDebateClosed, models.ObjectTypeDebate, atB)
	})
	// The close also came relayed by the space and refetched: once.
	settle(n)
	if k := notificationCount(t, n.b, n.bob, models.NotifyDebateClosed, models.ObjectTypeDebate, atB); k != 1 {
		t.Errorf("bob told %d times of the close, want 1", k)
	}
}
