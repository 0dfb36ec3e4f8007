package federation

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestDeleteConsultationDeletesItsSynthesis: deleting a consultation
// whose synthesis was published sends the space's Delete of the
// synthesis Note where its Create went (the space's followers, the remote
// contributors), and the Note's id answers 410; one without a published
// synthesis sends nothing.
func TestDeleteConsultationDeletesItsSynthesis(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	peer := newPeerInbox(t)
	ville := a.space(t, "ville")
	alice, mod := a.user(t, "alice"), moderator(t, a, "modo")
	peer.follower(t, a, "fan", ville.Actor)
	remote, err := a.st.UpsertRemoteActor(ctx, &models.Actor{URI: "https://masto.example/users/bo", Type: "Person", Username: "bo",
		Host: "masto.example", Inbox: "https://masto.example/users/bo/inbox", PublicKeyID: "https://masto.example/users/bo#main-key", PublicKeyPEM: "x"})
	if err != nil {
		t.Fatal(err)
	}
	now := a.st.Now()
	consult := func(title string) *models.Consultation {
		t.Helper()
		c, err := a.st.CreateConsultation(ctx, mod, "ville", models.ConsultationInput{Title: title,
			OpensAt: now.Add(-2 * time.Hour), ContributionAt: now.Add(-time.Hour), SynthesisAt: now.Add(time.Hour), ClosesAt: now.Add(2 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c, bare := consult("Le marché"), consult("La halle")
	p, err := a.st.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: "Le marché le dimanche", Body: "Oui.", Consultation: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.Support(ctx, remote, p.ID); err != nil {
		t.Fatal(err)
	}
	// The synthesis phase begins.
	if _, err := a.st.DB.NewUpdate().Model((*models.Consultation)(nil)).Set("synthesis_at = ?", now.Add(-time.Minute)).Where("id = ?", c.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	syn, err := a.st.PublishSynthesis(ctx, mod, c.ID, "Le marché aura lieu le dimanche.")
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, a)

	if err := a.st.DeleteConsultation(ctx, mod, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.st.DeleteConsultation(ctx, mod, bare.ID); err != nil {
		t.Fatal(err)
	}
	dels := deletesIn(t, runEvents(t, a))
	d, ok := dels[syn.URI]
	switch {
	case !ok:
		t.Fatalf("no Delete of the synthesis %s (Deletes: %v)", syn.URI, dels)
	case d.signer != ville.Actor.ID:
		t.Errorf("Delete of the synthesis signed by actor %d, want the space's", d.signer)
	case !slices.Contains(d.inboxes, peer.srv.URL+"/shared") || !slices.Contains(d.inboxes, remote.Inbox):
		t.Errorf("Delete of the synthesis goes to %v, want the space's follower and the remote contributor", d.inboxes)
	}
	if len(dels) != 1 {
		t.Errorf("Deletes %v, want only the synthesis's", dels)
	}
	if code, m := serveAS(a, kindSynthesis, itoa(c.ID)); code != 410 || m["type"] != "Tombstone" || m["id"] != syn.URI {
		t.Errorf("synthesis of a deleted consultation: %d %v, want 410 Tombstone", code, m)
	}
}
