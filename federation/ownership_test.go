package federation

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// hostPeer is a loopback fediverse server with several actors (one key
// shared by all) and arbitrary documents served by path.
type hostPeer struct {
	srv  *httptest.Server
	base string
	mu   sync.Mutex
	docs map[string]map[string]any // path -> document
	gone map[string]bool           // paths answered 410 Gone
	// status: paths answered with that status (a 503: the origin down);
	// hang: paths whose requests get no answer until the client gives
	// up, each request signalled on the path's channel.
	status map[string]int
	hang   map[string]chan struct{}
	gets   map[string]int // GET requests by path
}

func newHostPeer(t *testing.T) *hostPeer {
	p := &hostPeer{docs: map[string]map[string]any{}, gone: map[string]bool{}, status: map[string]int{}, hang: map[string]chan struct{}{},
		gets: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		p.mu.Lock()
		d, gone, status, hang := p.docs[r.URL.Path], p.gone[r.URL.Path], p.status[r.URL.Path], p.hang[r.URL.Path]
		p.gets[r.URL.Path]++
		p.mu.Unlock()
		switch {
		case gone:
			w.WriteHeader(http.StatusGone)
			return
		case status != 0:
			w.WriteHeader(status)
			return
		case hang != nil:
			hang <- struct{}{}
			<-r.Context().Done()
			return
		}
		if d == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ActivityJSONType)
		json.NewEncoder(w).Encode(d)
	}))
	t.Cleanup(p.srv.Close)
	p.base = p.srv.URL
	return p
}

// actor publishes an actor at /users/name with type typ; returns its id.
func (p *hostPeer) actor(t *testing.T, name, typ string) string {
	id := p.base + "/users/" + name
	pem, _ := EncodePublicKeyPEM(&testKey(t, 0).PublicKey)
	p.serve("/users/"+name, map[string]any{
		"@context": []any{ActivityStreamsContext, SecurityContext}, "id": id, "type": typ, "preferredUsername": name,
		"inbox": id + "/inbox", "outbox": id + "/outbox", "followers": id + "/followers",
		"endpoints": map[string]any{"sharedInbox": p.base + "/inbox"},
		"publicKey": map[string]any{"id": id + "#main-key", "owner": id, "publicKeyPem": pem},
	})
	return id
}

func (p *hostPeer) serve(path string, d map[string]any) {
	p.mu.Lock()
	p.docs[path] = d
	p.mu.Unlock()
}

// send posts activity, signed with the key of actor (its id).
func (p *hostPeer) send(t *testing.T, inbox, signerActor string, activity map[string]any) int {
	t.Helper()
	body, _ := json.Marshal(activity)
	return post(t, inbox, body, mustSigner(t, signerActor+"#main-key", testKey(t, 0)), nil)
}

type ownerWorld struct {
	a     *node
	admin *models.Account
	sp    *models.Space
	ctx   context.Context
}

