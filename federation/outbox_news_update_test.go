package federation

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestEditedNewsUpdate: a news post a moderator edits (the page's and the
// API's edit) goes to the space's followers as the Update of its object,
// same id, with the new text.
func TestEditedNewsUpdate(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	peer := newPeerInbox(t)
	peer.follower(t, a, "fan", ville.Actor)
	mod := moderator(t, a, "modo")
	n, err := a.st.PublishNews(ctx, mod, "ville", models.NewsInput{Title: "Atelier jeudi", Body: "Venez."})
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, a) // its Create
	if _, err := a.st.UpdateNews(ctx, mod, n.ID, models.NewsInput{Title: "Atelier vendredi", Body: "Venez **vendredi**."}); err != nil {
		t.Fatal(err)
	}
	out := runEvents(t, a)
	if len(out) != 1 {
		t.Fatalf("%d activities sent for the edit, want 1", len(out))
	}
	var update struct {
		Type   string `json:"type"`
		Object struct {
			ID      string `json:"id"`
			Content string `json:"content"`
		} `json:"object"`
	}
	if err := json.Unmarshal(out[0].Body, &update); err != nil {
		t.Fatal(err)
	}
	if update.Type != "Update" || update.Object.ID != n.URI || !strings.Contains(update.Object.Content, "vendredi") {
		t.Fatalf("sent %s of %s, want the news post's Update with the new text: %s", update.Type, update.Object.ID, out[0].Body)
	}
	if !slices.Contains(out[0].Inboxes, peer.srv.URL+"/shared") {
		t.Errorf("the Update goes to %v, not to the space's follower", out[0].Inboxes)
	}
}
