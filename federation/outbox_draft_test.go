package federation

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// createdIn lists the ids of the objects created in out (bare Creates or
// inside the space's Announce), in the order they were queued, once each.
func createdIn(t *testing.T, out []models.Outgoing) []string {
	t.Helper()
	var ids []string
	for _, o := range out {
		var m map[string]any
		if err := json.Unmarshal(o.Body, &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] == "Announce" {
			if in, ok := m["object"].(map[string]any); ok {
				m = in
			}
		}
		if id := idOf(m["object"]); m["type"] == "Create" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// TestDraftCommentsPublishedWithTheDebate: comments staff write on a
// draft debate are not sent while it is a draft; when it opens, their
// Creates follow the Question's, oldest first, by their authors — but
// not those hidden, below a hidden one, or deleted. A comment written
// after the opening is sent by its own event, not again.
func TestDraftCommentsPublishedWithTheDebate(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	peer := newPeerInbox(t)
	ville := a.space(t, "ville")
	mod, mod2, alice := moderator(t, a, "modo"), moderator(t, a, "modo2"), a.user(t, "alice")
	peer.follower(t, a, "fan", ville.Actor)
	d, err := a.st.CreateDebate(ctx, mod, ville, models.DebateInput{Question: "Piétonniser la rue ?", Options: []string{"Oui", "Non"}})
	if err != nil {
		t.Fatal(err)
	}
	say := func(by *models.Account, parent int64) *models.Comment {
		t.Helper()
		c, err := a.st.CreateComment(ctx, by.Actor, models.CommentInput{ObjectType: models.ObjectTypeDebate, ObjectID: d.ID, ParentID: parent, Body: "Note de préparation."})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	top := say(mod, 0)
	reply := say(mod2, top.ID)
	hidden := say(mod2, 0)
	belowHidden := say(mod, hidden.ID)
	deleted := say(mod, 0)
	if err := a.st.HideObject(ctx, mod, models.ObjectTypeComment, hidden.ID, "hors sujet"); err != nil {
		t.Fatal(err)
	}
	if err := a.st.DeleteComment(ctx, mod, deleted.ID); err != nil {
		t.Fatal(err)
	}
	if got := createdIn(t, runEvents(t, a)); len(got) != 0 {
		t.Fatalf("a draft and its comments are not public, but Creates of %v were sent", got)
	}

	if _, err := a.st.OpenDebate(ctx, mod, d.ID); err != nil {
		t.Fatal(err)
	}
	out := runEvents(t, a)
	if got, want := createdIn(t, out), []string{d.URI, top.URI, reply.URI}; !slices.Equal(got, want) {
		t.Errorf("on opening, Creates of %v, want the debate then its shown draft comments %v (not %s, %s, %s)",
			got, want, hidden.URI, belowHidden.URI, deleted.URI)
	}
	for _, o := range out {
		var m map[string]any
		if err := json.Unmarshal(o.Body, &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] != "Create" {
			continue
		}
		switch obj := m["object"].(map[string]any); obj["id"] {
		case top.URI:
			if o.SignerID != mod.Actor.ID || !slices.Contains(o.Inboxes, peer.srv.URL+"/shared") {
				t.Errorf("Create of %s signed by %d to %v, want the author's to the space's follower", top.URI, o.SignerID, o.Inboxes)
			}
		case reply.URI:
			if o.SignerID != mod2.Actor.ID || obj["inReplyTo"] != top.URI {
				t.Errorf("Create of the reply signed by %d, inReplyTo %v", o.SignerID, obj["inReplyTo"])
			}
		}
	}

	after, err := a.st.CreateComment(ctx, alice.Actor, models.CommentInput{ObjectType: models.ObjectTypeDebate, ObjectID: d.ID, Body: "Oui !"})
	if err != nil {
		t.Fatal(err)
	}
	if got := createdIn(t, runEvents(t, a)); !slices.Equal(got, []string{after.URI}) {
		t.Errorf("a comment after the opening: Creates of %v, want only %s", got, after.URI)
	}
}
