package federation

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestErasedAuthorsByline: what went out before its author's erasure
// stays theirs (the copies hold it), while a draft debate opened after
// its creator's erasure, and the comment written on it, go out as the
// space's: its Group signs their Creates and is their attributedTo, the
// same at their ids.
func TestErasedAuthorsByline(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	newPeerInbox(t).follower(t, a, "fan", ville.Actor)
	mo, mo2, ada := moderator(t, a, "mo"), moderator(t, a, "mo2"), a.user(t, "ada")
	prop, err := a.st.CreateProposal(ctx, ada.Actor, "ville", models.ProposalInput{Title: "A fountain", Body: "On the square."})
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.st.CreateDebate(ctx, mo, ville, models.DebateInput{Question: "A market hall?", Options: []string{"Yes", "No"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.st.CreateComment(ctx, mo.Actor, models.CommentInput{ObjectType: models.ObjectTypeDebate, ObjectID: d.ID, Body: "Background."})
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, a)
	for _, acc := range []*models.Account{ada, mo} {
		if err := a.st.DeleteAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.st.OpenDebate(ctx, mo2, d.ID); err != nil {
		t.Fatal(err)
	}
	created := map[string]bool{}
	for _, o := range runEvents(t, a) {
		var m map[string]any
		if err := json.Unmarshal(o.Body, &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] != "Create" {
			continue
		}
		obj, _ := m["object"].(map[string]any)
		created[idOf(obj)] = true
		if o.SignerID != ville.Actor.ID || m["actor"] != ville.Actor.URI || obj["attributedTo"] != ville.Actor.URI {
			t.Errorf("Create of %v signed by %d, actor %v, attributedTo %v; want all the space's (%s)",
				obj["id"], o.SignerID, m["actor"], obj["attributedTo"], ville.Actor.URI)
		}
	}
	if !created[d.URI] || !created[c.URI] {
		t.Errorf("Creates of %v, want the debate and its draft comment", created)
	}
	for _, tc := range []struct {
		kind string
		id   int64
		want string
	}{
		{models.ObjectTypeProposal, prop.ID, ada.Actor.URI}, // went out before the erasure
		{models.ObjectTypeDebate, d.ID, ville.Actor.URI},
		{models.ObjectTypeComment, c.ID, ville.Actor.URI},
	} {
		st, m := serveAS(a, tc.kind, strconv.FormatInt(tc.id, 10))
		if st != 200 || m["attributedTo"] != tc.want {
			t.Errorf("GET %s %d: %d, attributedTo %v, want %s", tc.kind, tc.id, st, m["attributedTo"], tc.want)
		}
	}
}
