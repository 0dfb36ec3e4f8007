package federation

import (
	"context"
	"slices"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestCommentDeleteReachesTheAuthorItAnswers: the Delete of a local
// reply goes where its Create went, to the remote author of the comment
// it answers too (it once went only to the object's remote author, so
// that author's server kept the deleted reply).
func TestCommentDeleteReachesTheAuthorItAnswers(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	a.space(t, "ville")
	alice, dave := a.user(t, "alice"), a.user(t, "dave")
	remote, err := a.st.UpsertRemoteActor(ctx, &models.Actor{URI: "https://masto.example/users/bo", Type: "Person", Username: "bo",
		Host: "masto.example", Inbox: "https://masto.example/users/bo/inbox", PublicKeyID: "https://masto.example/users/bo#main-key", PublicKeyPEM: "x"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.st.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: "Des bancs place Carnot", Body: "Il manque des bancs."})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := a.st.CreateRemoteComment(ctx, remote, models.RemoteComment{URI: "https://masto.example/users/bo/statuses/1",
		InReplyToURI: p.URI, ContentHTML: "<p>Pas sûr.</p>"})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := a.st.CreateComment(ctx, dave.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID,
		ParentID: theirs.ID, Body: "Pourquoi ?"})
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, a)
	if err := a.st.DeleteComment(ctx, dave, reply.ID); err != nil {
		t.Fatal(err)
	}
	if d := deletesIn(t, runEvents(t, a))[reply.URI]; !slices.Contains(d.inboxes, remote.Inbox) {
		t.Errorf("Delete of the reply to %s goes to %v, not to that author's inbox", remote.URI, d.inboxes)
	}
}
