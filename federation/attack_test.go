package federation

import (
	"context"
	"crypto/rsa"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestInboxRefusesNestingAndSSRFKeys complements TestInboxRefusesBadRequests:
// deeply nested JSON, and signatures whose keyId points at internal
// addresses (cloud metadata, 10/8, loopback, IPv6 ULA) in production
// mode — all refused before anything is stored, without fetching.
func TestInboxRefusesNestingAndSSRFKeys(t *testing.T) {
	a, p := newNode(t, nil), newNode(t, nil)
	ville := a.space(t, "ville")
	mallory := p.user(t, "mallory")
	sg := signerOf(t, mallory.Actor)
	ctx := context.Background()

	deep := fmt.Sprintf(`{"id":%q,"type":"Create","actor":%q,"object":%s1%s}`, p.srv.URL+"/acts/deep", mallory.Actor.URI,
		strings.Repeat(`{"a":[`, 500), strings.Repeat(`]}`, 500))
	if got := post(t, a.srv.URL+"/inbox", []byte(deep), sg, nil); got != http.StatusBadRequest {
		t.Errorf("500-level nesting: status %d, want 400", got)
	}
	if ok, _ := a.st.HasInboxActivity(ctx, p.srv.URL+"/acts/deep"); ok {
		t.Error("deeply nested activity stored")
	}

	prod := newNode(t, func(o *Options) { o.DevInsecure = false; o.Client = nil })
	key, err := ParsePrivateKeyPEM(mallory.Actor.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"169.254.169.254", "10.0.0.1", "127.0.0.1:9", "[fd00::1]", "localhost"} {
		actor := "https://" + host + "/users/x"
		forged := mustSigner(t, actor+"#main-key", key)
		id := actor + "/acts/1"
		body := followBody(id, actor, ville.Actor.URI)
		if got := post(t, prod.srv.URL+"/inbox", body, forged, nil); got != http.StatusUnauthorized {
			t.Errorf("keyId on %s: status %d, want 401", host, got)
		}
		if ok, _ := prod.st.HasInboxActivity(ctx, id); ok {
			t.Errorf("keyId on %s: activity stored", host)
		}
		if _, err := prod.st.ActorByURI(ctx, actor); err == nil {
			t.Errorf("keyId on %s: actor stored", host)
		}
	}
}

func mustSigner(t *testing.T, keyID string, key *rsa.PrivateKey) *Signer {
	t.Helper()
	sg, err := NewSigner(keyID, key)
	if err != nil {
		t.Fatal(err)
	}
	return sg
}
