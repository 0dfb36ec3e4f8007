package federation

import (
	"context"
	"encoding/json"
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

// TestConsultationUpdateCarriesItsVersion: the space's Update of a
// consultation, when its dates change or it is withdrawn, carries as its
// object's updated the consultation's own version — the one its document
// serves and its items' odn:consultation name — not the time it was sent
// (here an hour later), so that the two agree and a peer already holding
// that version need not fetch it again. Before, it carried the send time
// (UpdateCivic's rule for objects whose counts change).
func TestConsultationUpdateCarriesItsVersion(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, func(o *Options) { o.Now = func() time.Time { return time.Now().Add(time.Hour) } })
	peer := newPeerInbox(t)
	ville := a.space(t, "ville")
	mod := moderator(t, a, "modo")
	peer.follower(t, a, "fan", ville.Actor)
	now := a.st.Now()
	in := models.ConsultationInput{Title: "Le marché", OpensAt: now.Add(-2 * time.Hour), ContributionAt: now.Add(-time.Hour),
		SynthesisAt: now.Add(time.Hour), ClosesAt: now.Add(2 * time.Hour)}
	c, err := a.st.CreateConsultation(ctx, mod, "ville", in)
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, a)
	// sent returns the updated of the object of the consultation's Update
	// among out.
	sent := func(out []models.Outgoing) any {
		t.Helper()
		for _, o := range out {
			var m map[string]any
			if err := json.Unmarshal(o.Body, &m); err != nil {
				t.Fatal(err)
			}
			if obj, ok := m["object"].(map[string]any); ok && m["type"] == "Update" && obj["id"] == c.URI {
				return obj["updated"]
			}
		}
		t.Fatal("no Update of the consultation")
		return nil
	}

	in.SynthesisAt = now.Add(90 * time.Minute)
	if _, err := a.st.UpdateConsultation(ctx, mod, c.ID, in); err != nil {
		t.Fatal(err)
	}
	got := sent(runEvents(t, a))
	if code, served := serveAS(a, kindConsultation, itoa(c.ID)); code != 200 || got != served["updated"] {
		t.Errorf("Update of new dates: updated %v, want the served document's %v (%d)", got, served["updated"], code)
	}

	if err := a.st.DeleteConsultation(ctx, mod, c.ID); err != nil {
		t.Fatal(err)
	}
	got = sent(runEvents(t, a))
	rec, err := a.st.ConsultationRecord(ctx, c.ID)
	if err != nil || rec.DeletedAt == nil {
		t.Fatalf("withdrawn consultation: %+v %v", rec, err)
	}
	if want := updatedStamp(*rec.DeletedAt); got != want {
		t.Errorf("Update of the withdrawal: updated %v, want the withdrawal's %v", got, want)
	}
}
