package federation

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
)

const testKeyID = "https://a.example/users/alice#main-key"

var testNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// signed builds a client request, signs it at signedAt and returns the
// request as a server would see it, with its body.
func signed(t *testing.T, method, target string, body []byte, signedAt time.Time, mutate func(*http.Request)) (*http.Request, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(testKeyID, testKey(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return signedAt }
	if err := s.SignRequest(req, body); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(req)
	}
	return toServer(req, body), body
}

// toServer turns a client request into the request a server handler gets.
func toServer(req *http.Request, body []byte) *http.Request {
	r := httptest.NewRequest(req.Method, req.URL.RequestURI(), bytes.NewReader(body))
	r.Host = req.Host
	for k, v := range req.Header {
		if k != "Host" {
			r.Header[k] = v
		}
	}
	return r
}

func TestSignVerify(t *testing.T) {
	body := []byte(`{"type":"Follow"}`)
	tests := []struct {
		name    string
		method  string
		target  string
		body    []byte
		at      time.Time
		mutate  func(*http.Request)
		wantErr error
	}{
		{name: "get", method: "GET", target: "https://b.example/users/bob"},
		{name: "get with query", method: "GET", target: "https://b.example/users/bob/outbox?page=true&min_id=1"},
		{name: "escaped path", method: "GET", target: "https://b.example/users/%40bob"},
		{name: "post", method: "POST", target: "https://b.example/inbox", body: body},
		{name: "date 59 minutes old", method: "POST", target: "https://b.example/inbox", body: body, at: testNow.Add(-59 * time.Minute)},
		{name: "authorization header", method: "POST", target: "https://b.example/inbox", body: body,
			mutate: func(r *http.Request) {
				r.Header.Set("Authorization", "Signature "+r.Header.Get("Signature"))
				r.Header.Del("Signature")
			}},
		{name: "signature prefixed with scheme", method: "GET", target: "https://b.example/x",
			mutate: func(r *http.Request) { r.Header.Set("Signature", "Signature "+r.Header.Get("Signature")) }},
		{name: "rsa-sha256 algorithm", method: "POST", target: "https://b.example/inbox", body: body,
			mutate: func(r *http.Request) { replaceSig(r, `algorithm="hs2019"`, `algorithm="rsa-sha256"`) }},
		{name: "wrong sha-512 digest", method: "POST", target: "https://b.example/inbox", body: body,
			mutate: func(r *http.Request) {
				r.Header.Set("Digest", r.Header.Get("Digest")+",SHA-512=z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==")
			}, wantErr: ErrDigestMismatch},
		{name: "no signature", method: "GET", target: "https://b.example/x",
			mutate: func(r *http.Request) { r.Header.Del("Signature") }, wantErr: ErrNoSignature},
		{name: "rfc 9421 input beside a draft-cavage signature", method: "GET", target: "https://b.example/x",
			mutate: func(r *http.Request) { r.Header.Set("Signature-Input", `sig1=("@method");keyid="k"`) }, wantErr: ErrMalformedSignature},
		{name: "stale date", method: "POST", target: "https://b.example/inbox", body: body, at: testNow.Add(-61 * time.Minute), wantErr: ErrStaleDate},
		{name: "future date", method: "POST", target: "https://b.example/inbox", body: body, at: testNow.Add(61 * time.Minute), wantErr: ErrStaleDate},
		{name: "tampered digest", method: "POST", target: "https://b.example/inbox", body: body,
			mutate: func(r *http.Request) { r.Header.Set("Digest", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=") }, wantErr: ErrDigestMismatch},
		{name: "unsupported algorithm", method: "GET", target: "https://b.example/x",
			mutate: func(r *http.Request) { replaceSig(r, `algorithm="hs2019"`, `algorithm="hmac-sha256"`) }, wantErr: ErrUnsupportedAlgorithm},
		{name: "digest not signed", method: "POST", target: "https://b.example/inbox", body: body,
			mutate: func(r *http.Request) { replaceSig(r, ` digest"`, `"`) }, wantErr: ErrMissingSignedHeaders},
		{name: "host not signed", method: "GET", target: "https://b.example/x",
			mutate: func(r *http.Request) { replaceSig(r, ` host `, ` `) }, wantErr: ErrMissingSignedHeaders},
		{name: "headers default to date", method: "GET", target: "https://b.example/x",
			mutate: func(r *http.Request) { replaceSig(r, `headers="(request-target) host date",`, ``) }, wantErr: ErrMissingSignedHeaders},
		{name: "other host", method: "GET", target: "https://b.example/x",
			mutate: func(r *http.Request) { r.Host = "c.example" }, wantErr: ErrBadSignature},
		{name: "other path", method: "GET", target: "https://b.example/x",
			mutate: func(r *http.Request) { r.URL.Path = "/y" }, wantErr: ErrBadSignature},
		{name: "get replayed as post", method: "GET", target: "https://b.example/x",
			mutate: func(r *http.Request) { r.Method = "POST" }, wantErr: ErrMissingSignedHeaders},
		{name: "duplicate parameter", method: "GET", target: "https://b.example/x",
			mutate: func(r *http.Request) { r.Header.Set("Signature", `keyId="a",keyId="b",`+r.Header.Get("Signature")) }, wantErr: ErrMalformedSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.at
			if at.IsZero() {
				at = testNow
			}
			req, b := signed(t, tt.method, tt.target, tt.body, at, tt.mutate)
			if tt.name == "other path" {
				req.RequestURI = "/y"
			}
			got, err := VerifyRequest(req, b, testNow, keysFor(testKeyID, testKey(t, 0)))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrUnauthorized) {
					t.Fatalf("err = %v, want %v (and ErrUnauthorized)", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if got.KeyID != testKeyID || got.Owner != "https://a.example/users/alice" {
				t.Errorf("verified = %+v", got)
			}
		})
	}
}

func replaceSig(r *http.Request, old, new string) {
	r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), old, new, 1))
}

