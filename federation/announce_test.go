package federation

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
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

// TestAnnounceFormPerServer: new content reaches each follower's server
// once in the form it shows when its software is known (Announce{Note}
// for Mastodon, Announce{Create} for odn), and in both forms otherwise;
// an Update (no bare object) goes as Announce{Update} to all.
func TestAnnounceFormPerServer(t *testing.T) {
	type peer struct {
		srv      *httptest.Server
		mu       sync.Mutex
		objects  []string // the type or id of each Announce's object
		software string
	}
	peers := []*peer{{software: "mastodon"}, {software: "odn"}, {software: ""}}
	for _, p := range peers {
		p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var m map[string]any
			json.NewDecoder(r.Body).Decode(&m) //nolint:errcheck // checked below
			p.mu.Lock()
			if typeOf(m["object"]) != "" {
				p.objects = append(p.objects, typeOf(m["object"]))
			} else {
				p.objects = append(p.objects, idOf(m["object"]))
			}
			p.mu.Unlock()
			w.WriteHeader(202)
		}))
		defer p.srv.Close()
	}
	a := newNode(t, nil)
	ctx := context.Background()
	ville := a.space(t, "ville")
	a.run(t)
	waitFor(t, "space.created processed", func() bool { evs, _ := a.st.PendingEvents(ctx, 10); return len(evs) == 0 })
	for _, p := range peers {
		host := hostOf(p.srv.URL)
		remote, err := a.st.UpsertRemoteActor(ctx, &models.Actor{URI: p.srv.URL + "/users/u", Type: "Person", Username: "u",
			Host: host, Inbox: p.srv.URL + "/users/u/inbox", SharedInbox: p.srv.URL + "/shared",
			PublicKeyID: p.srv.URL + "/users/u#main-key", PublicKeyPEM: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.st.ReceiveFollow(ctx, remote, ville.Actor, p.srv.URL+"/follows/u", true); err != nil {
			t.Fatal(err)
		}
		if p.software != "" {
			if err := a.st.SetHostSoftware(ctx, host, p.software); err != nil {
				t.Fatal(err)
			}
		}
	}
	note := doc{"id": a.srv.URL + "/p/1", "type": "Note", "attributedTo": a.srv.URL + "/actors/alice", "content": "<p>hi</p>"}
	create := activityDoc(a.srv.URL+"/p/1/activity", "Create", a.srv.URL+"/actors/alice", note, []string{PublicCollection}, nil)
	update := activityDoc(a.srv.URL+"/p/1/update", "Update", a.srv.URL+"/actors/alice", note, []string{PublicCollection}, nil)
	for _, o := range []struct{ activity, object doc }{{create, note}, {update, nil}} {
		out, err := a.s.AnnounceToFollowers(ctx, ville.Actor, o.activity, o.object)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.st.EnqueueDeliveries(ctx, out...); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]string{
		"mastodon": {note["id"].(string), "Update"},
		"odn":      {"Create", "Update"},
		"":         {"Create", note["id"].(string), "Update"},
	}
	waitFor(t, "every announce delivered", func() bool { c, _ := a.st.DeliveryCounts(ctx); return c[models.DeliveryDone] == 7 })
	for _, p := range peers {
		p.mu.Lock()
		got := slices.Sorted(slices.Values(p.objects))
		p.mu.Unlock()
		w := slices.Sorted(slices.Values(want[p.software]))
		if !slices.Equal(got, w) {
			t.Errorf("server running %q got announces of %v, want %v", p.software, got, w)
		}
	}
}
