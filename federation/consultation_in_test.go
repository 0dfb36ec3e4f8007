package federation

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/opendemocracynow/odn/models"
)

// TestRemoteConsultationRefresh: the phases this instance applies to a
// copy follow its origin's consultation, whose document is fetched from
// its id on the consultation's Update (whoever sends it: its content is
// not believed), when a copy names a newer version, and when nothing was
// heard of it for an hour: new phases, or its withdrawal (410 Gone).
// Before, a copy that got no Update kept the phases it was first read
// with. The hourly refetch leases what it claims: an origin down is asked
// again after a wait (15 minutes, growing), and about one of its
// consultations a round; a node stopped mid-round leaves its claim for
// minutes, neither checked nor failed.
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

	// due makes the records of uris (all when none) due for the hourly
	// refetch, as when their time has come.
	due := func(uris ...string) {
		t.Helper()
		q := n.st.DB.NewUpdate().Model((*models.RemoteConsultation)(nil)).Set("next_check_at = ?", time.Now().Add(-time.Minute))
		if len(uris) > 0 {
			q = q.Where("uri IN (?)", bun.In(uris))
		} else {
			q = q.Where("1 = 1")
		}
		if _, err := q.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	record := func(uri string) models.RemoteConsultation {
		t.Helper()
		var r models.RemoteConsultation
		if err := n.st.DB.NewSelect().Model(&r).Where("uri = ?", uri).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		return r
	}

	// An hour without a word: fetched again, now in its synthesis phase.
	peer.serve("/consultations/1", consDoc(now.Add(-2*time.Hour), now.Add(-2*time.Minute), now.Add(time.Second)))
	due()
	if k, err := n.s.RefreshRemoteConsultations(ctx); err != nil || k != 1 {
		t.Fatalf("refreshed %d (%v), want 1", k, err)
	}
	if pe := refusal(); pe == nil || pe.Phase != models.PhaseSynthesis {
		t.Errorf("after the refetch: %+v, want the synthesis phase", pe)
	}
	if k, err := n.s.RefreshRemoteConsultations(ctx); err != nil || k != 0 {
		t.Errorf("refreshed %d again at once (%v), want 0: confirmed a moment ago", k, err)
	}

	// The origin answers 404: an answer all the same, asked again only
	// in an hour, the phases kept.
	peer.mu.Lock()
	delete(peer.docs, "/consultations/1")
	peer.mu.Unlock()
	due()
	asked := time.Now()
	for _, want := range []int{1, 0} {
		if k, err := n.s.RefreshRemoteConsultations(ctx); err != nil || k != want {
			t.Errorf("a 404: refreshed %d (%v), want %d", k, err, want)
		}
	}
	answered := record(consURI)
	if answered.CheckedAt == nil || answered.CheckedAt.Before(asked.Add(-time.Second)) || answered.CheckFailures != 0 {
		t.Errorf("a 404: checked at %v, %d failures; want checked now", answered.CheckedAt, answered.CheckFailures)
	}
	if pe := refusal(); pe == nil || pe.Phase != models.PhaseSynthesis {
		t.Errorf("a 404: %+v, want the synthesis phase kept", pe)
	}

	// The origin down (503), with a second consultation of it: one is
	// asked, the other not in the same round; both wait 15 minutes (not
	// the next round of another node, minutes later), their last check
	// unchanged, the phases kept. Before, they were marked checked.
	cons2 := peer.base + "/consultations/2"
	second := consDoc(now.Add(time.Hour), now.Add(2*time.Hour), now.Add(-time.Minute))
	second["id"] = cons2
	if _, err := n.st.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: peer.base + "/d/2", Question: "A bench?",
		Options: []string{"Yes", "No"}, Updated: now, Consultation: remoteConsultation(second)}); err != nil {
		t.Fatal(err)
	}
	peer.mu.Lock()
	peer.status["/consultations/1"], peer.status["/consultations/2"] = http.StatusServiceUnavailable, http.StatusServiceUnavailable
	peer.mu.Unlock()
	due()
	for _, want := range []int{1, 0} {
		if k, err := n.s.RefreshRemoteConsultations(ctx); err != nil || k != want {
			t.Errorf("origin down: refreshed %d (%v), want %d", k, err, want)
		}
	}
	for _, uri := range []string{consURI, cons2} {
		r := record(uri)
		if r.CheckFailures != 1 || r.NextCheckAt == nil || r.NextCheckAt.Before(time.Now().Add(14*time.Minute)) {
			t.Errorf("origin down: %s has %d failures, next check at %v; want 1, in 15 minutes", uri, r.CheckFailures, r.NextCheckAt)
		}
		if want := map[string]*time.Time{consURI: answered.CheckedAt, cons2: nil}[uri]; (r.CheckedAt == nil) != (want == nil) ||
			(want != nil && !r.CheckedAt.Equal(*want)) {
			t.Errorf("origin down: %s checked at %v, want %v (its last answer)", uri, r.CheckedAt, want)
		}
	}
	if pe := refusal(); pe == nil || pe.Phase != models.PhaseSynthesis {
		t.Errorf("origin down: %+v, want the synthesis phase kept", pe)
	}

	// The node stops mid-round, while its origin has not answered yet:
	// the record stays leased to it for minutes (no other node takes
	// it), neither checked nor failed. Before, it was marked checked, and
	// left for an hour.
	hung := make(chan struct{}, 1)
	peer.mu.Lock()
	delete(peer.status, "/consultations/1")
	peer.hang["/consultations/1"] = hung
	peer.mu.Unlock()
	due(consURI)
	stop, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := n.s.RefreshRemoteConsultations(stop)
		done <- err
	}()
	<-hung
	claimed := time.Now()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("stopped mid-round: %v, want canceled", err)
	}
	r := record(consURI)
	if r.CheckFailures != 1 || r.CheckedAt == nil || !r.CheckedAt.Equal(*answered.CheckedAt) {
		t.Errorf("stopped mid-round: %d failures, checked at %v; want them unchanged (1, %v)", r.CheckFailures, r.CheckedAt, answered.CheckedAt)
	}
	if r.NextCheckAt == nil || r.NextCheckAt.Before(claimed) || r.NextCheckAt.After(claimed.Add(consultationRefreshLease)) {
		t.Errorf("stopped mid-round: next check at %v, want within the lease (%v after %v)", r.NextCheckAt, consultationRefreshLease, claimed)
	}
	if k, err := n.s.RefreshRemoteConsultations(ctx); err != nil || k != 0 {
		t.Errorf("leased: refreshed %d (%v), want 0", k, err)
	}

	// Its domain blocked here: not asked (the fetcher itself does not
	// check blocks), and not taken as an answer: its last answer stays,
	// and it waits as after no answer, instead of being claimed again at
	// each round.
	peer.mu.Lock()
	delete(peer.hang, "/consultations/1")
	gets := peer.gets["/consultations/1"]
	peer.mu.Unlock()
	host := hostOf(consURI) // with its port: the peer alone
	if err := n.s.BlockDomain(ctx, nil, host, "test"); err != nil {
		t.Fatal(err)
	}
	due(consURI)
	before := record(consURI)
	if k, err := n.s.RefreshRemoteConsultations(ctx); err != nil || k != 0 {
		t.Errorf("blocked: refreshed %d (%v), want 0", k, err)
	}
	r = record(consURI)
	peer.mu.Lock()
	fetched := peer.gets["/consultations/1"] - gets
	peer.mu.Unlock()
	if fetched != 0 || (r.CheckedAt == nil) != (before.CheckedAt == nil) || r.CheckedAt != nil && !r.CheckedAt.Equal(*before.CheckedAt) ||
		r.NextCheckAt == nil || r.NextCheckAt.Before(time.Now().Add(10*time.Minute)) {
		t.Errorf("blocked: %d GET, checked at %v (was %v), next check at %v; want none, unchanged, in a while", fetched, r.CheckedAt, before.CheckedAt, r.NextCheckAt)
	}
	if err := n.st.UnblockDomain(ctx, nil, host); err != nil {
		t.Fatal(err)
	}
	n.s.blocks.invalidate()

	// Withdrawn at the origin: Gone.
	peer.mu.Lock()
	peer.gone["/consultations/1"] = true
	peer.mu.Unlock()
	due(consURI)
	if _, err := n.s.RefreshRemoteConsultations(ctx); err != nil {
		t.Fatal(err)
	}
	if pe := refusal(); pe == nil || pe.Phase != models.PhaseClosed {
		t.Errorf("after a 410: %+v, want closed (withdrawn)", pe)
	}
}
