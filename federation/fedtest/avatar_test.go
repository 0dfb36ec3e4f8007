package fedtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/opendemocracynow/odn/federation/fedtest"
	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
)

// TestAvatarReachesFollowers: bob on B follows alice on A; alice sets an
// avatar on A. A's actor document carries it as icon {Image, mediaType,
// url}, the url serves the image, and the Update{Person} brings the url
// to B's copy of alice (B stores it, never fetches it); removing the
// avatar empties B's copy too.
func TestAvatarReachesFollowers(t *testing.T) {
	dataA := t.TempDir()
	a := fedtest.StartOne(t, "a", "sqlite://"+filepath.Join(t.TempDir(), "odn.db"), map[string]string{"ODN_DATA": dataA})
	b := fedtest.StartOne(t, "b", "sqlite://"+filepath.Join(t.TempDir(), "odn.db"), nil)
	a.Store.SetDataDir(dataA)
	ctx := context.Background()
	alice, _ := a.User("alice", false)
	bob, bobTok := b.User("bob", false)

	var f struct{ URI, State string }
	if st := b.API("POST", "/api/v1/follows", bobTok, map[string]string{"handle": a.Handle("alice")}, &f); st != http.StatusCreated {
		t.Fatalf("follow: status %d", st)
	}
	aliceAtB := remoteActor(t, b, alice.Actor.URI)
	fedtest.Eventually(t, wait, "B to receive Accept", func() bool {
		ok, _ := b.Store.IsFollowing(ctx, bob.Actor.ID, aliceAtB.ID)
		return ok
	})

	png := imagemetatest.PNG()
	alice, err := a.Store.SetAvatar(ctx, alice, "alice.png", bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	iconURL := alice.Actor.IconURL
	if iconURL == "" {
		t.Fatal("no icon url")
	}

	req, _ := http.NewRequest("GET", alice.Actor.URI, nil)
	req.Header.Set("Accept", "application/activity+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var person struct {
		Icon struct{ Type, MediaType, URL string }
	}
	err = json.NewDecoder(res.Body).Decode(&person)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if person.Icon.Type != "Image" || person.Icon.MediaType != "image/png" || person.Icon.URL != iconURL {
		t.Errorf("actor document icon = %+v, want Image image/png %s", person.Icon, iconURL)
	}
	res, err = http.Get(iconURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" || !bytes.Equal(body, png) {
		t.Errorf("GET %s: %d %s, %d bytes", iconURL, res.StatusCode, res.Header.Get("Content-Type"), len(body))
	}

	fedtest.Eventually(t, wait, "B to see alice's avatar", func() bool {
		return remoteActor(t, b, alice.Actor.URI).IconURL == iconURL
	})

	if _, err := a.Store.RemoveAvatar(ctx, alice); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B to see alice without an avatar", func() bool {
		return remoteActor(t, b, alice.Actor.URI).IconURL == ""
	})
}
