package fedtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/federation/fedtest"
	"github.com/opendemocracynow/odn/models"
)

// civicNet is three instances: A, the origin of a town's consultation;
// B, a neighbour whose space relays it; C, whose member follows only B's
// space.
type civicNet struct {
	a, b, c          *fedtest.Instance
	alice            *models.Account // A's admin (moderator, decider)
	ville, village   *models.Space   // on A: policy open, policy local
	bob, bea         *models.Account // B: member, admin
	bobTok, beaTok   string
	net              *models.Space // on B
	carl             *models.Account
	carlTok          string
	ctx              context.Context
	debateOptions    []string
	debateQuestionNo int
}

func startCivicNet(t *testing.T) *civicNet {
	ins := fedtest.Start(t, 3)
	n := &civicNet{a: ins[0], b: ins[1], c: ins[2], ctx: context.Background(), debateOptions: []string{"Yes", "No"}}
	n.alice, _ = n.a.User("alice", true)
	if err := n.a.Store.SetDecider(n.ctx, n.alice, "alice", true); err != nil {
		t.Fatal(err)
	}
	n.ville = n.a.Space("ville")
	var err error
	n.village, err = n.a.Store.CreateSpace(n.ctx, nil, models.SpaceInput{Name: "village", Kind: models.KindCity, Title: "Village", Policy: models.PolicyLocal})
	if err != nil {
		t.Fatal(err)
	}
	n.bob, n.bobTok = n.b.User("bob", false)
	n.bea, n.beaTok = n.b.User("bea", true)
	n.net = n.b.Space("net")
	n.carl, n.carlTok = n.c.User("carl", false)
	return n
}

// follow makes the token's user follow handle and waits for the Accept.
func follow(t *testing.T, in *fedtest.Instance, tok string, who *models.Account, handle, uri string) {
	t.Helper()
	if st := in.API("POST", "/api/v1/follows", tok, map[string]string{"handle": handle}, nil); st != http.StatusCreated {
		t.Fatalf("follow %s: status %d", handle, st)
	}
	fedtest.Eventually(t, wait, "the Accept of "+handle, func() bool {
		a, err := in.Store.ActorByURI(context.Background(), uri)
		if err != nil {
			return false
		}
		ok, _ := in.Store.IsFollowing(context.Background(), who.Actor.ID, a.ID)
		return ok
	})
}

// openDebate creates and opens a debate of alice's in sp.
func (n *civicNet) openDebate(t *testing.T, sp *models.Space) *models.Debate {
	t.Helper()
	n.debateQuestionNo++
	d, err := n.a.Store.CreateDebate(n.ctx, n.alice, sp, models.DebateInput{
		Question: fmt.Sprintf("Should the market move? (%d)", n.debateQuestionNo), Options: n.debateOptions})
	if err != nil {
		t.Fatal(err)
	}
	if d, err = n.a.Store.OpenDebate(n.ctx, n.alice, d.ID); err != nil {
		t.Fatal(err)
	}
	return d
}

