package fedtest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/federation/fedtest"
	"github.com/opendemocracynow/odn/models"
)

const wait = 15 * time.Second

// remoteActor returns the copy instance in holds of the actor uri.
func remoteActor(t *testing.T, in *fedtest.Instance, uri string) *models.Actor {
	t.Helper()
	a, err := in.Store.ActorByURI(context.Background(), uri)
	if err != nil {
		t.Fatalf("%s has no actor %s: %v", in, uri, err)
	}
	return a
}

func followers(t *testing.T, in *fedtest.Instance, a *models.Actor) []*models.Actor {
	t.Helper()
	page, err := in.Store.Followers(context.Background(), a.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return page.Actors
}

// TestFollowSpaceAcrossInstances: bob on B follows the space "ville" on
// A; A accepts; A's space update reaches B; bob unfollows (Undo); bob
// follows again and deletes his account (Delete propagation).
func TestFollowSpaceAcrossInstances(t *testing.T) {
	ins := fedtest.Start(t, 2)
	a, b := ins[0], ins[1]
	ctx := context.Background()
	alice, _ := a.User("alice", true)
	ville := a.Space("ville")
	bob, bobTok := b.User("bob", false)

	// Discovery from the outside.
	var lookup struct {
		Kind  string
		Actor struct{ URI, Handle, Type string }
	}
	if st := b.API("GET", "/api/v1/lookup?uri="+a.Handle("ville"), bobTok, nil, &lookup); st != http.StatusOK {
		t.Fatalf("lookup: status %d", st)
	}
	if lookup.Actor.URI != ville.Actor.URI || lookup.Actor.Type != "Group" {
		t.Fatalf("lookup = %+v, want group %s", lookup, ville.Actor.URI)
	}

	// Follow → Accept.
	var f struct{ URI, State string }
	if st := b.API("POST", "/api/v1/follows", bobTok, map[string]string{"handle": a.Handle("ville")}, &f); st != http.StatusCreated {
		t.Fatalf("follow: status %d", st)
	}
	if f.State != models.FollowPending {
		t.Errorf("remote follow state = %q, want pending until Accept", f.State)
	}
	villeAtB := remoteActor(t, b, ville.Actor.URI)
	fedtest.Eventually(t, wait, "B to receive Accept", func() bool {
		ok, _ := b.Store.IsFollowing(ctx, bob.Actor.ID, villeAtB.ID)
		return ok
	})
	if fs := followers(t, a, ville.Actor); len(fs) != 1 || fs[0].URI != bob.Actor.URI {
		t.Fatalf("A's followers of ville = %v, want bob", fs)
	}
	// A asked B's NodeInfo: ville's announces to B take the FEP-1b12 form.
	fedtest.Eventually(t, wait, "A to learn B runs odn", func() bool {
		sw, checked, err := a.Store.HostSoftware(ctx, remoteActor(t, a, bob.Actor.URI).Host)
		return err == nil && sw == "odn" && checked != nil
	})
	// One job per shared inbox: the Accept went to bob's inbox, once.
	// A records it done a few ms after B's 2xx (acks are batched).
	var deliveries map[string]int
	fedtest.Eventually(t, wait, "A to record the Accept delivered", func() bool {
		deliveries, _ = a.Store.DeliveryCounts(ctx)
		return deliveries[models.DeliveryDone] >= 1
	})
	if deliveries[models.DeliveryDone] != 1 {
		t.Errorf("A deliveries = %v, want 1 done (the Accept)", deliveries)
	}

	// A's space changes → Update{Group} to B's shared inbox.
	if _, err := a.Store.UpdateSpace(ctx, alice, "ville", models.SpaceInput{Kind: models.KindCity, Title: "Ville nouvelle"}); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B to see the new space title", func() bool {
		return remoteActor(t, b, ville.Actor.URI).Name == "Ville nouvelle"
	})

	// Undo{Follow}.
	if st := b.API("DELETE", "/api/v1/follows?handle="+a.Handle("ville"), bobTok, nil, nil); st != http.StatusNoContent {
		t.Fatalf("unfollow: status %d", st)
	}
	fedtest.Eventually(t, wait, "A to drop the follower", func() bool { return len(followers(t, a, ville.Actor)) == 0 })

	// Follow again, then bob deletes his account → Delete{Person}.
	if st := b.API("POST", "/api/v1/follows", bobTok, map[string]string{"handle": ville.Actor.URI}, &f); st != http.StatusCreated {
		t.Fatalf("refollow: status %d", st)
	}
	fedtest.Eventually(t, wait, "A to accept again", func() bool { return len(followers(t, a, ville.Actor)) == 1 })
	if err := b.Store.DeleteAccount(ctx, bob); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "A to learn bob is gone", func() bool {
		return remoteActor(t, a, bob.Actor.URI).DeletedAt != nil
	})
	if n := len(followers(t, a, ville.Actor)); n != 0 {
		t.Errorf("A still lists %d followers after the Delete", n)
	}
	if dead, _ := a.Store.IsTombstoned(ctx, bob.Actor.URI); !dead {
		t.Error("bob's actor id is not tombstoned on A")
	}
}

