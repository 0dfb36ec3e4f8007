package federation

import (
	"bytes"
	"net/http"
	"net/http/httptest"
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
