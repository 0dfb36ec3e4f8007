package federation

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzVerifyRequest feeds arbitrary Signature, Date and Digest headers and
// bodies through the whole verification path. It must never panic, and it
// must never accept a request it did not see signed by the test key.
func FuzzVerifyRequest(f *testing.F) {
	key := testKey(f, 0)
	s, err := NewSigner(testKeyID, key)
	if err != nil {
		f.Fatal(err)
	}
	s.now = func() time.Time { return testNow }
	body := []byte(`{"type":"Like"}`)
	req, _ := http.NewRequest("POST", "https://b.example/inbox", bytes.NewReader(body))
	if err := s.SignRequest(req, body); err != nil {
		f.Fatal(err)
	}
	validSig, validDate, validDigest := req.Header.Get("Signature"), req.Header.Get("Date"), req.Header.Get("Digest")
	f.Add(validSig, validDate, validDigest, body, "POST", "/inbox")
	f.Add(validSig, validDate, validDigest, []byte(`{"type":"Delete"}`), "POST", "/inbox")
	f.Add(`keyId="x",headers="(request-target) host date",signature="AAAA"`, validDate, "", []byte(nil), "GET", "/a?b=c")
	f.Add(`keyId="k",algorithm=hs2019,created=1,expires=2,headers="(created) (expires) host",signature=""`, "", "SHA-512=", []byte("x"), "PUT", "/%zz")
	f.Add(`Signature keyId="`, "Mon, 02 Jan 2006 15:04:05 GMT", "SHA-256=,,,=", []byte{}, "get", "/")

	keys := keysFor(testKeyID, key)
	f.Fuzz(func(t *testing.T, sig, date, digest string, body []byte, method, path string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Method, r.RequestURI, r.Host = method, path, "b.example"
		r.Header.Set("Signature", sig)
		r.Header.Set("Date", date)
		r.Header.Set("Digest", digest)
		v, err := VerifyRequest(r, body, testNow, keys)
		if err == nil {
			valid := sig == validSig && date == validDate && digest == validDigest &&
				bytes.Equal(body, []byte(`{"type":"Like"}`)) && method == "POST"
			if !valid || v.KeyID != testKeyID {
				t.Fatalf("accepted forged request: %q %q %q %q %s %s", sig, date, digest, body, method, path)
			}
		}
	})
}

// FuzzVerifyRFC9421 feeds arbitrary Signature-Input, Signature and
// Content-Digest headers and bodies through RFC 9421 verification. It must
// never panic, and it must never accept a request other than the one the
// test key signed.
func FuzzVerifyRFC9421(f *testing.F) {
	key := testKey(f, 0)
	body := []byte(`{"type":"Like"}`)
	req, _ := http.NewRequest("POST", "https://b.example/inbox", bytes.NewReader(body))
	sign9421(f, req, body, testKeyID, key, testNow, "")
	validIn, validSig, validDigest := req.Header.Get("Signature-Input"), req.Header.Get("Signature"), req.Header.Get("Content-Digest")
	f.Add(validIn, validSig, validDigest, body, "POST", "/inbox")
	f.Add(validIn, validSig, validDigest, []byte(`{"type":"Delete"}`), "POST", "/inbox")
	f.Add(`sig1=("@method" "@query-param";name="a" "x");created=1;keyid="k";alg="ed25519"`, `sig1=:AAAA:`, `sha-512=:AA==:, md5=?1`, []byte(nil), "GET", "/a?b=c")
	f.Add(`a=(), b=("@target-uri";sf);created=-1;expires=9999999999999`, `b=:: , a="x"`, `sha-256=1`, []byte("x"), "PUT", "/%zz")
	f.Add(`sig1=("content-digest" "@authority" "@scheme" "@request-target" "@path" "@query");created=1773500966;keyid="`+testKeyID+`"`, validSig, "", []byte{}, "post", "/")

	// Several signatures: a junk label before the valid one.
	f.Add(`sig0=("@method");created=1;keyid="k", `+validIn, `sig0=:AAAA:, `+validSig, validDigest, body, "POST", "/inbox")

	valid, _ := parseMessageSignature(req.Header)
	validBytes := valid.signature
	keys := keysFor(testKeyID, key)
	v := RFC9421Verifier{Origin: "https://b.example"}
	f.Fuzz(func(t *testing.T, input, sig, digest string, body []byte, method, path string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Method, r.RequestURI, r.Host = method, path, "b.example"
		r.Header.Set("Signature-Input", input)
		r.Header.Set("Signature", sig)
		r.Header.Set("Content-Digest", digest)
		got, err := v.VerifyRequest(r, body, testNow, keys)
		if err == nil {
			// Spelling may differ (Structured Field whitespace, an extra
			// digest in an unknown algorithm, "/inbox?"): what was signed
			// may not.
			sigs, _ := parseMessageSignatures(r.Header)
			signed := slices.ContainsFunc(sigs, func(s parsedSig) bool { return s.err == nil && bytes.Equal(s.signature, validBytes) })
			valid := signed && bytes.Equal(body, []byte(`{"type":"Like"}`)) &&
				method == "POST" && strings.TrimSuffix(path, "?") == "/inbox"
			if !valid || got.KeyID != testKeyID {
				t.Fatalf("accepted forged request: %q %q %q %q %s %s", input, sig, digest, body, method, path)
			}
		}
	})
}
