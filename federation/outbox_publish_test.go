package federation

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// peerInbox is a fake remote server recording what it receives.
type peerInbox struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []map[string]any
}

func newPeerInbox(t *testing.T) *peerInbox {
	p := &peerInbox{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		if json.Unmarshal(body, &m) == nil && r.Header.Get("Signature") != "" {
			p.mu.Lock()
			p.got = append(p.got, m)
			p.mu.Unlock()
		}
		w.WriteHeader(202)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// find returns the received activities matching typ and, for
// Announce, whose object is of type objType ("" for an id).
func (p *peerInbox) find(typ, objType string) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, m := range p.got {
		if m["type"] == typ && typeOf(m["object"]) == objType {
			out = append(out, m)
		}
	}
	return out
}

// announcedCreate returns the Creates of objType the peer got inside the
// space's Announce{Create} (how a space's followers get new top-level
// objects).
func (p *peerInbox) announcedCreate(objType string) []map[string]any {
	var out []map[string]any
	for _, a := range p.find("Announce", "Create") {
		if c, ok := a["object"].(map[string]any); ok && typeOf(c["object"]) == objType {
			out = append(out, c)
		}
	}
	return out
}

// follower makes a remote actor of the peer follow local actor a.
func (p *peerInbox) follower(t *testing.T, n *node, name string, a *models.Actor) *models.Actor {
	t.Helper()
	ctx := context.Background()
	remote, err := n.st.UpsertRemoteActor(ctx, &models.Actor{URI: p.srv.URL + "/users/" + name, Type: "Person", Username: name,
		Host: hostOf(p.srv.URL), Inbox: p.srv.URL + "/users/" + name + "/inbox", SharedInbox: p.srv.URL + "/shared",
		PublicKeyID: p.srv.URL + "/users/" + name + "#main-key", PublicKeyPEM: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.st.ReceiveFollow(ctx, remote, a, p.srv.URL+"/follows/"+name+"/"+a.Username, true); err != nil {
		t.Fatal(err)
	}
	return remote
}

// getAS fetches path from the node as ActivityStreams.
func getAS(t *testing.T, n *node, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", n.srv.URL+path, nil)
	req.Header.Set("Accept", ActivityJSONType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m) //nolint:errcheck // checked by callers
	return resp.StatusCode, m
}

// serveAS answers ServeObject (web's door) for kind and id.
func serveAS(n *node, kind, id string) (int, map[string]any) {
	req := httptest.NewRequest("GET", n.srv.URL+"/x", nil)
	req.Header.Set("Accept", ActivityJSONType)
	rec := httptest.NewRecorder()
	n.s.ServeObject(rec, req, kind, id)
	var m map[string]any
	json.Unmarshal(rec.Body.Bytes(), &m) //nolint:errcheck // checked by callers
	return rec.Code, m
}

// TestPublishProposal: a new proposal reaches a follower of its space as
// the space's Announce{Create} (the author's Create inside) and the bare
// boost, two POSTs and no separate Create; supports become one batched Update{Note}; the object, its replies
// and the author's outbox are served; hiding it sends a Delete and
// answers 410.
func TestPublishProposal(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	peer := newPeerInbox(t)
	ville := a.space(t, "ville")
	alice, bob, carol := a.user(t, "alice"), a.user(t, "bob"), a.user(t, "carol")
	peer.follower(t, a, "fan", ville.Actor)
	a.run(t)

	p, err := a.st.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: "Des bancs place Carnot", Body: "Il manque des **bancs**.", Tags: []string{"mobilier"}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two Announces", func() bool {
		return len(peer.find("Announce", "Create")) == 1 && len(peer.find("Announce", "")) == 1
	})
	create := peer.announcedCreate("Note")[0]
	if create["actor"] != alice.Actor.URI || idOf(create["object"]) != p.URI {
		t.Errorf("create: %v", create)
	}
	if n := len(peer.find("Create", "Note")); n != 0 {
		t.Errorf("%d direct Creates to a follower of the space, want 0 (the Announce carries it)", n)
	}
	if boost := peer.find("Announce", ""); boost[0]["object"] != p.URI || boost[0]["actor"] != ville.Actor.URI {
		t.Errorf("boost: %v", boost[0])
	}

	// Two supports in a row: one Update now, the next at most 30 s later.
	if _, err := a.st.Support(ctx, bob.Actor, p.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Update{Note}", func() bool { return len(peer.find("Update", "Note")) == 1 })
	if _, err := a.st.Support(ctx, carol.Actor, p.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "second count update scheduled", func() bool {
		cu, err := a.st.CountUpdateOf(ctx, models.ObjectTypeProposal, p.ID)
		return err == nil && cu.DueAt != nil && cu.SentAt != nil && !cu.DueAt.Before(cu.SentAt.Add(CountUpdateDelay-time.Second))
	})
	time.Sleep(200 * time.Millisecond)
	if n := len(peer.find("Update", "Note")); n != 1 {
		t.Errorf("%d Updates within the batching window, want 1", n)
	}
	upd := peer.find("Update", "Note")[0]
	if obj := upd["object"].(map[string]any); obj[PropODNSupports] != float64(1) || obj["updated"] == nil {
		t.Errorf("update object: supports %v updated %v", obj[PropODNSupports], obj["updated"])
	}

	// Serving.
	id := strconv.FormatInt(p.ID, 10)
	if code, m := serveAS(a, "proposal", id); code != 200 || m["type"] != "Note" || m[PropODNType] != ODNTypeProposal {
		t.Errorf("GET proposal: %d %v", code, m)
	}
	if code, _ := serveAS(a, "proposal", "999"); code != 404 {
		t.Errorf("unknown proposal: %d, want 404", code)
	}
	if _, err := a.st.CreateComment(ctx, bob.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "Oui !"}); err != nil {
		t.Fatal(err)
	}
	if code, m := getAS(t, a, "/p/"+id+"/replies"); code != 200 || m["totalItems"] != float64(1) {
		t.Errorf("replies: %d %v", code, m)
	}
	if code, m := getAS(t, a, "/p/"+id+"/replies?page=1"); code != 200 || len(m["items"].([]any)) != 1 {
		t.Errorf("replies page: %d %v", code, m)
	}
	if code, m := getAS(t, a, "/actors/alice/outbox?page=1"); code != 200 || len(m["orderedItems"].([]any)) != 1 {
		t.Errorf("outbox: %d %v", code, m)
	} else if item := m["orderedItems"].([]any)[0].(map[string]any); item["type"] != "Create" || idOf(item["object"]) != p.URI {
		t.Errorf("outbox item %v", item)
	}
	if code, m := getAS(t, a, "/actors/ville/outbox"); code != 200 || m["totalItems"] != float64(1) {
		t.Errorf("space outbox: %d %v", code, m)
	}
	req, _ := http.NewRequest("GET", a.srv.URL+"/p/"+id+"/replies", nil)
	req.Header.Set("Accept", "text/html")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := client.Do(req); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Errorf("browser on replies: %v %v", resp, err)
	}

	// The comment went out as Create{Note} and Announce{Create}, no boost.
	waitFor(t, "comment Create", func() bool { return len(peer.find("Announce", "Create")) == 2 })
	if n := len(peer.find("Announce", "")); n != 1 {
		t.Errorf("%d bare boosts, want 1 (none for comments)", n)
	}

	// Moderation hides it: Delete{Tombstone} and 410, and the Delete of
	// its comment, unreadable with it.
	mod := a.user(t, "modo")
	if _, err := a.st.DB.NewUpdate().Model((*models.Account)(nil)).Set("role = ?", models.RoleModerator).Where("id = ?", mod.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	mod.Role = models.RoleModerator
	if err := a.st.HideObject(ctx, mod, models.ObjectTypeProposal, p.ID, "spam"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Deletes", func() bool { return len(peer.find("Delete", "Tombstone")) == 2 })
	if code, m := serveAS(a, "proposal", id); code != 410 || m["type"] != "Tombstone" {
		t.Errorf("hidden proposal: %d %v", code, m)
	}
}

// TestPublishDebateResults: an open debate goes out as a Question; votes
// on a debate whose results are shown only at the close send no counts,
// and the close sends the final Update{Question} with them.
func TestPublishDebateResults(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	peer := newPeerInbox(t)
	ville := a.space(t, "ville")
	mod, bob := a.user(t, "modo"), a.user(t, "bob")
	if _, err := a.st.DB.NewUpdate().Model((*models.Account)(nil)).Set("role = ?", models.RoleModerator).Where("id = ?", mod.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	mod.Role = models.RoleModerator
	peer.follower(t, a, "fan", ville.Actor)
	a.run(t)
	d, err := a.st.CreateDebate(ctx, mod, ville, models.DebateInput{Question: "Quel aménagement ?", Options: []string{"Jardin", "Marché"},
		ResultsVisibility: models.ResultsAfterClose})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(d.ID, 10)
	if code, _ := serveAS(a, "debate", id); code != 404 {
		t.Errorf("draft debate served: %d", code)
	}
	if _, err := a.st.OpenDebate(ctx, mod, d.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Announce{Create{Question}}", func() bool { return len(peer.announcedCreate("Question")) == 1 })
	if _, err := a.st.CastVote(ctx, bob.Actor, d.ID, []string{"Jardin"}); err != nil {
		t.Fatal(err)
	}
	code, m := serveAS(a, "debate", id)
	if _, leak := m[PropVotersCount]; code != 200 || leak {
		t.Errorf("open debate with hidden results: %d %v", code, m)
	}
	if _, err := a.st.CloseDebate(ctx, mod, d.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "final Update{Question}", func() bool { return len(peer.find("Update", "Question")) == 1 })
	q := peer.find("Update", "Question")[0]["object"].(map[string]any)
	opts := q["oneOf"].([]any)
	if q["closed"] == nil || q[PropVotersCount] != float64(1) || opts[0].(map[string]any)["replies"].(map[string]any)["totalItems"] != float64(1) {
		t.Errorf("final results: %v", q)
	}
	if n := len(peer.find("Update", "Question")); n != 1 {
		t.Errorf("%d Updates, want only the final one", n)
	}
}

// TestServePetitionParts: a petition, its update and its response are
// served under their ids, go out as Create{Question} and Create{Note}, and
// the answer id 404s before there is one; with authorized fetch the
// replies collection needs a signature.
func TestServePetitionParts(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, func(o *Options) { o.AuthorizedFetch = true })
	peer := newPeerInbox(t)
	ville := a.space(t, "ville")
	alice, maire := a.user(t, "alice"), a.user(t, "maire")
	if _, err := a.st.DB.NewUpdate().Model((*models.Account)(nil)).Set("decider = ?", true).Where("id = ?", maire.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	peer.follower(t, a, "fan", ville.Actor)
	a.run(t)
	closes := time.Now().Add(48 * time.Hour)
	p, err := a.st.CreatePetition(ctx, alice.Actor, "ville", models.PetitionInput{Title: "Sauvons le marché", Body: "Le samedi.",
		Addressee: "maire", Goal: 100, ClosesAt: &closes})
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.st.PostPetitionUpdate(ctx, alice.Actor, p.ID, "Rendez-vous jeudi.")
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(p.ID, 10)
	if code, m := serveAS(a, "petition", id); code != 401 {
		t.Errorf("unsigned fetch with authorized fetch: %d %v", code, m)
	}
	if code, _ := getAS(t, a, "/pe/"+id+"/replies"); code != 401 {
		t.Errorf("unsigned replies with authorized fetch: %d", code)
	}
	a.s.opts.AuthorizedFetch = false // the rest reads without signatures
	if code, m := serveAS(a, "petition", id); code != 200 || m["type"] != "Question" || m["anyOf"].([]any)[0].(map[string]any)["name"] != SignOption {
		t.Errorf("petition: %d %v", code, m)
	}
	if code, m := getAS(t, a, "/pe/"+id+"/updates/"+strconv.FormatInt(u.ID, 10)); code != 200 || m["id"] != u.URI || m["inReplyTo"] != p.URI {
		t.Errorf("petition update: %d %v", code, m)
	}
	if code, _ := getAS(t, a, "/pe/"+id+"/response"); code != 404 {
		t.Errorf("response before the answer: %d, want 404", code)
	}
	if _, err := a.st.RespondPetition(ctx, maire, p.ID, "Le marché reste le samedi."); err != nil {
		t.Fatal(err)
	}
	if code, m := getAS(t, a, "/pe/"+id+"/response"); code != 200 || m["attributedTo"] != maire.Actor.URI || m[PropODNType] != ODNTypeAnswer {
		t.Errorf("response: %d %v", code, m)
	}
	waitFor(t, "Create{Question}, two Create{Note} and the final Update", func() bool {
		return len(peer.announcedCreate("Question")) == 1 && len(peer.announcedCreate("Note")) == 2 && len(peer.find("Update", "Question")) == 1
	})
	final := peer.find("Update", "Question")[0]["object"].(map[string]any)
	if final[PropODNStatus] != models.PetitionAnswered || final["closed"] == nil {
		t.Errorf("final update: %v", final)
	}
}