func TestVerifyHost(t *testing.T) {
	keys := keysFor(testKeyID, testKey(t, 0))
	req, body := signed(t, "POST", "https://elsewhere.example/inbox", []byte(`{}`), testNow, nil)
	if _, err := (CavageVerifier{}).VerifyRequest(req, body, testNow, keys); err != nil {
		t.Fatalf("without Host: %v", err)
	}
	v := CavageVerifier{Host: "B.example"}
	if _, err := v.VerifyRequest(req, body, testNow, keys); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("replayed from another host: err = %v, want ErrBadSignature", err)
	}
	req, body = signed(t, "POST", "https://b.example/inbox", []byte(`{}`), testNow, nil)
	if _, err := v.VerifyRequest(req, body, testNow, keys); err != nil {
		t.Fatalf("own host: %v", err)
	}
	// A base URL spelled with its default port: clients leave it out.
	for _, own := range []string{"b.example:443", "b.example:80", "B.EXAMPLE"} {
		if _, err := (CavageVerifier{Host: own}).VerifyRequest(req, body, testNow, keys); err != nil {
			t.Errorf("own host spelled %s: %v", own, err)
		}
	}
	if _, err := (CavageVerifier{Host: "b.example:8443"}).VerifyRequest(req, body, testNow, keys); !errors.Is(err, ErrBadSignature) {
		t.Errorf("another port: err = %v, want ErrBadSignature", err)
	}
}

func TestVerifyBodyTampered(t *testing.T) {
	keys := keysFor(testKeyID, testKey(t, 0))
	req, _ := signed(t, "POST", "https://b.example/inbox", []byte(`{"a":1}`), testNow, nil)
	forged := []byte(`{"a":2}`)
	if _, err := VerifyRequest(req, forged, testNow, keys); !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("body swapped: err = %v, want ErrDigestMismatch", err)
	}
	sum := sha256.Sum256(forged)
	req.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
	if _, err := VerifyRequest(req, forged, testNow, keys); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("body and digest swapped: err = %v, want ErrBadSignature", err)
	}
	sum512 := sha512.Sum512([]byte(`{"a":1}`))
	req, body := signed(t, "POST", "https://b.example/inbox", []byte(`{"a":1}`), testNow, nil)
	req.Header.Set("Digest", req.Header.Get("Digest")+", sha-512="+base64.StdEncoding.EncodeToString(sum512[:]))
	if _, err := VerifyRequest(req, body, testNow, keys); !errors.Is(err, ErrBadSignature) {
		// The Digest header itself is signed, so adding an entry breaks the
		// signature even though the new entry is right.
		t.Fatalf("extra digest: err = %v, want ErrBadSignature", err)
	}
}

// Misskey (and Mastodon before 4.3) sign (request-target) without the query.
func TestVerifyQueryLessTarget(t *testing.T) {
	req, err := http.NewRequest("GET", "https://b.example/users/bob", nil)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := NewSigner(testKeyID, testKey(t, 0))
	s.now = func() time.Time { return testNow }
	if err := s.SignRequest(req, nil); err != nil {
		t.Fatal(err)
	}
	req.URL.RawQuery = "page=2"
	if _, err := VerifyRequest(toServer(req, nil), nil, testNow, keysFor(testKeyID, testKey(t, 0))); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func TestVerifyKeyRotation(t *testing.T) {
	oldKey, newKey := testKey(t, 1), testKey(t, 0)
	keys := &fakeKeys{
		cached: map[string]crypto.PublicKey{testKeyID: &oldKey.PublicKey},
		fresh:  map[string]crypto.PublicKey{testKeyID: &newKey.PublicKey},
	}
	req, body := signed(t, "POST", "https://b.example/inbox", []byte(`{}`), testNow, nil)
	got, err := VerifyRequest(req, body, testNow, keys)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if keys.refreshes != 1 || got.Owner != "https://a.example/users/alice" {
		t.Errorf("refreshes = %d, verified = %+v", keys.refreshes, got)
	}

	keys = &fakeKeys{cached: map[string]crypto.PublicKey{testKeyID: &oldKey.PublicKey}}
	if _, err := VerifyRequest(req, body, testNow, keys); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong key: err = %v, want ErrBadSignature", err)
	}
	if keys.refreshes != 1 {
		t.Errorf("refreshes = %d, want 1", keys.refreshes)
	}

	keys = &fakeKeys{}
	if _, err := VerifyRequest(req, body, testNow, keys); !errors.Is(err, ErrKeyUnavailable) {
		t.Errorf("unknown key: err = %v, want ErrKeyUnavailable", err)
	}
}

