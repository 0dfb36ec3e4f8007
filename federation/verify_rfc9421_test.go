package federation

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// sign9421 signs req (a client request) the way Mastodon's RFC 9421
// profile and Fedify do: ("@method" "@target-uri" "content-digest") with
// created and keyid, RSASSA-PKCS1-v1_5 SHA-256. The signature base is
// written out here by hand, not with the verifier's code, so that the
// tests check the verifier against RFC 9421 rather than against itself.
// extra is appended to the parameters as written (e.g. `;alg="…"`).
func sign9421(t testing.TB, req *http.Request, body []byte, keyID string, key *rsa.PrivateKey, created time.Time, extra string) {
	t.Helper()
	req.Header.Del("Signature-Input")
	req.Header.Del("Signature")
	add9421(t, req, body, "sig1", keyID, key, created, extra)
}

// add9421 adds to req a signature labelled label, as sign9421 makes it,
// after those it already has (each in a header line of its own: the
// dictionaries are the lines joined).
func add9421(t testing.TB, req *http.Request, body []byte, label, keyID string, key *rsa.PrivateKey, created time.Time, extra string) {
	t.Helper()
	sum := sha256.Sum256(body)
	digest := "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
	req.Header.Set("Content-Digest", digest)
	params := fmt.Sprintf(`("@method" "@target-uri" "content-digest");created=%d;keyid="%s"%s`, created.Unix(), keyID, extra)
	base := "\"@method\": " + req.Method + "\n" +
		"\"@target-uri\": " + req.URL.String() + "\n" +
		"\"content-digest\": " + digest + "\n" +
		"\"@signature-params\": " + params
	h := sha256.Sum256([]byte(base))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Add("Signature-Input", label+"="+params)
	req.Header.Add("Signature", label+"=:"+base64.StdEncoding.EncodeToString(sig)+":")
}