// consultationDebate creates alice's consultation in on A's space ville,
// with one open debate of it.
func (n *civicNet) consultationDebate(t *testing.T, in models.ConsultationInput, question string) (*models.Consultation, *models.Debate) {
	t.Helper()
	c, err := n.a.Store.CreateConsultation(n.ctx, n.alice, "ville", in)
	if err != nil {
		t.Fatal(err)
	}
	d, err := n.a.Store.CreateDebate(n.ctx, n.alice, n.ville, models.DebateInput{Question: question,
		Options: []string{"Yes", "No"}, ConsultationID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	if d, err = n.a.Store.OpenDebate(n.ctx, n.alice, d.ID); err != nil {
		t.Fatal(err)
	}
	return c, d
}

// copyOf waits until in holds a copy of the debate uri and returns its id.
func copyOf(t *testing.T, in *fedtest.Instance, what, uri string, get func(ctx context.Context, uri string) (int64, error)) int64 {
	t.Helper()
	var id int64
	fedtest.Eventually(t, wait, in.Name+"'s copy of the "+what, func() bool {
		var err error
		id, err = get(context.Background(), uri)
		return err == nil
	})
	return id
}

func debateID(in *fedtest.Instance) func(ctx context.Context, uri string) (int64, error) {
	return func(ctx context.Context, uri string) (int64, error) {
		d, err := in.Store.DebateByURI(ctx, uri)
		if err != nil {
			return 0, err
		}
		return d.ID, nil
	}
}

func byInstance(t *testing.T, in *fedtest.Instance, id int64) map[string]int {
	t.Helper()
	r, err := in.Store.Results(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r.ByInstance
}

// vote casts tok's user's vote for option on in's debate id (a copy)
// through in's API and returns the status.
func vote(in *fedtest.Instance, tok string, id int64, option string) int {
	return in.API("POST", fmt.Sprintf("/api/v1/debates/%d/votes", id), tok, map[string]any{"options": []string{option}}, nil)
}

// mustVote is vote that must succeed; what names it in the failure.
func mustVote(t *testing.T, in *fedtest.Instance, tok string, id int64, option, what string) {
	t.Helper()
	if st := vote(in, tok, id, option); st != http.StatusOK && st != http.StatusCreated {
		t.Fatalf("%s: status %d", what, st)
	}
}

// TestSharedConsultationAcrossInstances: bob (B) follows A's space, sees
// A's new debate and votes through B's API; A counts it for B. B's space
// relays the debate; carl (C), who follows only B's space, votes through
// C; A counts it for C. The results API on A shows both instances.
func TestSharedConsultationAcrossInstances(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	follow(t, n.c, n.carlTok, n.carl, n.b.Handle("net"), n.net.Actor.URI)

	d := n.openDebate(t, n.ville)
	atB := copyOf(t, n.b, "debate", d.URI, debateID(n.b))
	var api struct {
		Origin   string
		Question string
	}
	n.b.API("GET", fmt.Sprintf("/api/v1/debates/%d", atB), n.bobTok, nil, &api)
	if api.Origin != n.a.Host || api.Question != d.Question {
		t.Errorf("B's API shows %+v, want origin %s", api, n.a.Host)
	}
	mustVote(t, n.b, n.bobTok, atB, "Yes", "bob's vote through B")
	fedtest.Eventually(t, wait, "A to count bob's vote for B", func() bool { return byInstance(t, n.a, d.ID)[n.b.Host] == 1 })

	// B's space relays the debate; C follows B's space only.
	var relay struct{ Kind, ID, URI string }
	if st := n.b.API("POST", "/api/v1/spaces/net/relays", n.beaTok, map[string]string{"uri": d.URI}, &relay); st != http.StatusCreated {
		t.Fatalf("relay: status %d", st)
	}
	if relay.Kind != models.ObjectTypeDebate || relay.URI != d.URI {
		t.Errorf("relay = %+v", relay)
	}
	if st := n.b.API("POST", "/api/v1/spaces/net/relays", n.beaTok, map[string]string{"uri": d.URI}, nil); st != http.StatusConflict {
		t.Errorf("second relay: status %d, want 409", st)
	}
	if st := n.b.API("POST", "/api/v1/spaces/net/relays", n.bobTok, map[string]string{"uri": d.URI}, nil); st != http.StatusForbidden {
		t.Errorf("relay by a member: status %d, want 403", st)
	}
	atC := copyOf(t, n.c, "relayed debate", d.URI, debateID(n.c))
	mustVote(t, n.c, n.carlTok, atC, "No", "carl's vote through C")
	fedtest.Eventually(t, wait, "A to count carl's vote for C", func() bool { return byInstance(t, n.a, d.ID)[n.c.Host] == 1 })

	var results struct {
		Options []struct {
			Name  string
			Count int
		}
		Voters     int
		ByInstance map[string]int `json:"by_instance"`
	}
	if st := n.a.API("GET", fmt.Sprintf("/api/v1/debates/%d/results", d.ID), "", nil, &results); st != http.StatusOK {
		t.Fatalf("results: status %d", st)
	}
	if results.Voters != 2 || results.ByInstance[n.b.Host] != 1 || results.ByInstance[n.c.Host] != 1 ||
		results.Options[0].Count != 1 || results.Options[1].Count != 1 {
		t.Errorf("A's results = %+v", results)
	}
	// B lists the relayed debate in its space; its page says whose
	// count it shows, and as of when.
	ds, err := n.b.Store.ListDebates(n.ctx, models.DebateFilter{SpaceID: n.net.ID})
	if err != nil || len(ds) != 1 || ds[0].URI != d.URI {
		t.Errorf("B's space net lists %v (%v), want the relayed debate", ds, err)
	}
	page := getPage(t, fmt.Sprintf("%s/d/%d", n.b.BaseURL, atB))
	if !strings.Contains(page, "Counted by "+n.a.Host+", as of") {
		t.Errorf("B's page of the remote debate has no as-of badge:\n%s", page)
	}

	// A's page and open-data export break the results down by instance.
	for _, u := range []string{fmt.Sprintf("%s/d/%d", n.a.BaseURL, d.ID), n.a.BaseURL + "/s/ville/export.json"} {
		if body := getPage(t, u); !strings.Contains(body, n.b.Host) || !strings.Contains(body, n.c.Host) {
			t.Errorf("%s does not name both voting instances", u)
		}
	}

	// A's moderation hides the debate: the copies go.
	if err := n.a.Store.HideObject(n.ctx, n.alice, models.ObjectTypeDebate, d.ID, "test"); err != nil {
		t.Fatal(err)
	}
	for _, in := range []*fedtest.Instance{n.b, n.c} {
		fedtest.Eventually(t, wait, in.Name+" to drop its copy", func() bool {
			_, err := in.Store.DebateByURI(n.ctx, d.URI)
			return errors.Is(err, models.ErrNotFound)
		})
	}
}

// getPage GETs an HTML page in English.
func getPage(t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept-Language", "en")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
	return string(b)
}

// TestRemoteParticipationRulesAndErasure: a local-only space refuses
// B's vote (never counted, B gets the Reject and withdraws its copy's
// ballot); supports and signatures go to the origin and back; the
// deletion of bob's account withdraws his participation in open items.
func TestRemoteParticipationRulesAndErasure(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)

	// Policy local: bob finds the debate by its URL and votes; refused.
	local := n.openDebate(t, n.village)
	var lookup struct{ Kind, ID string }
	if st := n.b.API("GET", "/api/v1/lookup?uri="+local.URI, n.bobTok, nil, &lookup); st != http.StatusOK || lookup.Kind != models.ObjectTypeDebate {
		t.Fatalf("lookup: status %d, %+v", st, lookup)
	}
	if st := n.b.API("POST", "/api/v1/debates/"+lookup.ID+"/votes", n.bobTok, map[string]any{"options": []string{"Yes"}}, nil); st != http.StatusOK && st != http.StatusCreated {
		t.Fatalf("bob's vote through B: status %d", st)
	}
	var localAtB int64
	fmt.Sscan(lookup.ID, &localAtB)
	fedtest.Eventually(t, wait, "B to apply A's Reject", func() bool {
		d, err := n.b.Store.DebateByID(n.ctx, localAtB)
		if err != nil {
			return false
		}
		_, err = n.b.Store.MyBallot(n.ctx, n.bob.Actor, d)
		return errors.Is(err, models.ErrNotFound)
	})
	if d, _ := n.a.Store.DebateByID(n.ctx, local.ID); d.Voters != 0 {
		t.Errorf("A counted %d voters in a local-only space", d.Voters)
	}
	notes, err := n.b.Store.Notifications(n.ctx, n.bob, 0, 10)
	if err != nil || len(notes) == 0 || notes[0].Kind != models.NotifyParticipationRefused {
		t.Errorf("bob's notifications = %v (%v), want the refusal", notes, err)
	}

	// Open policy: vote, support (withdrawn and given again) and signature.
	open := n.openDebate(t, n.ville)
	prop, err := n.a.Store.CreateProposal(n.ctx, n.alice.Actor, "ville", models.ProposalInput{Title: "More trees", Body: "Along the river."})
	if err != nil {
		t.Fatal(err)
	}
	pet, err := n.a.Store.CreatePetition(n.ctx, n.alice.Actor, "ville", models.PetitionInput{Title: "Save the hall", Body: "Please.", Addressee: "alice", Goal: 10})
	if err != nil {
		t.Fatal(err)
	}
	openAtB := copyOf(t, n.b, "debate", open.URI, debateID(n.b))
	propAtB := copyOf(t, n.b, "proposal", prop.URI, func(ctx context.Context, uri string) (int64, error) {
		p, err := n.b.Store.ProposalByURI(ctx, uri)
		if err != nil {
			return 0, err
		}
		return p.ID, nil
	})
	petAtB := copyOf(t, n.b, "petition", pet.URI, func(ctx context.Context, uri string) (int64, error) {
		p, err := n.b.Store.PetitionByURI(ctx, uri)
		if err != nil {
			return 0, err
		}
		return p.ID, nil
	})
	ok := func(st int, what string) {
		t.Helper()
		if st >= 300 {
			t.Fatalf("%s: status %d", what, st)
		}
	}
	ok(vote(n.b, n.bobTok, openAtB, "No"), "vote")
	ok(n.b.API("POST", fmt.Sprintf("/api/v1/proposals/%d/support", propAtB), n.bobTok, nil, nil), "support")
	ok(n.b.API("POST", fmt.Sprintf("/api/v1/petitions/%d/signatures", petAtB), n.bobTok, nil, nil), "sign")
	supports := func() int { p, _ := n.a.Store.ProposalByID(n.ctx, prop.ID); return p.SupportsCount }
	signatures := func() int { p, _ := n.a.Store.PetitionByID(n.ctx, pet.ID); return p.SignaturesCount }
	voters := func() int { d, _ := n.a.Store.DebateByID(n.ctx, open.ID); return d.Voters }
	fedtest.Eventually(t, wait, "A to count the vote, support and signature", func() bool {
		return voters() == 1 && supports() == 1 && signatures() == 1
	})
	ok(n.b.API("DELETE", fmt.Sprintf("/api/v1/proposals/%d/support", propAtB), n.bobTok, nil, nil), "withdraw support")
	fedtest.Eventually(t, wait, "A to withdraw the support", func() bool { return supports() == 0 })
	ok(n.b.API("POST", fmt.Sprintf("/api/v1/proposals/%d/support", propAtB), n.bobTok, nil, nil), "support again")
	fedtest.Eventually(t, wait, "A to count the support again", func() bool { return supports() == 1 })

	// A closed debate keeps bob's vote after his account is gone.
	closing := n.openDebate(t, n.ville)
	closingAtB := copyOf(t, n.b, "debate", closing.URI, debateID(n.b))
	ok(vote(n.b, n.bobTok, closingAtB, "Yes"), "vote")
	fedtest.Eventually(t, wait, "A to count the vote", func() bool { d, _ := n.a.Store.DebateByID(n.ctx, closing.ID); return d.Voters == 1 })
	if _, err := n.a.Store.CloseDebate(n.ctx, n.alice, closing.ID); err != nil {
		t.Fatal(err)
	}

	if err := n.b.Store.DeleteAccount(n.ctx, n.bob); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "A to withdraw bob's participation in open items", func() bool {
		return voters() == 0 && supports() == 0 && signatures() == 0
	})
	if d, _ := n.a.Store.DebateByID(n.ctx, closing.ID); d.Voters != 1 {
		t.Errorf("closed debate voters = %d, want bob's vote kept", d.Voters)
	}

}

// TestErasedAuthorsCopyStaysInStep: once a proposal's author is erased,
// the space signs for it (objectSigner): its Updates still reach the
// copies, and so does its Delete.
func TestErasedAuthorsCopyStaysInStep(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	ada, _ := n.a.User("ada", false)
	prop, err := n.a.Store.CreateProposal(n.ctx, ada.Actor, "ville", models.ProposalInput{Title: "A fountain", Body: "On the square."})
	if err != nil {
		t.Fatal(err)
	}
	copyOf(t, n.b, "proposal", prop.URI, func(ctx context.Context, uri string) (int64, error) {
		p, err := n.b.Store.ProposalByURI(ctx, uri)
		if err != nil {
			return 0, err
		}
		return p.ID, nil
	})
	if err := n.a.Store.DeleteAccount(n.ctx, ada); err != nil {
		t.Fatal(err)
	}
	ana, _ := n.a.User("ana", false)
	if _, err := n.a.Store.Support(n.ctx, ana.Actor, prop.ID); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B's copy to count ana's support, sent by the space", func() bool {
		p, err := n.b.Store.ProposalByURI(n.ctx, prop.URI)
		return err == nil && p.SupportsCount == 1
	})
	if err := n.a.Store.HideObject(n.ctx, n.alice, models.ObjectTypeProposal, prop.ID, "off topic"); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B to drop its copy on the space's Delete", func() bool {
		_, err := n.b.Store.ProposalByURI(n.ctx, prop.URI)
		return errors.Is(err, models.ErrNotFound)
	})
}
