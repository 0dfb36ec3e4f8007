package federation

import (
	"net/http"
	"testing"
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