// TestDiscoveryDocuments checks WebFinger, NodeInfo, host-meta, actor
// documents and content negotiation of one instance.
func TestDiscoveryDocuments(t *testing.T) {
	a := fedtest.Start(t, 1)[0]
	a.User("alice", false)
	sp := a.Space("ville")
	get := func(path, accept string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", a.BaseURL+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var sb strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			sb.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp, sb.String()
	}
	cases := []struct {
		path, accept string
		status       int
		ctype, body  string
	}{
		{"/.well-known/webfinger?resource=acct:alice@" + a.Host, "", 200, "application/jrd+json", `"href":"` + a.BaseURL + `/actors/alice"`},
		{"/.well-known/webfinger?resource=acct:ville@" + a.Host, "", 200, "application/jrd+json", sp.Actor.URI},
		{"/.well-known/webfinger?resource=" + a.BaseURL + "/actors/ville", "", 200, "application/jrd+json", "acct:ville@"},
		{"/.well-known/webfinger?resource=acct:nobody@" + a.Host, "", 404, "", ""},
		{"/.well-known/webfinger?resource=acct:alice@elsewhere.example", "", 404, "", ""},
		{"/.well-known/webfinger?resource=%%%", "", 400, "", ""},
		{"/.well-known/nodeinfo", "", 200, "application/json", "/nodeinfo/2.1"},
		{"/nodeinfo/2.1", "", 200, "application/json", `"activitypub"`},
		{"/nodeinfo/2.0", "", 200, "application/json", `"openRegistrations"`},
		{"/.well-known/host-meta", "", 200, "application/xrd+xml", "lrdd"},
		{"/actors/alice", "application/activity+json", 200, "application/activity+json", `"type":"Person"`},
		{"/actors/ville", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, 200, "application/activity+json", `"type":"Group"`},
		{"/actor", "application/activity+json", 200, "application/activity+json", `"type":"Application"`},
		{"/s/ville", "application/activity+json", 200, "application/activity+json", `"sharedInbox":"` + a.BaseURL + `/inbox"`},
		{"/@alice", "application/activity+json", 200, "application/activity+json", `"publicKeyPem"`},
		{"/actors/ville", "text/html", 303, "", ""},
		{"/actors/ville/followers", "application/activity+json", 200, "application/activity+json", `"OrderedCollection"`},
		{"/actors/ville/outbox?page=1", "application/activity+json", 200, "application/activity+json", `"OrderedCollectionPage"`},
		{"/actors/nobody", "application/activity+json", 404, "", ""},
	}
	for _, c := range cases {
		resp, body := get(c.path, c.accept)
		if resp.StatusCode != c.status {
			t.Errorf("GET %s: status %d, want %d (%s)", c.path, resp.StatusCode, c.status, body)
			continue
		}
		if c.ctype != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype) {
			t.Errorf("GET %s: Content-Type %q, want %s", c.path, resp.Header.Get("Content-Type"), c.ctype)
		}
		if !strings.Contains(body, c.body) {
			t.Errorf("GET %s: body lacks %s:\n%s", c.path, c.body, body)
		}
		if strings.Contains(body, "PRIVATE KEY") {
			t.Errorf("GET %s leaks a private key", c.path)
		}
	}
	if resp, _ := get("/actors/ville", "text/html"); resp.Header.Get("Location") != a.BaseURL+"/s/ville" {
		t.Errorf("browser redirect to %q, want /s/ville", resp.Header.Get("Location"))
	}
}