// TestVerifyOverHTTP signs with the Signer, sends through a real loopback
// server and verifies in the handler, as the inbox will.
func TestVerifyOverHTTP(t *testing.T) {
	keys := keysFor(testKeyID, testKey(t, 0))
	var verr error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, verr = VerifyRequest(r, body, time.Now(), keys)
	}))
	defer srv.Close()
	for _, method := range []string{"GET", "POST"} {
		var body []byte
		if method == "POST" {
			body = []byte(`{"type":"Like"}`)
		}
		req, _ := http.NewRequest(method, srv.URL+"/users/b%40c/inbox?x=1", bytes.NewReader(body))
		s, _ := NewSigner(testKeyID, testKey(t, 0))
		if err := s.SignRequest(req, body); err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if verr != nil {
			t.Errorf("%s: verify: %v", method, verr)
		}
	}
}

func TestSignRequestHeaders(t *testing.T) {
	s, _ := NewSigner(testKeyID, testKey(t, 0))
	s.now = func() time.Time { return testNow }
	req, _ := http.NewRequest("POST", "https://b.example/inbox", nil)
	body := []byte("{}")
	for range 2 { // signing twice must replace, not fail on the existing Digest
		if err := s.SignRequest(req, body); err != nil {
			t.Fatal(err)
		}
	}
	if got := req.Header.Get("Date"); got != "Sat, 14 Mar 2026 15:09:26 GMT" {
		t.Errorf("Date = %q", got)
	}
	if got := req.Header.Get("Digest"); got != "SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=" {
		t.Errorf("Digest = %q", got)
	}
	sig := req.Header.Get("Signature")
	for _, want := range []string{`keyId="` + testKeyID + `"`, `headers="(request-target) host date digest"`} {
		if !strings.Contains(sig, want) {
			t.Errorf("Signature %q lacks %s", sig, want)
		}
	}
	if req.Header.Get("Host") != "b.example" || req.Host != "b.example" {
		t.Errorf("Host = %q / %q", req.Header.Get("Host"), req.Host)
	}
	if strings.Contains(s.String(), "PRIVATE") || s.LogValue().String() != testKeyID {
		t.Errorf("signer leaks: %s", s)
	}
}

func TestNewSignerRejects(t *testing.T) {
	if _, err := NewSigner("", testKey(t, 0)); err == nil {
		t.Error("empty key id accepted")
	}
	if _, err := NewSigner(testKeyID, nil); err == nil {
		t.Error("nil key accepted")
	}
}

func TestKeyIDToActor(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://m.example/users/alice#main-key", "https://m.example/users/alice"},
		{"https://gts.example/users/alice/main-key", "https://gts.example/users/alice"},
		{"https://x.example/users/9abc#key2", "https://x.example/users/9abc"},
		{"https://x.example/actor", "https://x.example/actor"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := KeyIDToActor(tt.in); got != tt.want {
			t.Errorf("KeyIDToActor(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// hs2019 with an Ed25519 key (what some newer servers publish) verifies;
// rsa-sha256 declared with that key does not.
func TestVerifyEd25519(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	hs, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.ED25519}, httpsig.DigestSha256,
		[]string{httpsig.RequestTarget, "host", "date"}, httpsig.Signature, 0)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "https://b.example/x", nil)
	req.Header.Set("Host", "b.example")
	req.Header.Set("Date", testNow.Format(http.TimeFormat))
	if err := hs.SignRequest(priv, "https://e.example/u#ed", req, nil); err != nil {
		t.Fatal(err)
	}
	keys := &fakeKeys{cached: map[string]crypto.PublicKey{"https://e.example/u#ed": pub}}
	if _, err := VerifyRequest(toServer(req, nil), nil, testNow, keys); err != nil {
		t.Fatalf("verify: %v", err)
	}
	replaceSig(req, `algorithm="hs2019"`, `algorithm="rsa-sha256"`)
	if _, err := VerifyRequest(toServer(req, nil), nil, testNow, keys); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("err = %v, want ErrBadSignature", err)
	}
}
