package federation

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestRemoteConsultationRefresh: the phases this instance applies to a
// copy follow its origin's consultation, whose document is fetched from
// its id on the consultation's Update (whoever sends it: its content is
// not believed), when a copy names a newer version, and when nothing was
// heard of it for an hour: new phases, or its withdrawal (410 Gone).
// Before, a copy that got no Update kept the phases it was first read
// with.
func TestRemoteConsultationRefresh(t *testing.T) {
	n := newNode(t, nil)
	n.run(t)
	ctx := context.Background()
	peer := newHostPeer(t)
	space, mallory := peer.actor(t, "town", "Group"), peer.actor(t, "mallory", "Person")
	origin, err := n.st.UpsertRemoteActor(ctx, &models.Actor{URI: space, Type: models.ActorGroup, Username: "town",
		Host: hostOf(space), Inbox: space + "/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	consURI := peer.base + "/consultations/1"
	// phases: information until contributionAt, contribution until
	// synthesisAt, synthesis for an hour, then closed.
	consDoc := func(contributionAt, synthesisAt, updated time.Time) map[string]any {
		phase := func(name string, start time.Time, end *time.Time) map[string]any {
			p := map[string]any{"name": name, "startTime": rfc3339(start)}
			if end != nil {
				p["endTime"] = rfc3339(*end)
			}
			return p
		}
		opens, closes := now.Add(-2*time.Hour), synthesisAt.Add(time.Hour)
		return map[string]any{"@context": Context(), "id": consURI, "type": "OrderedCollection", "attributedTo": space,
			"name": "Budget", "url": consURI, PropODNType: ODNTypeConsultation, "updated": updatedStamp(updated),
			PropODNPhases: []any{phase("information", opens, &contributionAt), phase("contribution", contributionAt, &synthesisAt),
				phase("synthesis", synthesisAt, &closes), phase("closed", closes, nil)}}
	}
	first := consDoc(now.Add(time.Hour), now.Add(2*time.Hour), now.Add(-time.Minute)) // information now
	d, err := n.st.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: peer.base + "/d/1", Question: "A fountain?",
		Options: []string{"Yes", "No"}, Updated: now, Consultation: remoteConsultation(first)})
	if err != nil {
		t.Fatal(err)
	}
	refusal := func() *models.PhaseError {
		t.Helper()
		pe, err := n.st.PhaseRefusal(ctx, d.ConsultationRef(), models.ActionVote)
		if err != nil {
			t.Fatal(err)
		}
		return pe
	}
	if pe := refusal(); pe == nil || pe.Phase != models.PhaseInformation {
		t.Fatalf("copy's phase: %+v, want information", pe)
	}

	update := func(by string, obj map[string]any) map[string]any {
		return map[string]any{"@context": Context(), "id": by + "#updates/" + time.Now().Format(time.RFC3339Nano),
			"type": "Update", "actor": by, "object": obj}
	}
	// An Update of the consultation, whoever sends it (here another
	// account of the host, claiming the synthesis phase), only makes this
	// instance fetch the consultation from its id, whose document says
	// the contribution phase is open.
	peer.serve("/consultations/1", consDoc(now.Add(-time.Minute), now.Add(time.Hour), now.Add(-30*time.Second)))
	forged := consDoc(now.Add(-2*time.Hour), now.Add(-time.Minute), now)
	forged["attributedTo"] = mallory
	if got := peer.send(t, n.srv.URL+"/inbox", mallory, update(mallory, forged)); got != http.StatusAccepted {
		t.Fatalf("Update: %d", got)
	}
	waitFor(t, "the consultation fetched on its Update", func() bool { return refusal() == nil })

	// A copy naming a newer version of its consultation: fetched again
	// (copies get one fetch a minute: a minute later).
	if _, err := n.st.DB.ExecContext(ctx, "UPDATE remote_consultations SET checked_at = ?", now.Add(-2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	synthesis := consDoc(now.Add(-time.Minute), now.Add(-time.Second), now.Add(-20*time.Second))
	peer.serve("/consultations/1", synthesis)
	embedded := consDoc(now.Add(-time.Hour), now.Add(time.Hour), now.Add(-20*time.Second)) // not believed: fetched
	debate := map[string]any{"id": d.URI, "type": "Question", "attributedTo": space, "name": "A fountain?",
		"oneOf":     []any{map[string]any{"type": "Note", "name": "Yes"}, map[string]any{"type": "Note", "name": "No"}},
		PropODNType: ODNTypeDebate, "updated": updatedStamp(now.Add(time.Second)), PropODNConsultation: embedded}
	if got := peer.send(t, n.srv.URL+"/inbox", space, update(space, debate)); got != http.StatusAccepted {
		t.Fatalf("the copy's Update: %d", got)
	}
	waitFor(t, "the consultation fetched for a copy naming a newer version", func() bool {
		pe := refusal()
		return pe != nil && pe.Phase == models.PhaseSynthesis
	})

	// An hour without a word: fetched again, now in its synthesis phase.
	peer.serve("/consultations/1", consDoc(now.Add(-2*time.Hour), now.Add(-2*time.Minute), now.Add(time.Second)))
	if _, err := n.st.DB.ExecContext(ctx, "UPDATE remote_consultations SET checked_at = ?", now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if k, err := n.s.RefreshRemoteConsultations(ctx); err != nil || k != 1 {
		t.Fatalf("refreshed %d (%v), want 1", k, err)
	}
	if pe := refusal(); pe == nil || pe.Phase != models.PhaseSynthesis {
		t.Errorf("after the refetch: %+v, want the synthesis phase", pe)
	}
	if k, err := n.s.RefreshRemoteConsultations(ctx); err != nil || k != 0 {
		t.Errorf("refreshed %d again at once (%v), want 0: confirmed a moment ago", k, err)
	}

	// The origin down (here a 404): asked again only in an hour, the
	// phases kept.
	peer.mu.Lock()
	delete(peer.docs, "/consultations/1")
	peer.mu.Unlock()
	if _, err := n.st.DB.ExecContext(ctx, "UPDATE remote_consultations SET checked_at = ?", now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{1, 0} {
		if k, err := n.s.RefreshRemoteConsultations(ctx); err != nil || k != want {
			t.Errorf("origin down: refreshed %d (%v), want %d", k, err, want)
		}
	}
	if pe := refusal(); pe == nil || pe.Phase != models.PhaseSynthesis {
		t.Errorf("origin down: %+v, want the synthesis phase kept", pe)
	}

	// Withdrawn at the origin: Gone.
	peer.mu.Lock()
	peer.gone["/consultations/1"] = true
	peer.mu.Unlock()
	if _, err := n.st.DB.ExecContext(ctx, "UPDATE remote_consultations SET checked_at = ?", now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := n.s.RefreshRemoteConsultations(ctx); err != nil {
		t.Fatal(err)
	}
	if pe := refusal(); pe == nil || pe.Phase != models.PhaseClosed {
		t.Errorf("after a 410: %+v, want closed (withdrawn)", pe)
	}
}