// TestRFC9421SeveralSignatures: of a request's signatures, the first that
// verifies is taken, whichever label it has: one in an algorithm, or by a
// key, this server cannot use (or malformed) does not hide the next.
// None verifying, the first one's error is a 401. Only the first
// maxMessageSignatures are tried, each fetching its key at most twice.
// Before, only the first label was read.
func TestRFC9421SeveralSignatures(t *testing.T) {
	const origin, target = "https://odn.example", "https://odn.example/inbox"
	const otherID = "https://other.example/users/bo#main-key"
	body := []byte(`{"type":"Follow"}`)
	key, other := testKey(t, 0), testKey(t, 1)
	type sig struct {
		label, keyID string
		key          *rsa.PrivateKey
		extra        string
	}
	good := sig{"sig2", testKeyID, key, ""}
	cases := []struct {
		name   string
		sigs   []sig
		mutate func(*http.Request)
		want   error  // nil: verified
		keyID  string // the key verified
	}{
		{name: "the second after one in another algorithm", sigs: []sig{{"sig1", testKeyID, key, `;alg="rsa-pss-sha512"`}, good}, keyID: testKeyID},
		{name: "the second after one by an unknown key", sigs: []sig{{"sig1", "https://gone.example/k", key, ""}, good}, keyID: testKeyID},
		{name: "the second after one that does not verify", sigs: []sig{{"sig1", testKeyID, other, ""}, good}, keyID: testKeyID},
		{name: "the first, another key's after it", sigs: []sig{{"sig1", otherID, other, ""}, {"sig2", testKeyID, key, ""}}, keyID: otherID},
		{name: "the second after a malformed label", sigs: []sig{good}, mutate: func(r *http.Request) {
			r.Header.Set("Signature-Input", `sig0=?1, `+r.Header.Get("Signature-Input"))
		}, keyID: testKeyID},
		{name: "the second after a label without a Signature", sigs: []sig{good}, mutate: func(r *http.Request) {
			r.Header.Set("Signature-Input", `sig0=("@method");created=1;keyid="x", `+r.Header.Get("Signature-Input"))
		}, keyID: testKeyID},
		{name: "none: the first one's error", sigs: []sig{{"sig1", testKeyID, other, ""}, {"sig2", testKeyID, key, `;alg="rsa-pss-sha512"`}}, want: ErrBadSignature},
		{name: "the fifth is not tried", sigs: []sig{{"s1", "https://gone.example/1", key, ""}, {"s2", "https://gone.example/2", key, ""},
			{"s3", "https://gone.example/3", key, ""}, {"s4", "https://gone.example/4", key, ""}, good}, want: ErrKeyUnavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
			for _, s := range c.sigs {
				add9421(t, req, body, s.label, s.keyID, s.key, testNow, s.extra)
			}
			r := toServer(req, body)
			if c.mutate != nil {
				c.mutate(r)
			}
			keys := keysFor(testKeyID, key)
			keys.cached[otherID] = &other.PublicKey
			got, _ := readAll(r)
			v, err := RFC9421Verifier{Origin: origin}.VerifyRequest(r, got, testNow, keys)
			if keys.calls > 2*maxMessageSignatures {
				t.Errorf("%d key look-ups for one request", keys.calls)
			}
			if c.want != nil {
				if !errors.Is(err, c.want) || !errors.Is(err, ErrUnauthorized) {
					t.Fatalf("err = %v, want %v (a 401)", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if v.KeyID != c.keyID {
				t.Errorf("verified with %s, want %s", v.KeyID, c.keyID)
			}
		})
	}
}

// TestRFC9421Verify: a request signed in the fediverse's RFC 9421 profile
// verifies, and each way of breaking it is refused with a 401 error.
func TestRFC9421Verify(t *testing.T) {
	const origin, target = "https://odn.example", "https://odn.example/inbox"
	body := []byte(`{"type":"Follow"}`)
	key := testKey(t, 0)
	cases := []struct {
		name    string
		created time.Time
		extra   string
		mutate  func(*http.Request)
		keys    func() *fakeKeys
		want    error
	}{
		{name: "ok"},
		{name: "alg named", extra: `;alg="rsa-v1_5-sha256"`},
		{name: "nonce and tag signed", extra: `;nonce="x1";tag="fedify"`},
		{name: "rotated key", keys: func() *fakeKeys {
			k := keysFor(testKeyID, testKey(t, 1))
			k.fresh = map[string]crypto.PublicKey{testKeyID: &key.PublicKey}
			return k
		}},
		{name: "other alg", extra: `;alg="rsa-pss-sha512"`, want: ErrUnsupportedAlgorithm},
		{name: "wrong key", keys: func() *fakeKeys { return keysFor(testKeyID, testKey(t, 1)) }, want: ErrBadSignature},
		{name: "unknown key", keys: func() *fakeKeys { return &fakeKeys{} }, want: ErrKeyUnavailable},
		{name: "tampered body", mutate: func(r *http.Request) { body := []byte(`{"type":"Undo"}`); r.Body = nopCloser(body) }, want: ErrDigestMismatch},
		{name: "digest of another body", mutate: func(r *http.Request) {
			r.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(make([]byte, 32))+":")
		}, want: ErrDigestMismatch},
		{name: "digest only in an unknown algorithm", mutate: func(r *http.Request) { r.Header.Set("Content-Digest", "md5=:AAAA:") }, want: ErrDigestMismatch},
		{name: "digest not covered", mutate: func(r *http.Request) {
			replaceInput(r, `("@method" "@target-uri" "content-digest")`, `("@method" "@target-uri")`)
		}, want: ErrMissingSignedHeaders},
		{name: "target not covered", mutate: func(r *http.Request) {
			replaceInput(r, `("@method" "@target-uri" "content-digest")`, `("@method" "@path" "content-digest")`)
		}, want: ErrMissingSignedHeaders},
		{name: "Host header not used: the origin is pinned", mutate: func(r *http.Request) { r.Host = "other.example" }},
		{name: "too old", created: testNow.Add(-2 * time.Hour), want: ErrStaleDate},
		{name: "from the future", created: testNow.Add(2 * time.Hour), want: ErrStaleDate},
		{name: "expired", extra: fmt.Sprintf(";expires=%d", testNow.Add(-time.Minute).Unix()), want: ErrStaleDate},
		{name: "no created", mutate: func(r *http.Request) { replaceInput(r, fmt.Sprintf(";created=%d", testNow.Unix()), "") }, want: ErrStaleDate},
		{name: "no keyid", mutate: func(r *http.Request) { replaceInput(r, `;keyid="`+testKeyID+`"`, "") }, want: ErrMalformedSignature},
		{name: "keyid a token", mutate: func(r *http.Request) { replaceInput(r, `keyid="`+testKeyID+`"`, "keyid=abc") }, want: ErrMalformedSignature},
		{name: "signature not bytes", mutate: func(r *http.Request) { r.Header.Set("Signature", `sig1="abc"`) }, want: ErrMalformedSignature},
		{name: "signature under another label", mutate: func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "sig1=", "sig2=", 1))
		}, want: ErrMalformedSignature},
		{name: "component parameters", mutate: func(r *http.Request) {
			replaceInput(r, `"content-digest")`, `"content-digest";sf)`)
		}, want: ErrMalformedSignature},
		{name: "component twice", mutate: func(r *http.Request) {
			replaceInput(r, `"content-digest")`, `"content-digest" "content-digest")`)
		}, want: ErrMalformedSignature},
		{name: "unknown derived component", mutate: func(r *http.Request) {
			replaceInput(r, `"content-digest")`, `"content-digest" "@status")`)
		}, want: ErrMalformedSignature},
		{name: "covered field absent", mutate: func(r *http.Request) {
			replaceInput(r, `"content-digest")`, `"content-digest" "date")`)
		}, want: ErrMissingSignedHeaders},
		{name: "not a dictionary", mutate: func(r *http.Request) { r.Header.Set("Signature-Input", `keyId="x",headers="date"`) }, want: ErrMalformedSignature},
		{name: "too long", mutate: func(r *http.Request) {
			r.Header.Set("Signature-Input", "sig1=();keyid=\""+strings.Repeat("a", 9000)+"\"")
		}, want: ErrMalformedSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			created := c.created
			if created.IsZero() {
				created = testNow
			}
			req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
			sign9421(t, req, body, testKeyID, key, created, c.extra)
			r := toServer(req, body)
			if c.mutate != nil {
				c.mutate(r)
			}
			keys := keysFor(testKeyID, key)
			if c.keys != nil {
				keys = c.keys()
			}
			got, _ := readAll(r)
			v, err := RFC9421Verifier{Origin: origin}.VerifyRequest(r, got, testNow, keys)
			if c.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if v.KeyID != testKeyID || v.Owner != KeyIDToActor(testKeyID) {
					t.Fatalf("verified %+v", v)
				}
				return
			}
			if !errors.Is(err, c.want) || !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("err = %v, want %v (a 401)", err, c.want)
			}
		})
	}
}

