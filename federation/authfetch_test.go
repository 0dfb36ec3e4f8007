package federation

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestAuthorizedFetch: with authorized fetch on, object GETs need a valid
// signature, except the instance actor's document.
func TestAuthorizedFetch(t *testing.T) {
	a := newNode(t, func(o *Options) { o.AuthorizedFetch = true })
	p := newNode(t, nil)
	a.space(t, "ville")
	mallory := p.user(t, "mallory")
	get := func(path string, sg *Signer) int {
		req, _ := http.NewRequest("GET", a.srv.URL+path, nil)
		req.Header.Set("Accept", ActivityJSONType)
		if sg != nil {
			if err := sg.SignRequest(req, nil); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	forged, _ := NewSigner(mallory.Actor.PublicKeyID, testKey(t, 0))
	for _, c := range []struct {
		path   string
		sg     *Signer
		status int
	}{
		{"/actor", nil, 200},
		{"/actors/ville", nil, 401},
		{"/actors/ville/followers", nil, 401},
		{"/actors/ville", forged, 401},
		{"/actors/ville", signerOf(t, mallory.Actor), 200},
	} {
		if got := get(c.path, c.sg); got != c.status {
			t.Errorf("GET %s (signed: %v): %d, want %d", c.path, c.sg != nil, got, c.status)
		}
	}
}

// TestAuthorizedFetchRFC9421: a GET signed with RFC 9421 (as Fedify
// signs first) passes authorized fetch when valid, and is refused when
// signed with another key, too long ago, or for another path.
func TestAuthorizedFetchRFC9421(t *testing.T) {
	a := newNode(t, func(o *Options) { o.AuthorizedFetch = true })
	p := newNode(t, nil)
	a.space(t, "ville")
	mallory, eve := p.user(t, "mallory"), p.user(t, "eve")
	forged, _ := NewSigner(mallory.Actor.PublicKeyID, signerOf(t, eve.Actor).key)
	for _, c := range []struct {
		name     string
		sg       *Signer
		at       time.Time
		signedAt string // the path signed, when not the one fetched
		status   int
	}{
		{"valid", signerOf(t, mallory.Actor), time.Now(), "", 200},
		{"another key", forged, time.Now(), "", 401},
		{"two hours old", signerOf(t, mallory.Actor), time.Now().Add(-2 * time.Hour), "", 401},
		{"signed for another path", signerOf(t, mallory.Actor), time.Now(), "/actors/other", 401},
	} {
		req, _ := http.NewRequest("GET", a.srv.URL+"/actors/ville", nil)
		req.Header.Set("Accept", ActivityJSONType)
		signed := req
		if c.signedAt != "" {
			signed, _ = http.NewRequest("GET", a.srv.URL+c.signedAt, nil)
		}
		sign9421(t, signed, nil, c.sg.keyID, c.sg.key, c.at, "")
		for _, h := range []string{"Content-Digest", "Signature-Input", "Signature"} {
			req.Header.Set(h, signed.Header.Get(h))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.status)
		}
	}
	// p's domain blocked: its signature, second after one naming a key
	// elsewhere (which does not verify), is refused for its own host.
	if _, err := a.st.BlockDomain(context.Background(), nil, hostOf(p.srv.URL), "spam"); err != nil {
		t.Fatal(err)
	}
	a.s.blocks.invalidate()
	req, _ := http.NewRequest("GET", a.srv.URL+"/actors/ville", nil)
	req.Header.Set("Accept", ActivityJSONType)
	sg := signerOf(t, mallory.Actor)
	add9421(t, req, nil, "sig0", "http://127.0.0.1:1/users/x#main-key", testKey(t, 1), time.Now(), "")
	add9421(t, req, nil, "sig1", sg.keyID, sg.key, time.Now(), "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("blocked domain's signature after another host's: %d, want 403", resp.StatusCode)
	}
}
