package federation

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestAccountDeleteSignedByTheActor: a deleted account's Delete{Person}
// reaches its followers signed with the account's own key (Mastodon drops
// an activity signed by another actor), and the key is wiped once that
// delivery is done.
func TestAccountDeleteSignedByTheActor(t *testing.T) {
	var mu sync.Mutex
	keyIDs := map[string]string{} // activity type → keyId of its signature
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(body, &m) //nolint:errcheck // checked below
		typ, _ := m["type"].(string)
		for part := range strings.SplitSeq(r.Header.Get("Signature"), ",") {
			if k, v, ok := strings.Cut(part, "="); ok && k == "keyId" {
				mu.Lock()
				keyIDs[typ] = strings.Trim(v, `"`)
				mu.Unlock()
			}
		}
		w.WriteHeader(202)
	}))
	defer peer.Close()
	a := newNode(t, nil)
	ctx := context.Background()
	bob := a.user(t, "bob")
	remote, err := a.st.UpsertRemoteActor(ctx, &models.Actor{URI: peer.URL + "/users/m", Type: "Person", Username: "m",
		Host: hostOf(peer.URL), Inbox: peer.URL + "/users/m/inbox", SharedInbox: peer.URL + "/shared",
		PublicKeyID: peer.URL + "/users/m#main-key", PublicKeyPEM: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.ReceiveFollow(ctx, remote, bob.Actor, peer.URL+"/follows/m", true); err != nil {
		t.Fatal(err)
	}
	if err := a.st.DeleteAccount(ctx, bob); err != nil {
		t.Fatal(err)
	}
	a.run(t)
	waitFor(t, "the Delete delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return keyIDs["Delete"] != ""
	})
	mu.Lock()
	got := keyIDs["Delete"]
	mu.Unlock()
	if got != bob.Actor.PublicKeyID {
		t.Fatalf("Delete{Person} signed by %s, want the deleted actor's own key %s", got, bob.Actor.PublicKeyID)
	}
	waitFor(t, "the deleted actor's key wiped", func() bool {
		if _, err := a.st.ForgetDeletedKeys(ctx); err != nil {
			t.Fatal(err)
		}
		gone, err := a.st.ActorByID(ctx, bob.Actor.ID)
		return err == nil && gone.PrivateKeyPEM == ""
	})
}
