package federation

import (
	"context"
	"crypto/rsa"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestKeyCacheRotation: a stored key is parsed once and served from the
// cache; when the actor's key changes in the database (an Update of the
// actor, on this node or another), a failed verification's refresh
// picks the new key without fetching, and the cache serves it after.
func TestKeyCacheRotation(t *testing.T) {
	n := newNode(t, nil)
	ctx := context.Background()
	k1, k2 := testKey(t, 0), testKey(t, 1)
	pem1, _ := EncodePublicKeyPEM(&k1.PublicKey)
	pem2, _ := EncodePublicKeyPEM(&k2.PublicKey)
	uri := "http://peer.example/users/u"
	a, err := n.st.UpsertRemoteActor(ctx, &models.Actor{URI: uri, Type: models.ActorPerson, Username: "u", Host: "peer.example",
		Inbox: uri + "/inbox", PublicKeyID: uri + "#main-key", PublicKeyPEM: pem1})
	if err != nil {
		t.Fatal(err)
	}
	keyIs := func(refresh bool, want *rsa.PrivateKey) {
		t.Helper()
		pub, owner, err := n.s.keys.from(clientAt("127.0.0.1")).PublicKey(ctx, a.PublicKeyID, refresh)
		if err != nil || owner != uri || !want.PublicKey.Equal(pub) {
			t.Fatalf("refresh=%v: got owner %q err %v, key match %v", refresh, owner, err, err == nil && want.PublicKey.Equal(pub))
		}
	}
	keyIs(false, k1)
	if _, ok := n.s.keys.parsed.get(a.PublicKeyID); !ok {
		t.Fatal("key not cached")
	}
	a.PublicKeyPEM = pem2
	a.FetchedAt = nil
	if _, err := n.st.UpsertRemoteActor(ctx, a); err != nil {
		t.Fatal(err)
	}
	keyIs(false, k1) // cached: the first verification fails…
	keyIs(true, k2)  // …and the refresh finds the rotated key in the database
	keyIs(false, k2)
	// Entries expire.
	n.s.opts.Now = func() time.Time { return time.Now().Add(keyCacheTTL + time.Minute) }
	c, _ := n.s.keys.parsed.get(a.PublicKeyID)
	if n.s.now().Sub(c.at) <= keyCacheTTL {
		t.Fatal("clock not advanced")
	}
	keyIs(false, k2)
}

func TestLRUBound(t *testing.T) {
	c := newLRU[int, int](3)
	for i := range 5 {
		c.add(i, i)
	}
	if _, ok := c.get(0); ok {
		t.Fatal("oldest entry kept")
	}
	c.get(2)
	c.add(5, 5)
	if _, ok := c.get(2); !ok {
		t.Fatal("recently used entry evicted")
	}
	if _, ok := c.get(3); ok {
		t.Fatal("least recently used entry kept")
	}
}

// TestLRUPeekAndEvicted: peek leaves an entry's recency alone; evicted
// hears of the entries add pushes out, not of those remove drops.
func TestLRUPeekAndEvicted(t *testing.T) {
	c := newLRU[int, string](2)
	var out []int
	c.evicted = func(k int, v string) {
		if v != fmt.Sprint(k) {
			t.Errorf("evicted %d with %q", k, v)
		}
		out = append(out, k)
	}
	c.add(1, "1")
	c.add(2, "2")
	if v, ok := c.peek(1); !ok || v != "1" {
		t.Fatalf("peek(1) = %q, %v", v, ok)
	}
	c.add(3, "3") // 1 is still the least recently used
	c.remove(2)
	if _, ok := c.peek(1); ok || c.len() != 1 || !slices.Equal(out, []int{1}) {
		t.Errorf("after peek(1), add(3), remove(2): 1 kept %v, len %d, evicted %v; want false, 1, [1]", ok, c.len(), out)
	}
}