// TestRFC9421PinsOrigin: the target URI is this server's, whatever the
// request's Host or scheme say, so a signature made for another server
// (or another port) does not verify here, and one made for our public
// https address verifies though the request arrives as http behind a
// proxy.
func TestRFC9421PinsOrigin(t *testing.T) {
	body := []byte(`{}`)
	key := testKey(t, 0)
	for _, c := range []struct {
		signedFor, origin string
		ok                bool
	}{
		{"https://odn.example/inbox", "https://odn.example", true},
		{"https://odn.example/inbox", "https://odn.example/", true},
		{"https://other.example/inbox", "https://odn.example", false},
		{"https://odn.example:8443/inbox", "https://odn.example", false},
		{"http://odn.example/inbox", "https://odn.example", false},
		{"https://odn.example/inbox?x=1", "https://odn.example", true},
		{"https://odn.example/inbox", "https://ODN.example:443", true}, // a base URL spelled so
		{"https://odn.example:443/inbox", "https://odn.example", false},
		{"http://odn.example/inbox", "http://odn.example:80", true},
		{"https://odn.example/inbox", "https://odn.example:80", false},
	} {
		req, _ := http.NewRequest(http.MethodPost, c.signedFor, bytes.NewReader(body))
		sign9421(t, req, body, testKeyID, key, testNow, "")
		r := toServer(req, body)
		r.Host = "odn.example" // the proxy passes the public Host on
		_, err := RFC9421Verifier{Origin: c.origin}.VerifyRequest(r, body, testNow, keysFor(testKeyID, key))
		if (err == nil) != c.ok {
			t.Errorf("signed for %s, served as %s: err = %v, want ok=%v", c.signedFor, c.origin, err, c.ok)
		}
	}
}