func newOwnerWorld(t *testing.T) *ownerWorld {
	a := newNode(t, nil)
	a.run(t)
	ctx := context.Background()
	admin, err := a.st.CreateAccount(ctx, models.NewAccount{Username: "boss", Password: "correct horse battery", Role: models.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	return &ownerWorld{a: a, admin: admin, sp: a.space(t, "lyon"), ctx: ctx}
}

func (w *ownerWorld) openDebate(t *testing.T, q string, multiple bool) *models.Debate {
	d, err := w.a.st.CreateDebate(w.ctx, w.admin, w.sp, models.DebateInput{Question: q, Options: []string{"Yes", "No"}, Multiple: multiple})
	if err != nil {
		t.Fatal(err)
	}
	if d, err = w.a.st.OpenDebate(w.ctx, w.admin, d.ID); err != nil {
		t.Fatal(err)
	}
	return d
}

func (w *ownerWorld) counts(t *testing.T, d *models.Debate) []int {
	r, err := w.a.st.Results(w.ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := []int{}
	for _, o := range r.Options {
		out = append(out, o.Count)
	}
	return out
}

// processed waits until the inbox item id has been applied (or failed).
func (w *ownerWorld) processed(t *testing.T, id string) {
	t.Helper()
	item := new(models.InboxItem)
	waitFor(t, "item "+id+" applied", func() bool {
		err := w.a.st.DB.NewSelect().Model(item).Where("activity_id = ?", id).Scan(w.ctx)
		return err == nil && (item.ProcessedAt != nil || item.Error != "")
	})
}

func voteCreate(actor, id, question, option string) map[string]any {
	return map[string]any{"id": id + "/activity", "type": "Create", "actor": actor,
		"object": map[string]any{"id": id, "type": "Note", "name": option, "attributedTo": actor, "inReplyTo": question}}
}

// TestDeleteOfActorSignedByAnother: a Delete{Person} signed by another
// account of the host (an instance actor, or any bot: Mastodon's bots are
// Services) is applied only once the actor is gone at its origin.
func TestDeleteOfActorSignedByAnother(t *testing.T) {
	w := newOwnerWorld(t)
	peer := newHostPeer(t)
	alice := peer.actor(t, "alice", "Person")
	bot := peer.actor(t, "newsbot", "Service") // Mastodon serialises bot accounts as Service
	d := w.openDebate(t, "Trees?", false)
	inbox := w.a.srv.URL + "/inbox"

	if got := peer.send(t, inbox, alice, voteCreate(alice, alice+"#votes/1", d.URI, "Yes")); got != http.StatusAccepted {
		t.Fatalf("vote: %d", got)
	}
	waitFor(t, "alice's vote", func() bool { return slices.Equal(w.counts(t, d), []int{1, 0}) })

	del := map[string]any{"id": peer.base + "/deletes/1", "type": "Delete", "actor": alice, "object": alice}
	got := peer.send(t, inbox, bot, del) // signed by the bot, not by alice nor the instance actor
	if got == http.StatusAccepted {
		w.processed(t, peer.base+"/deletes/1")
	}
	a, _ := w.a.st.ActorByURI(w.ctx, alice)
	if a.DeletedAt != nil || !slices.Equal(w.counts(t, d), []int{1, 0}) {
		t.Fatalf("a bot of alice's host deleted her: inbox %d, deleted_at %v, counts %v", got, a.DeletedAt, w.counts(t, d))
	}
	// Once her server answers 404 for her, the same Delete is applied.
	peer.mu.Lock()
	delete(peer.docs, "/users/alice")
	peer.mu.Unlock()
	del["id"] = peer.base + "/deletes/2"
	if got := peer.send(t, inbox, bot, del); got != http.StatusAccepted {
		t.Fatalf("delete of a gone actor: %d", got)
	}
	waitFor(t, "alice deleted", func() bool {
		a, err := w.a.st.ActorByURI(w.ctx, alice)
		return err == nil && a.DeletedAt != nil
	})
}

// TestAnnounceOfBlockedDomainActivity: an activity of a blocked domain is
// not applied when another server Announces it by id.
func TestAnnounceOfBlockedDomainActivity(t *testing.T) {
	w := newOwnerWorld(t)
	bad, relay := newHostPeer(t), newHostPeer(t)
	bob := bad.actor(t, "bob", "Person")
	mallory := relay.actor(t, "mallory", "Person")
	d := w.openDebate(t, "Parking?", false)
	if _, err := w.a.s.fetchActor(w.ctx, bob); err != nil { // bob was known before the block
		t.Fatal(err)
	}
	if err := w.a.s.BlockDomain(w.ctx, w.admin, hostOf(bad.base), "spam"); err != nil {
		t.Fatal(err)
	}
	act := voteCreate(bob, bob+"/votes/1", d.URI, "Yes")
	act["id"] = bad.base + "/acts/1"
	bad.serve("/acts/1", act)
	ann := map[string]any{"id": mallory + "#a1", "type": "Announce", "actor": mallory, "object": bad.base + "/acts/1"}
	if got := relay.send(t, w.a.srv.URL+"/inbox", mallory, ann); got != http.StatusAccepted {
		t.Fatalf("announce: %d", got)
	}
	w.processed(t, mallory+"#a1")
	if got := w.counts(t, d); !slices.Equal(got, []int{0, 0}) {
		r, _ := w.a.st.Results(w.ctx, d.ID)
		t.Errorf("vote of blocked %s counted through an Announce: %v by_instance=%v", hostOf(bad.base), got, r.ByInstance)
	}
}

// TestAnnounceCannotImpersonate: an embedded activity announced by an
// actor that is not a Group is not taken as its actor's word: mallory
// cannot cast alice's vote nor delete alice by announcing what she wrote
// in their names (the ids do not resolve at their origin).
func TestAnnounceCannotImpersonate(t *testing.T) {
	w := newOwnerWorld(t)
	peer := newHostPeer(t)
	alice := peer.actor(t, "alice", "Person")
	mallory := peer.actor(t, "mallory", "Person")
	if _, err := w.a.s.fetchActor(w.ctx, alice); err != nil {
		t.Fatal(err)
	}
	d := w.openDebate(t, "Tram?", false)
	inbox := w.a.srv.URL + "/inbox"
	forged := voteCreate(alice, peer.base+"/forged/vote", d.URI, "No")
	forged["id"] = peer.base + "/forged/create"
	ann := map[string]any{"id": mallory + "#a1", "type": "Announce", "actor": mallory, "object": forged}
	if got := peer.send(t, inbox, mallory, ann); got != http.StatusAccepted {
		t.Fatal(got)
	}
	w.processed(t, mallory+"#a1")
	if got := w.counts(t, d); !slices.Equal(got, []int{0, 0}) {
		t.Errorf("mallory's Announce cast a vote in alice's name: counts %v", got)
	}
	del := map[string]any{"id": peer.base + "/forged/delete", "type": "Delete", "actor": alice, "object": alice}
	ann2 := map[string]any{"id": mallory + "#a2", "type": "Announce", "actor": mallory, "object": del}
	if got := peer.send(t, inbox, mallory, ann2); got != http.StatusAccepted {
		t.Fatal(got)
	}
	w.processed(t, mallory+"#a2")
	if a, _ := w.a.st.ActorByURI(w.ctx, alice); a.DeletedAt != nil {
		t.Errorf("mallory's Announce{Delete} deleted alice")
	}
	// Alice's real vote, fetchable at its origin: announced by mallory it
	// is still not applied (only groups relay activities); announced by
	// the host's group, it is.
	vote := voteCreate(alice, peer.base+"/votes/1", d.URI, "Yes")
	vote["id"] = peer.base + "/acts/vote1"
	peer.serve("/acts/vote1", vote)
	group := peer.actor(t, "city", "Group")
	for i, by := range []string{mallory, group} {
		id := by + "#a" + string(rune('3'+i))
		if got := peer.send(t, inbox, by, map[string]any{"id": id, "type": "Announce", "actor": by, "object": peer.base + "/acts/vote1"}); got != http.StatusAccepted {
			t.Fatal(got)
		}
		w.processed(t, id)
		want := [][]int{{0, 0}, {1, 0}}[i]
		if got := w.counts(t, d); !slices.Equal(got, want) {
			t.Errorf("alice's vote announced by %s: counts %v, want %v", by, got, want)
		}
	}
}

// TestUpdateOfAnotherActorsCopy: another account of the origin host can
// neither Update a copy attributed to someone else (which would also void
// the local ballots of a debate) nor Create over it.
func TestUpdateOfAnotherActorsCopy(t *testing.T) {
	w := newOwnerWorld(t)
	peer := newHostPeer(t)
	alice := peer.actor(t, "alice", "Person")
	mallory := peer.actor(t, "mallory", "Person")
	now := time.Now().UTC()
	question := func(name string, opts []string, updated time.Time) map[string]any {
		var oneOf []any
		for _, o := range opts {
			oneOf = append(oneOf, map[string]any{"type": "Note", "name": o, "replies": map[string]any{"type": "Collection", "totalItems": 5}})
		}
		return map[string]any{"id": peer.base + "/d/1", "type": "Question", "attributedTo": alice, "name": name,
			"content": "<p>" + name + "</p>", "oneOf": oneOf, "odn:type": "Debate", "odn:status": "open",
			"published": now.Add(-time.Hour).Format(time.RFC3339), "updated": updated.Format(time.RFC3339)}
	}
	prop := func(title string, supports int) map[string]any {
		return map[string]any{"id": peer.base + "/p/1", "type": "Note", "attributedTo": alice, "name": title,
			"content": "<p>" + title + "</p>", "odn:type": "Proposal", "odn:status": "open", "odn:supports": supports,
			"published": now.Add(-time.Hour).Format(time.RFC3339)}
	}
	// The copies, as a lookup would store them (fetched from the origin).
	if _, err := w.a.s.storeCopy(w.ctx, question("Alice's question", []string{"A", "B"}, now.Add(-time.Minute))); err != nil {
		t.Fatal(err)
	}
	if _, err := w.a.s.storeCopy(w.ctx, prop("Alice's proposal", 3)); err != nil {
		t.Fatal(err)
	}
	p0, err := w.a.st.ProposalByURI(w.ctx, peer.base+"/p/1")
	if err != nil {
		t.Fatal(err)
	}
	// A local member votes on the copy.
	voter := w.a.user(t, "ann")
	dc, _ := w.a.st.DebateByURI(w.ctx, peer.base+"/d/1")
	if _, err := w.a.st.CastVote(w.ctx, voter.Actor, dc.ID, []string{"A"}); err != nil {
		t.Fatal(err)
	}

	inbox := w.a.srv.URL + "/inbox"
	upd := map[string]any{"id": mallory + "#u1", "type": "Update", "actor": mallory,
		"object": question("Mallory's question", []string{"X", "Y"}, now)}
	if got := peer.send(t, inbox, mallory, upd); got == http.StatusAccepted {
		w.processed(t, mallory+"#u1")
	}
	create := map[string]any{"id": mallory + "#c1", "type": "Create", "actor": mallory, "object": func() map[string]any {
		m := prop("Mallory's proposal", 9999)
		m["attributedTo"] = mallory
		return m
	}()}
	if got := peer.send(t, inbox, mallory, create); got == http.StatusAccepted {
		w.processed(t, mallory+"#c1")
	}
	dc, _ = w.a.st.DebateByURI(w.ctx, peer.base+"/d/1")
	p, _ := w.a.st.ProposalByURI(w.ctx, peer.base+"/p/1")
	if dc.Question != "Alice's question" || !slices.Equal(dc.Options, []string{"A", "B"}) {
		t.Errorf("mallory rewrote alice's debate copy: %q %v", dc.Question, dc.Options)
	}
	if n, _ := w.a.st.DB.NewSelect().Model((*models.Ballot)(nil)).Where("debate_id = ? AND actor_id = ?", dc.ID, voter.Actor.ID).Count(w.ctx); n == 0 {
		t.Errorf("ann's ballot on the copy was deleted by mallory's Update")
	}
	if p.Title != "Alice's proposal" || p.SupportsCount != p0.SupportsCount || p.AuthorID != p0.AuthorID {
		t.Errorf("mallory rewrote alice's proposal copy: %q supports=%d", p.Title, p.SupportsCount)
	}
}

// TestDeleteOfAnotherActorsCopy: another account of the origin host can
// neither delete a copy nor tombstone its id; its author can.
func TestDeleteOfAnotherActorsCopy(t *testing.T) {
	w := newOwnerWorld(t)
	peer := newHostPeer(t)
	alice := peer.actor(t, "alice", "Person")
	mallory := peer.actor(t, "mallory", "Person")
	doc := map[string]any{"id": peer.base + "/p/1", "type": "Note", "attributedTo": alice,
		"name": "Alice's proposal", "content": "<p>x</p>", "odn:type": "Proposal", "odn:supports": 3}
	peer.serve("/p/1", doc) // still there at its origin
	if _, err := w.a.s.storeCopy(w.ctx, doc); err != nil {
		t.Fatal(err)
	}
	del := map[string]any{"id": mallory + "#d1", "type": "Delete", "actor": mallory,
		"object": map[string]any{"id": peer.base + "/p/1", "type": "Tombstone"}}
	if got := peer.send(t, w.a.srv.URL+"/inbox", mallory, del); got == http.StatusAccepted {
		w.processed(t, mallory+"#d1")
	}
	if _, err := w.a.st.ProposalByURI(w.ctx, peer.base+"/p/1"); err != nil {
		t.Errorf("mallory deleted alice's proposal copy: %v", err)
	}
	if dead, _ := w.a.st.IsTombstoned(w.ctx, peer.base+"/p/1"); dead {
		t.Errorf("alice's proposal is tombstoned by mallory: it can never be copied again")
	}
	// Nor can she tombstone an id nothing here has yet (alice's next).
	del["id"], del["object"] = mallory+"#d2", peer.base+"/p/2"
	if got := peer.send(t, w.a.srv.URL+"/inbox", mallory, del); got == http.StatusAccepted {
		w.processed(t, mallory+"#d2")
	}
	if dead, _ := w.a.st.IsTombstoned(w.ctx, peer.base+"/p/2"); dead {
		t.Errorf("mallory tombstoned an id that is not hers")
	}
	// Alice deletes her own: the copy goes, its id is tombstoned.
	del = map[string]any{"id": alice + "#d1", "type": "Delete", "actor": alice,
		"object": map[string]any{"id": peer.base + "/p/1", "type": "Tombstone"}}
	if got := peer.send(t, w.a.srv.URL+"/inbox", alice, del); got != http.StatusAccepted {
		t.Fatalf("alice's delete: %d", got)
	}
	w.processed(t, alice+"#d1")
	if _, err := w.a.st.ProposalByURI(w.ctx, peer.base+"/p/1"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("alice's own delete: the copy is still here (%v)", err)
	}
	if dead, _ := w.a.st.IsTombstoned(w.ctx, peer.base+"/p/1"); !dead {
		t.Errorf("alice's own delete: no tombstone")
	}
}

// TestUndoOfAnotherActorsVote: an Undo naming another actor's vote Note
// neither withdraws the vote nor forgets its record, so the voter's own
// Delete of it still withdraws it.
func TestUndoOfAnotherActorsVote(t *testing.T) {
	w := newOwnerWorld(t)
	peer, other := newHostPeer(t), newHostPeer(t)
	alice := peer.actor(t, "alice", "Person")
	mallory := other.actor(t, "mallory", "Person")
	d := w.openDebate(t, "Bikes?", true)
	inbox := w.a.srv.URL + "/inbox"
	note := alice + "#votes/1"
	if got := peer.send(t, inbox, alice, voteCreate(alice, note, d.URI, "Yes")); got != http.StatusAccepted {
		t.Fatalf("vote %d", got)
	}
	waitFor(t, "alice's vote", func() bool { return slices.Equal(w.counts(t, d), []int{1, 0}) })

	undo := map[string]any{"id": mallory + "#undo1", "type": "Undo", "actor": mallory,
		"object": map[string]any{"type": "Create", "object": map[string]any{"id": note, "type": "Note", "name": "Yes", "inReplyTo": d.URI}}}
	if got := other.send(t, inbox, mallory, undo); got != http.StatusAccepted {
		t.Fatalf("undo %d", got)
	}
	w.processed(t, mallory+"#undo1")
	if _, err := w.a.st.ParticipationByURI(w.ctx, note); err != nil {
		t.Errorf("mallory's Undo erased alice's vote record: %v", err)
	}
	// Alice withdraws her vote by deleting the vote Note (documented).
	del := map[string]any{"id": alice + "#del1", "type": "Delete", "actor": alice, "object": note}
	if got := peer.send(t, inbox, alice, del); got != http.StatusAccepted {
		t.Fatalf("delete %d", got)
	}
	w.processed(t, alice+"#del1")
	if got := w.counts(t, d); !slices.Equal(got, []int{0, 0}) {
		t.Errorf("alice's Delete of her vote Note did not withdraw it: counts %v", got)
	}
}

// TestRejectByNonAuthor: only a debate's author (or its instance actor)
// may Reject a vote sent to it; another account of that host cannot make
// a local member's vote disappear.
func TestRejectByNonAuthor(t *testing.T) {
	w := newOwnerWorld(t)
	peer := newHostPeer(t)
	alice := peer.actor(t, "alice", "Person")
	mallory := peer.actor(t, "mallory", "Person")
	now := time.Now().UTC()
	if _, err := w.a.s.storeCopy(w.ctx, map[string]any{"id": peer.base + "/d/1", "type": "Question", "attributedTo": alice,
		"name": "Alice's question", "oneOf": []any{map[string]any{"type": "Note", "name": "A"}, map[string]any{"type": "Note", "name": "B"}},
		"odn:type": "Debate", "odn:status": "open", "updated": now.Format(time.RFC3339)}); err != nil {
		t.Fatal(err)
	}
	voter := w.a.user(t, "ann")
	dc, _ := w.a.st.DebateByURI(w.ctx, peer.base+"/d/1")
	if _, err := w.a.st.CastVote(w.ctx, voter.Actor, dc.ID, []string{"A"}); err != nil {
		t.Fatal(err)
	}
	var sent []models.Participation
	waitFor(t, "the vote sent", func() bool {
		sent, _ = w.a.st.SentParticipations(w.ctx, models.ParticipationVote, models.ObjectTypeDebate, dc.ID, voter.Actor.ID)
		return len(sent) == 1
	})
	rej := map[string]any{"id": mallory + "#r1", "type": "Reject", "actor": mallory, "object": sent[0].ActivityURI}
	if got := peer.send(t, w.a.srv.URL+"/inbox", mallory, rej); got == http.StatusAccepted {
		w.processed(t, mallory+"#r1")
	}
	if got := w.counts(t, dc); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("mallory (not the debate's author) had ann's vote withdrawn: counts %v", got)
	}
}

// likeScene is a running node with ann's proposal in space lyon, and what
// alice of a fake Mastodon sends about it: her Like and its Undo.
type likeScene struct {
	a          *node
	masto      *fakeMastodon
	prop       *models.Proposal
	like, undo []byte
	likeID     string
}

func newLikeScene(t *testing.T) *likeScene {
	t.Helper()
	sc := &likeScene{a: newNode(t, nil), masto: newFakeMastodon(t)}
	sc.a.run(t)
	citizen := sc.a.user(t, "ann")
	sp := sc.a.space(t, "lyon")
	var err error
	sc.prop, err = sc.a.st.CreateProposal(context.Background(), citizen.Actor, "lyon", models.ProposalInput{Title: "Cycle lanes on the quays", Body: "Paint them."})
	if err != nil {
		t.Fatal(err)
	}
	pairs := []string{"https://odn.example/proposals/7", sc.prop.URI, "https://mastodon.example", sc.masto.base, "https://odn.example/spaces/lyon", sp.Actor.URI}
	sc.like, sc.undo = mastodonFixture(t, "like", pairs...), mastodonFixture(t, "undo_like", pairs...)
	sc.likeID = sc.masto.base + "/users/alice#likes/2718"
	return sc
}

// send posts one of alice's activities to the node's shared inbox.
func (sc *likeScene) send(t *testing.T, body []byte) {
	t.Helper()
	sc.masto.send(t, sc.a.srv.URL+"/inbox", "/users/alice", sc.masto.key, body)
}

// supports is the proposal's count.
func (sc *likeScene) supports() int {
	p, _ := sc.a.st.ProposalByID(context.Background(), sc.prop.ID)
	return p.SupportsCount
}

// TestUndoLikeWhileHidden: a Mastodon un-favourite received while the
// proposal is hidden withdraws the support; restored, it is not counted.
func TestUndoLikeWhileHidden(t *testing.T) {
	sc := newLikeScene(t)
	ctx := context.Background()
	st := sc.a.st
	admin, err := st.CreateAccount(ctx, models.NewAccount{Username: "boss", Password: "correct horse battery", Role: models.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	sc.send(t, sc.like)
	waitFor(t, "one support", func() bool { return sc.supports() == 1 })
	if err := st.HideObject(ctx, admin, "proposal", sc.prop.ID, "check"); err != nil {
		t.Fatal(err)
	}
	sc.send(t, sc.undo)
	waitFor(t, "the Undo applied (record forgotten)", func() bool { _, err := st.ParticipationByURI(ctx, sc.likeID); return err != nil })
	if err := st.RestoreObject(ctx, admin, "proposal", sc.prop.ID, "ok"); err != nil {
		t.Fatal(err)
	}
	if n := sc.supports(); n != 0 {
		t.Errorf("Alice un-favourited while the proposal was hidden; after restore the support is still counted (%d)", n)
	}
}

// TestOldKeyAfterRotation: once an actor's Update{Person} brings a new
// key, a request signed with the old one is refused at once.
func TestOldKeyAfterRotation(t *testing.T) {
	w := newOwnerWorld(t)
	peer := newHostPeer(t)
	alice := peer.actor(t, "alice", "Person")
	inbox := w.a.srv.URL + "/inbox"
	f := map[string]any{"id": alice + "#f1", "type": "Follow", "actor": alice, "object": w.sp.Actor.URI}
	if got := peer.send(t, inbox, alice, f); got != http.StatusAccepted { // old key now cached
		t.Fatal(got)
	}
	newPEM, _ := EncodePublicKeyPEM(&testKey(t, 1).PublicKey)
	doc := map[string]any{}
	for k, v := range peer.docs["/users/alice"] {
		doc[k] = v
	}
	doc["publicKey"] = map[string]any{"id": alice + "#main-key", "owner": alice, "publicKeyPem": newPEM}
	peer.serve("/users/alice", doc)
	upd := map[string]any{"id": alice + "#rot", "type": "Update", "actor": alice, "object": doc}
	body, _ := json.Marshal(upd)
	if got := post(t, inbox, body, mustSigner(t, alice+"#main-key", testKey(t, 0)), nil); got != http.StatusAccepted {
		t.Fatal(got)
	}
	w.processed(t, alice+"#rot")
	stale := map[string]any{"id": alice + "#f2", "type": "Follow", "actor": alice, "object": w.sp.Actor.URI}
	body, _ = json.Marshal(stale)
	if got := post(t, inbox, body, mustSigner(t, alice+"#main-key", testKey(t, 0)), nil); got == http.StatusAccepted {
		t.Errorf("a request signed with alice's rotated-out key was accepted (202)")
	}
}

// TestUndoBeforeItsLike: when an actor's Undo is applied before the Like
// it undoes (two nodes share the inbox, or the Like failed and was
// retried), the Like does not count afterwards, nor when re-sent.
func TestUndoBeforeItsLike(t *testing.T) {
	sc := newLikeScene(t)
	ctx := context.Background()
	st := sc.a.st
	sc.send(t, sc.undo)
	waitFor(t, "the Undo applied", func() bool { dead, _ := st.IsTombstoned(ctx, sc.likeID); return dead })
	sc.send(t, sc.like)
	var m map[string]any
	if err := json.Unmarshal(sc.like, &m); err != nil {
		t.Fatal(err)
	}
	activityID, _ := m["id"].(string)
	waitFor(t, "the Like applied", func() bool {
		var it models.InboxItem
		err := st.DB.NewSelect().Model(&it).Where("activity_id = ?", activityID).Scan(ctx)
		return err == nil && (it.ProcessedAt != nil || it.Error != "")
	})
	if n := sc.supports(); n != 0 {
		t.Errorf("a Like applied after its Undo counts: %d support(s)", n)
	}
}
