package federation

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestGroupAnnouncesToFollowersSharedInbox: a space's Announce of an
// activity (and of the bare object, for Mastodon) goes once to each
// follower's shared inbox, signed by the group, with audience set.
func TestGroupAnnouncesToFollowersSharedInbox(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(body, &m) //nolint:errcheck // checked below
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
		if r.URL.Path != "/shared" || r.Header.Get("Signature") == "" {
			w.WriteHeader(400)
			return
		}
		w.WriteHeader(202)
	}))
	defer peer.Close()
	a := newNode(t, nil)
	ctx := context.Background()
	ville := a.space(t, "ville")
	a.run(t) // the space.created event goes first, to nobody
	waitFor(t, "space.created processed", func() bool { evs, _ := a.st.PendingEvents(ctx, 10); return len(evs) == 0 })
	for _, name := range []string{"u1", "u2"} { // two followers, one shared inbox
		remote, err := a.st.UpsertRemoteActor(ctx, &models.Actor{URI: peer.URL + "/users/" + name, Type: "Person", Username: name,
			Host: hostOf(peer.URL), Inbox: peer.URL + "/users/" + name + "/inbox", SharedInbox: peer.URL + "/shared",
			PublicKeyID: peer.URL + "/users/" + name + "#main-key", PublicKeyPEM: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.st.ReceiveFollow(ctx, remote, ville.Actor, peer.URL+"/follows/"+name, true); err != nil {
			t.Fatal(err)
		}
	}
	note := doc{"id": a.srv.URL + "/p/1", "type": "Note", "attributedTo": a.srv.URL + "/actors/alice", "content": "<p>hi</p>"}
	create := activityDoc(a.srv.URL+"/p/1/activity", "Create", a.srv.URL+"/actors/alice", note, []string{PublicCollection}, nil)
	out, err := a.s.AnnounceToFollowers(ctx, ville.Actor, create, note)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.EnqueueDeliveries(ctx, out...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two announces", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= 2 })
	waitFor(t, "deliveries recorded", func() bool { c, _ := a.st.DeliveryCounts(ctx); return c[models.DeliveryDone] == 2 })
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("peer got %d requests, want 2 (one per activity, shared inbox)", len(got))
	}
	for _, m := range got {
		if m["type"] != "Announce" || m["actor"] != ville.Actor.URI || m["audience"] != ville.Actor.URI {
			t.Errorf("bad announce: %v", m)
		}
	}
	if typeOf(got[0]["object"]) != "Create" && typeOf(got[1]["object"]) != "Create" {
		t.Error("no Announce{Create}")
	}
	if idOf(got[0]["object"]) != note["id"] && idOf(got[1]["object"]) != note["id"] {
		t.Error("no Announce of the bare object")
	}
}
