package fedtest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/federation/fedtest"
	"github.com/opendemocracynow/odn/models"
)

// TestSynthesisReachesCopyContributors: A's consultation has a debate;
// bob (B, follows A's space) votes on B's copy, carl (C, follows only B's
// space, which relays the debate) on C's. When A publishes the
// consultation's synthesis, bob and carl are told on their own instance,
// once (a later edit tells no one again), with a link to A's
// consultation; bea, on B, who took no part, is not. When A deletes the
// consultation, their notification names a removed item.
func TestSynthesisReachesCopyContributors(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	follow(t, n.c, n.carlTok, n.carl, n.b.Handle("net"), n.net.Actor.URI)

	now := time.Now().UTC()
	in := models.ConsultationInput{Title: "Budget 2027", OpensAt: now.Add(-2 * time.Hour), ContributionAt: now.Add(-time.Hour),
		SynthesisAt: now.Add(time.Hour), ClosesAt: now.Add(2 * time.Hour)}
	c, d := n.consultationDebate(t, in, "A new playground?")
	atB := copyOf(t, n.b, "debate", d.URI, debateID(n.b))
	mustVote(t, n.b, n.bobTok, atB, "Yes", "bob's vote through B")
	if st := n.b.API("POST", "/api/v1/spaces/net/relays", n.beaTok, map[string]string{"uri": d.URI}, nil); st != http.StatusCreated {
		t.Fatalf("relay: status %d", st)
	}
	atC := copyOf(t, n.c, "relayed debate", d.URI, debateID(n.c))
	mustVote(t, n.c, n.carlTok, atC, "No", "carl's vote through C")
	fedtest.Eventually(t, wait, "A to count both votes", func() bool {
		by := byInstance(t, n.a, d.ID)
		return by[n.b.Host] == 1 && by[n.c.Host] == 1
	})

	in.ContributionAt, in.SynthesisAt = now.Add(-time.Hour), now.Add(-time.Minute)
	if _, err := n.a.Store.UpdateConsultation(n.ctx, n.alice, c.ID, in); err != nil {
		t.Fatal(err)
	}
	if _, err := n.a.Store.PublishSynthesis(n.ctx, n.alice, c.ID, "The playground is voted; works start in spring."); err != nil {
		t.Fatal(err)
	}
	type note struct {
		Kind, Text, URL string
	}
	synthesisNotes := func(in *fedtest.Instance, tok string) []note {
		var page struct{ Items []note }
		if st := in.API("GET", "/api/v1/notifications", tok, nil, &page); st != http.StatusOK {
			t.Fatalf("%s notifications: status %d", in.Name, st)
		}
		var out []note
		for _, x := range page.Items {
			if x.Kind == models.NotifySynthesisPublished {
				out = append(out, x)
			}
		}
		return out
	}
	for _, who := range []struct {
		in  *fedtest.Instance
		tok string
	}{{n.b, n.bobTok}, {n.c, n.carlTok}} {
		fedtest.Eventually(t, wait, who.in.Name+"'s voter to be told of the synthesis", func() bool {
			return len(synthesisNotes(who.in, who.tok)) > 0
		})
	}

	// An edit is an Update: nobody is told again.
	if _, err := n.a.Store.PublishSynthesis(n.ctx, n.alice, c.ID, "The playground is voted; works start in April."); err != nil {
		t.Fatal(err)
	}
	settle(n)
	for _, got := range [][]note{synthesisNotes(n.b, n.bobTok), synthesisNotes(n.c, n.carlTok)} {
		if len(got) != 1 || got[0].URL != c.URI || got[0].Text != "The synthesis of “Budget 2027”, to which you contributed, is published." {
			t.Errorf("notifications = %+v, want one linking %s", got, c.URI)
		}
	}
	if got := synthesisNotes(n.b, n.beaTok); len(got) != 0 {
		t.Errorf("bea took no part and was told: %+v", got)
	}

	// The synthesis' context, the consultation, is an ActivityPub object.
	var coll struct {
		Type, Name   string
		OrderedItems []string
		Synthesis    string                  `json:"odn:synthesis"`
		Phases       []struct{ Name string } `json:"odn:phases"`
	}
	if st := activityGet(t, c.URI, &coll); st != http.StatusOK || coll.Type != "OrderedCollection" || coll.Name != "Budget 2027" ||
		len(coll.OrderedItems) != 1 || coll.OrderedItems[0] != d.URI || coll.Synthesis != c.URI+"/synthesis" || len(coll.Phases) != 4 {
		t.Errorf("GET %s as activity: %d %+v", c.URI, st, coll)
	}

	if err := n.a.Store.DeleteConsultation(n.ctx, n.alice, c.ID); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B to forget the deleted synthesis", func() bool {
		got := synthesisNotes(n.b, n.bobTok)
		return len(got) == 1 && got[0].URL == ""
	})
	// Withdrawn: Gone, which peers refreshing their copies' consultation
	// read as the withdrawal.
	if st := activityGet(t, c.URI, nil); st != http.StatusGone {
		t.Errorf("GET the deleted consultation as activity: %d, want 410", st)
	}
}

// activityGet GETs uri as an ActivityPub client and decodes it into out.
func activityGet(t *testing.T, uri string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", uri, nil)
	req.Header.Set("Accept", "application/activity+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode == http.StatusOK {
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/activity+json") {
			t.Errorf("GET %s: Content-Type %q", uri, ct)
		}
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Errorf("GET %s: %v", uri, err)
		}
	}
	return res.StatusCode
}
