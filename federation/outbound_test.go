package federation

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

func moderator(t *testing.T, n *node, name string) *models.Account {
	t.Helper()
	acc := n.user(t, name)
	if _, err := n.st.DB.NewUpdate().Model((*models.Account)(nil)).Set("role = ?", models.RoleModerator).Where("id = ?", acc.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	acc.Role = models.RoleModerator
	return acc
}

// innerOf returns the activities (Create/Update) of objID the peer got, bare
// or inside the space's Announce.
func innerOf(p *peerInbox, typ, objID string) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, m := range p.got {
		act := m
		if m["type"] == "Announce" {
			if in, ok := m["object"].(map[string]any); ok {
				act = in
			}
		}
		if act["type"] == typ && idOf(act["object"]) == objID {
			out = append(out, act)
		}
	}
	return out
}

// A proposal accepted without an answer text, then answered with one:
// the first answer sent is a Create of the answer Note (peers ignore the
// Update of a Note they never had), a later change an Update of it, and
// the Create goes out once.
func TestAnswerCreatedOnce(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	peer := newPeerInbox(t)
	ville := a.space(t, "ville")
	alice, mod := a.user(t, "alice"), moderator(t, a, "modo")
	peer.follower(t, a, "fan", ville.Actor)
	a.run(t)
	p, err := a.st.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: "Des bancs place Carnot", Body: "Il manque des bancs."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.SetProposalStatus(ctx, mod, p.ID, models.ProposalAccepted, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Update of the proposal (accepted)", func() bool { return len(innerOf(peer, "Update", p.URI)) > 0 })
	if _, err := a.st.SetProposalStatus(ctx, mod, p.ID, models.ProposalAccepted, "Les bancs seront posés en mai."); err != nil {
		t.Fatal(err)
	}
	answer := p.URI + AnswerSuffix
	waitFor(t, "something about the answer", func() bool {
		return len(innerOf(peer, "Create", answer))+len(innerOf(peer, "Update", answer)) > 0
	})
	time.Sleep(300 * time.Millisecond)
	creates := len(innerOf(peer, "Create", answer))
	if u := len(innerOf(peer, "Update", answer)); creates == 0 || u > 0 {
		t.Fatalf("answer %s: %d Create, %d Update: the first answer with a text must be a Create", answer, creates, u)
	}
	// A status change keeping the text: an Update of the same Note.
	if _, err := a.st.SetProposalStatus(ctx, mod, p.ID, models.ProposalRejected, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Update of the answer", func() bool { return len(innerOf(peer, "Update", answer)) > 0 })
	time.Sleep(300 * time.Millisecond)
	if c := len(innerOf(peer, "Create", answer)); c != creates {
		t.Errorf("answer %s created again: %d Create after the Update, %d before", answer, c, creates)
	}
}

// Answered by one moderator, then re-answered by another: the answer
// Note stays the first one's (attributedTo, sender of its Update, served
// document), as Mastodon and odn peers refuse an Update from anyone but
// the owner; the proposal still tells who answered last.
func TestAnswerUpdatedByItsAuthor(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	peer := newPeerInbox(t)
	ville := a.space(t, "ville")
	alice, mod1, mod2 := a.user(t, "alice"), moderator(t, a, "modo1"), moderator(t, a, "modo2")
	peer.follower(t, a, "fan", ville.Actor)
	a.run(t)
	p, err := a.st.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: "Des bancs place Carnot", Body: "Il manque des bancs."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.SetProposalStatus(ctx, mod1, p.ID, models.ProposalAnswered, "Nous étudions."); err != nil {
		t.Fatal(err)
	}
	answer := p.URI + AnswerSuffix
	waitFor(t, "Create of the answer", func() bool { return len(innerOf(peer, "Create", answer)) > 0 })
	if _, err := a.st.SetProposalStatus(ctx, mod2, p.ID, models.ProposalAccepted, "Accepté."); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Update of the answer", func() bool { return len(innerOf(peer, "Update", answer)) > 0 })
	c := innerOf(peer, "Create", answer)[0]
	u := innerOf(peer, "Update", answer)[0]
	owner := c["object"].(map[string]any)["attributedTo"]
	if u["actor"] != owner || u["object"].(map[string]any)["attributedTo"] != owner {
		t.Errorf("Create by %v (attributedTo %v); Update by %v with attributedTo %v", c["actor"], owner, u["actor"], u["object"].(map[string]any)["attributedTo"])
	}
	if owner != mod1.Actor.URI {
		t.Errorf("answer Note attributedTo %v, want the first answerer %s", owner, mod1.Actor.URI)
	}
	if code, served := serveAS(a, kindProposalAnswer, itoa(p.ID)); code != 200 || served["attributedTo"] != owner {
		t.Errorf("served answer: %d attributedTo %v, want %v", code, served["attributedTo"], owner)
	}
	if got, err := a.st.ProposalByID(ctx, p.ID); err != nil || got.Answerer == nil || got.Answerer.ID != mod2.Actor.ID {
		t.Errorf("proposal answered by %+v (%v), want the last answerer %s", got.Answerer, err, mod2.Actor.URI)
	}
}

// An erased local account that followed a space is neither listed nor
// counted in the space's public followers collection (its follow row stays
// for its Delete{Person}).
func TestErasedFollowerNotListed(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	bob, carol := a.user(t, "bob"), a.user(t, "carol")
	for _, acc := range []*models.Account{bob, carol} {
		if _, err := a.st.FollowActor(ctx, acc, ville.Actor); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.st.DeleteAccount(ctx, bob); err != nil {
		t.Fatal(err)
	}
	_, coll := getAS(t, a, "/actors/ville/followers")
	_, page := getAS(t, a, "/actors/ville/followers?page=1")
	if items, _ := page["orderedItems"].([]any); len(items) != 1 || items[0] != carol.Actor.URI {
		t.Errorf("followers %v, want only %s (not the erased %s)", items, carol.Actor.URI, bob.Actor.URI)
	}
	if coll["totalItems"] != float64(1) || page["totalItems"] != float64(1) {
		t.Errorf("erased account still counted: totalItems %v (page %v)", coll["totalItems"], page["totalItems"])
	}
}

// After supports, the served proposal's `updated` is not older than the
// `updated` of the count Update peers already hold: a peer refreshing by
// fetch would ignore it ("older than the copy").
func TestServedUpdatedNotOlderThanCountUpdate(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	peer := newPeerInbox(t)
	ville := a.space(t, "ville")
	alice, bob, carol := a.user(t, "alice"), a.user(t, "bob"), a.user(t, "carol")
	peer.follower(t, a, "fan", ville.Actor)
	a.run(t)
	p, err := a.st.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: "Des bancs place Carnot", Body: "Il manque des bancs."})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, err := a.st.UpdateProposal(ctx, alice.Actor, p.ID, models.ProposalInput{Title: "Des bancs place Carnot !", Body: "Il manque des bancs."}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "edit Update", func() bool { return len(innerOf(peer, "Update", p.URI)) > 0 })
	time.Sleep(1100 * time.Millisecond)
	if _, err := a.st.Support(ctx, bob.Actor, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.Support(ctx, carol.Actor, p.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "count Update", func() bool {
		for _, u := range innerOf(peer, "Update", p.URI) {
			if u["object"].(map[string]any)[PropODNSupports] != float64(0) {
				return true
			}
		}
		return false
	})
	ups := innerOf(peer, "Update", p.URI)
	last := ups[len(ups)-1]["object"].(map[string]any)
	_, served := serveAS(a, "proposal", itoa(p.ID))
	su, _ := time.Parse(time.RFC3339, fmtS(served["updated"]))
	lu, _ := time.Parse(time.RFC3339, fmtS(last["updated"]))
	if su.Before(lu) {
		t.Errorf("served updated %v (supports %v) is older than the last Update's %v (supports %v)", served["updated"], served[PropODNSupports], last["updated"], last[PropODNSupports])
	}
}

// A deleted news post answers 410 with its Tombstone, not 404.
func TestDeletedNewsGone(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	a.space(t, "ville")
	mod := moderator(t, a, "modo")
	n, err := a.st.PublishNews(ctx, mod, "ville", models.NewsInput{Title: "Atelier jeudi", Body: "Venez."})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.st.DeleteNews(ctx, mod, n.ID); err != nil {
		t.Fatal(err)
	}
	if code, m := serveAS(a, "news", itoa(n.ID)); code != 410 || m["type"] != "Tombstone" || m["id"] != n.URI {
		t.Errorf("deleted news: %d %v, want 410 Tombstone", code, m)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func fmtS(v any) string { s, _ := v.(string); return s }
