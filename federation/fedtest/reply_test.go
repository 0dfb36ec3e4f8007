package fedtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/opendemocracynow/odn/federation"
	"github.com/opendemocracynow/odn/federation/fedtest"
	"github.com/opendemocracynow/odn/models"
)

// TestRemoteReplyLandsInThread: bob on B replies to a proposal of A's
// space with a signed Create{Note inReplyTo}; A stores it as a comment of
// the proposal. Sending replies from B's UI comes with the civic mapping;
// here B's key signs a hand-made activity.
func TestRemoteReplyLandsInThread(t *testing.T) {
	ins := fedtest.Start(t, 2)
	a, b := ins[0], ins[1]
	ctx := context.Background()
	alice, _ := a.User("alice", false)
	a.Space("ville")
	prop, err := a.Store.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: "More trees", Body: "Plant trees along the river."})
	if err != nil {
		t.Fatal(err)
	}
	bob, _ := b.User("bob", false)
	noteID := bob.Actor.URI + "/notes/1"
	body, _ := json.Marshal(map[string]any{
		"@context": federation.ActivityStreamsContext, "id": noteID + "/activity", "type": "Create", "actor": bob.Actor.URI,
		"object": map[string]any{"id": noteID, "type": "Note", "attributedTo": bob.Actor.URI, "inReplyTo": prop.URI,
			"content": `<p>Yes! <script>alert(1)</script></p>`, "to": []string{federation.PublicCollection}},
	})
	key, err := federation.ParsePrivateKeyPEM(bob.Actor.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	sg, _ := federation.NewSigner(bob.Actor.PublicKeyID, key)
	req, _ := http.NewRequest("POST", a.BaseURL+"/inbox", bytes.NewReader(body))
	req.Header.Set("Content-Type", federation.ActivityJSONType)
	if err := sg.SignRequest(req, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("inbox: status %d", resp.StatusCode)
	}
	fedtest.Eventually(t, wait, "the reply in the proposal's thread", func() bool {
		n, _ := a.Store.CountComments(ctx, models.ObjectTypeProposal, prop.ID)
		return n == 1
	})
	c, err := a.Store.CommentByURI(ctx, noteID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains([]byte(c.BodyHTML), []byte("<script")) || c.Local {
		t.Errorf("stored comment %+v", c)
	}
}
