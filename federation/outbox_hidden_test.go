package federation

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// sentDelete is a Delete among a handler's activities: who signs it and
// where it goes.
type sentDelete struct {
	signer  int64
	inboxes []string
}

// deletesIn returns the Deletes among out (not the space's announces of
// them), by the id of the object deleted.
func deletesIn(t *testing.T, out []models.Outgoing) map[string]sentDelete {
	t.Helper()
	got := map[string]sentDelete{}
	for _, o := range out {
		var m map[string]any
		if err := json.Unmarshal(o.Body, &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] == "Delete" {
			d := got[idOf(m["object"])]
			d.signer = o.SignerID
			d.inboxes = append(d.inboxes, o.Inboxes...)
			got[idOf(m["object"])] = d
		}
	}
	return got
}

// runEvents hands the pending events to their handlers, as the outbox
// worker does, and returns what they would send; the events are marked
// processed, their deliveries are not queued.
func runEvents(t *testing.T, n *node) []models.Outgoing {
	t.Helper()
	ctx := context.Background()
	evs, err := n.st.PendingEvents(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []models.Outgoing
	for _, ev := range evs {
		if h, ok := eventHandlers[ev.Kind]; ok {
			o, err := h(withBatchMemo(ctx), n.s, ev)
			if err != nil && !permanent(err) {
				t.Fatalf("event %s: %v", ev.Kind, err)
			}
			out = append(out, o...)
		}
		if err := n.st.MarkEventProcessed(ctx, ev.ID); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestHideObjectDeletesItsComments: hiding a local proposal sends, besides
// its own Delete, the Delete of each local comment under it, however deep,
// by the comment's author, to the space's followers and to the remote
// author it answers; not for a remote author's comment (not ours), nor
// again for one deleted or hidden before (its Delete went then). Hiding a
// comment does the same for the local replies below it.
func TestHideObjectDeletesItsComments(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	peer := newPeerInbox(t)
	ville := a.space(t, "ville")
	alice, bob, carol, dave := a.user(t, "alice"), a.user(t, "bob"), a.user(t, "carol"), a.user(t, "dave")
	mod := moderator(t, a, "modo")
	peer.follower(t, a, "fan", ville.Actor)
	remote, err := a.st.UpsertRemoteActor(ctx, &models.Actor{URI: "https://masto.example/users/bo", Type: "Person", Username: "bo",
		Host: "masto.example", Inbox: "https://masto.example/users/bo/inbox", PublicKeyID: "https://masto.example/users/bo#main-key", PublicKeyPEM: "x"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.st.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: "Des bancs place Carnot", Body: "Il manque des bancs."})
	if err != nil {
		t.Fatal(err)
	}
	comment := func(by *models.Account, parent int64, body string) *models.Comment {
		t.Helper()
		c, err := a.st.CreateComment(ctx, by.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, ParentID: parent, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	top := comment(bob, 0, "Oui, à l'ombre.")
	reply := comment(carol, top.ID, "Et une fontaine.")
	deep := comment(bob, reply.ID, "Bonne idée.")
	theirs, err := a.st.CreateRemoteComment(ctx, remote, models.RemoteComment{URI: "https://masto.example/users/bo/statuses/1",
		InReplyToURI: top.URI, ContentHTML: "<p>Pas sûr.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	toTheirs := comment(dave, theirs.ID, "Pourquoi ?")
	gone := comment(carol, 0, "Erreur.")
	if err := a.st.DeleteComment(ctx, carol, gone.ID); err != nil {
		t.Fatal(err)
	}
	rude := comment(dave, top.ID, "Hors sujet.")
	if err := a.st.HideObject(ctx, mod, models.ObjectTypeComment, rude.ID, "insulte"); err != nil {
		t.Fatal(err)
	}
	runEvents(t, a)

	if err := a.st.HideObject(ctx, mod, models.ObjectTypeProposal, p.ID, "spam"); err != nil {
		t.Fatal(err)
	}
	dels := deletesIn(t, runEvents(t, a))
	fan := peer.srv.URL + "/shared"
	want := map[string]*models.Account{p.URI: alice, top.URI: bob, reply.URI: carol, deep.URI: bob, toTheirs.URI: dave}
	for uri, by := range want {
		d, ok := dels[uri]
		switch {
		case !ok:
			t.Errorf("no Delete of %s", uri)
		case d.signer != by.Actor.ID:
			t.Errorf("Delete of %s signed by actor %d, want its author %s", uri, d.signer, by.Username)
		case !slices.Contains(d.inboxes, fan):
			t.Errorf("Delete of %s goes to %v, not to the space's follower %s", uri, d.inboxes, fan)
		}
	}
	if d := dels[toTheirs.URI]; !slices.Contains(d.inboxes, remote.Inbox) {
		t.Errorf("Delete of the reply to %s goes to %v, not to that author's inbox", remote.URI, d.inboxes)
	}
	for _, uri := range []string{theirs.URI, gone.URI, rude.URI} {
		if _, ok := dels[uri]; ok {
			t.Errorf("Delete of %s sent: a remote author's, or already removed", uri)
		}
	}
	if len(dels) != len(want) {
		t.Errorf("%d Deletes, want %d", len(dels), len(want))
	}

	// Hiding a comment: the local replies below it go with it.
	q, err := a.st.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: "Des arbres", Body: "Rue Victor Hugo."})
	if err != nil {
		t.Fatal(err)
	}
	p = q
	top = comment(bob, 0, "Des platanes ?")
	reply = comment(carol, top.ID, "Des tilleuls.")
	deep = comment(dave, reply.ID, "Des chênes.")
	sibling := comment(carol, 0, "Oui.")
	runEvents(t, a)
	if err := a.st.HideObject(ctx, mod, models.ObjectTypeComment, reply.ID, "hors sujet"); err != nil {
		t.Fatal(err)
	}
	dels = deletesIn(t, runEvents(t, a))
	if _, ok := dels[reply.URI]; !ok {
		t.Errorf("no Delete of the hidden comment")
	}
	if d, ok := dels[deep.URI]; !ok || d.signer != dave.Actor.ID {
		t.Errorf("Delete of the reply below the hidden comment: %v (%+v), want one by dave", ok, d)
	}
	if len(dels) != 2 {
		t.Errorf("Deletes of %v, want only the hidden comment and its reply (not %s, %s)", dels, top.URI, sibling.URI)
	}
}