// TestRFC9421SpecVector verifies the example of RFC 9421 Appendix B.2.6
// (a request signed with test-key-ed25519 over date, @method, @path,
// @authority, content-type and content-length): the signature base built
// here must be the RFC's, byte for byte, for the RFC's signature to verify.
func TestRFC9421SpecVector(t *testing.T) {
	body := []byte(`{"hello": "world"}`)
	r := httptest.NewRequest(http.MethodPost, "/foo?param=Value&Pet=dog", bytes.NewReader(body))
	r.Host = "example.com"
	r.Header.Set("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:")
	r.Header.Set("Content-Length", "18")
	r.Header.Set("Signature-Input", `sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`)
	r.Header.Set("Signature", "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:")
	der, _ := base64.StdEncoding.DecodeString("MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=")
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := parseMessageSignature(r.Header)
	if err != nil {
		t.Fatal(err)
	}
	v := RFC9421Verifier{Origin: "https://example.com"}
	base, err := v.signatureBase(r, sig)
	if err != nil {
		t.Fatal(err)
	}
	want := `"date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@authority": example.com
"content-type": application/json
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`
	if string(base) != want {
		t.Fatalf("signature base:\n%s\nwant:\n%s", base, want)
	}
	if err := sig.verify(base, pub.(ed25519.PublicKey)); err != nil {
		t.Fatalf("RFC signature refused: %v", err)
	}
	// The RFC's example covers neither @target-uri nor content-digest:
	// the fediverse profile refuses it.
	_, err = v.VerifyRequest(r, body, time.Unix(1618884473, 0), &fakeKeys{cached: map[string]crypto.PublicKey{"test-key-ed25519": pub}})
	if !errors.Is(err, ErrMissingSignedHeaders) {
		t.Fatalf("profile: err = %v, want ErrMissingSignedHeaders", err)
	}
}

// TestRFC9421ComponentValues: derived components and fields take the
// values of RFC 9421 §2.1 and §2.2's examples.
func TestRFC9421ComponentValues(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/path?param=value", nil)
	r.Host = "www.example.com"
	r.Header["Cache-Control"] = []string{"max-age=60", "   must-revalidate"}
	r.Header.Set("X-Ows-Header", "   Leading and trailing whitespace.   ")
	v := RFC9421Verifier{Origin: "https://www.example.com"}
	for name, want := range map[string]string{
		"@method":         "POST",
		"@target-uri":     "https://www.example.com/path?param=value",
		"@authority":      "www.example.com",
		"@scheme":         "https",
		"@request-target": "/path?param=value",
		"@path":           "/path",
		"@query":          "?param=value",
		"cache-control":   "max-age=60, must-revalidate",
		"x-ows-header":    "Leading and trailing whitespace.",
		"host":            "www.example.com",
	} {
		got, err := v.componentValue(r, name)
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	if got := r.Header.Values("Cache-Control")[1]; got != "   must-revalidate" {
		t.Errorf("the request's header was changed: %q", got)
	}
	r = httptest.NewRequest(http.MethodGet, "/a%20b", nil)
	for name, want := range map[string]string{"@query": "?", "@path": "/a%20b", "@target-uri": "https://www.example.com/a%20b"} {
		if got, _ := v.componentValue(r, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	// @authority and @scheme are the pinned origin's, not the Host header's
	// nor the connection's (a proxy ending TLS).
	r.Host = "other.example:8080"
	for name, want := range map[string]string{"@authority": "www.example.com", "@scheme": "https", "host": "other.example:8080"} {
		if got, _ := v.componentValue(r, name); got != want {
			t.Errorf("Host %s: %s = %q, want %q", r.Host, name, got, want)
		}
	}
	for _, name := range []string{"@status", "@query-param", "Date", "x-absent"} {
		if _, err := v.componentValue(r, name); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: err = %v, want a 401 error", name, err)
		}
	}
}

// TestRFC9421FedifyProfile verifies a request signed the way Fedify
// (Ghost, Hollo…) signs by default: alg first, then keyid and created;
// @method, @target-uri, @authority, the host and date fields and
// content-digest. The signature base is written out by hand.
func TestRFC9421FedifyProfile(t *testing.T) {
	key := testKey(t, 0)
	body := []byte(`{"type":"Follow"}`)
	sum := sha256.Sum256(body)
	digest := "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
	date := testNow.Format(http.TimeFormat)
	params := fmt.Sprintf(`("@method" "@target-uri" "@authority" "host" "date" "content-digest");alg="rsa-v1_5-sha256";keyid="%s";created=%d`, testKeyID, testNow.Unix())
	base := "\"@method\": POST\n\"@target-uri\": https://odn.example/inbox\n\"@authority\": odn.example\n\"host\": odn.example\n" +
		"\"date\": " + date + "\n\"content-digest\": " + digest + "\n\"@signature-params\": " + params
	h := sha256.Sum256([]byte(base))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		mutate func(*http.Request)
		ok     bool
	}{
		{"as signed", nil, true},
		{"another Date", func(r *http.Request) { r.Header.Set("Date", testNow.Add(time.Second).Format(http.TimeFormat)) }, false},
		{"a second Date line", func(r *http.Request) { r.Header.Add("Date", date) }, false},
		{"another Host", func(r *http.Request) { r.Host = "other.example" }, false},
	} {
		r := httptest.NewRequest(http.MethodPost, "/inbox", bytes.NewReader(body))
		r.Host = "odn.example"
		r.Header.Set("Date", date)
		r.Header.Set("Content-Digest", digest)
		r.Header.Set("Signature-Input", "sig1="+params)
		r.Header.Set("Signature", "sig1=:"+base64.StdEncoding.EncodeToString(sig)+":")
		if c.mutate != nil {
			c.mutate(r)
		}
		_, err := RFC9421Verifier{Origin: "https://odn.example"}.VerifyRequest(r, body, testNow, keysFor(testKeyID, key))
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

// TestVerifierForScheme: the scheme is chosen by the headers, and both
// schemes give the key id the inbox uses before verifying.
func TestVerifierForScheme(t *testing.T) {
	body := []byte(`{}`)
	cav, _ := signed(t, http.MethodPost, "https://odn.example/inbox", body, testNow, nil)
	if _, ok := verifierFor(cav.Header, "", "", 0).(CavageVerifier); !ok || signatureKeyID(cav.Header) != testKeyID {
		t.Fatalf("draft-cavage request: %T, key %q", verifierFor(cav.Header, "", "", 0), signatureKeyID(cav.Header))
	}
	req, _ := http.NewRequest(http.MethodPost, "https://odn.example/inbox", bytes.NewReader(body))
	sign9421(t, req, body, testKeyID, testKey(t, 0), testNow, "")
	if _, ok := verifierFor(req.Header, "", "", 0).(RFC9421Verifier); !ok || signatureKeyID(req.Header) != testKeyID {
		t.Fatalf("RFC 9421 request: %T, key %q", verifierFor(req.Header, "", "", 0), signatureKeyID(req.Header))
	}
	req.Header.Set("Signature-Input", "not a dictionary (")
	if signatureKeyID(req.Header) != "" {
		t.Fatal("a malformed Signature-Input gave a key id")
	}
}

// replaceInput edits the Signature-Input header after signing.
func replaceInput(r *http.Request, old, new string) {
	r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), old, new, 1))
}

// readAll reads the server request's body as the inbox does.
func readAll(r *http.Request) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r.Body)
	return b.Bytes(), err
}

// BenchmarkVerify compares the two schemes' verification of one signed
// inbox POST with a cached RSA-2048 key (what the inbox pays per request
// before storing it).
func BenchmarkVerify(b *testing.B) {
	body := []byte(`{"type":"Create","object":{"type":"Note","content":"` + strings.Repeat("x", 2000) + `"}}`)
	key := testKey(b, 0)
	keys := keysFor(testKeyID, key)
	req, _ := http.NewRequest(http.MethodPost, "https://odn.example/inbox", bytes.NewReader(body))
	s, _ := NewSigner(testKeyID, key)
	s.now = func() time.Time { return testNow }
	if err := s.SignRequest(req, body); err != nil {
		b.Fatal(err)
	}
	cavage := toServer(req, body)
	req, _ = http.NewRequest(http.MethodPost, "https://odn.example/inbox", bytes.NewReader(body))
	sign9421(b, req, body, testKeyID, key, testNow, "")
	rfc := toServer(req, body)
	rfc.Host = "odn.example"
	for _, c := range []struct {
		name string
		r    *http.Request
		v    RequestVerifier
	}{
		{"cavage", cavage, CavageVerifier{Host: "odn.example"}},
		{"rfc9421", rfc, RFC9421Verifier{Origin: "https://odn.example"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.v.VerifyRequest(c.r, body, testNow, keys); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
