package federation

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// Headers covered by our draft-cavage signatures, lower case, in the order
// Mastodon and GoToSocial use.
var (
	getSignedHeaders  = []string{httpsig.RequestTarget, "host", "date"}
	postSignedHeaders = []string{httpsig.RequestTarget, "host", "date", "digest"}
)

// minRSABits is the smallest RSA key odn signs with; every peer verifies
// RSA-2048 (INTEROP.md, Actors).
const minRSABits = 2048

// Signer signs outgoing requests with draft-cavage HTTP Signatures on behalf
// of one actor key. A Signer is safe for concurrent use.
type Signer struct {
	keyID string
	key   *rsa.PrivateKey
	now   func() time.Time // tests only; nil means time.Now
}

// NewSigner returns a Signer for the key published at keyID (conventionally
// the actor id plus "#main-key").
func NewSigner(keyID string, key *rsa.PrivateKey) (*Signer, error) {
	if keyID == "" {
		return nil, errors.New("federation: signer needs a key id")
	}
	if key == nil || key.N == nil || key.N.BitLen() < minRSABits {
		return nil, fmt.Errorf("federation: signer needs an RSA key of at least %d bits", minRSABits)
	}
	return &Signer{keyID: keyID, key: key}, nil
}

// KeyID returns the key id written in the signatures.
func (s *Signer) KeyID() string { return s.keyID }

// String names the signer by key id only, so a logged Signer never carries
// its private key.
func (s *Signer) String() string { return "Signer(" + s.keyID + ")" }

// LogValue implements slog.LogValuer with the same guarantee as String.
func (s *Signer) LogValue() slog.Value { return slog.StringValue(s.keyID) }

// SignRequest sets the Host and Date headers and signs
// "(request-target) host date". When body is non-nil, or the method carries a
// body (POST, PUT, PATCH), it also sets "Digest: SHA-256=…" for body and
// signs it. Call it last, just before sending: the signature covers the
// request as it is now. Signing again replaces a previous signature.
func (s *Signer) SignRequest(req *http.Request, body []byte) error {
	if req.URL == nil {
		return errors.New("federation: sign request: no URL")
	}
	if req.Host == "" {
		req.Host = req.URL.Host
	}
	if req.Host == "" {
		return errors.New("federation: sign request: no host")
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Header.Set("Host", req.Host)
	req.Header.Set("Date", s.clock().UTC().Format(http.TimeFormat))
	req.Header.Del("Signature")
	req.Header.Del("Digest")

	headers := getSignedHeaders
	if body != nil || methodHasBody(req.Method) {
		headers = postSignedHeaders
		if body == nil {
			body = []byte{}
		}
	}
	// httpsig.Signer is not safe for concurrent use; building one is cheap.
	hs, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256},
		httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("federation: sign request: %w", err)
	}
	// httpsig builds (request-target) from URL.Path, which is the decoded
	// path; peers sign and verify the path as sent. Hand it a shadow request
	// whose Path is the escaped form; it shares (and fills) req.Header.
	shadow := &http.Request{
		Method: req.Method,
		URL:    &url.URL{Path: escapedPath(req.URL), RawQuery: req.URL.RawQuery},
		Host:   req.Host,
		Header: req.Header,
	}
	if err := hs.SignRequest(s.key, s.keyID, shadow, body); err != nil {
		return fmt.Errorf("federation: sign request: %w", err)
	}
	return nil
}

func (s *Signer) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// methodHasBody reports whether requests with this method are expected to
// carry a body, and therefore a signed Digest.
func methodHasBody(method string) bool {
	switch strings.ToUpper(method) {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return true
	}
	return false
}

// escapedPath is the path as it goes on the wire, never empty.
func escapedPath(u *url.URL) string {
	if p := u.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// KeyIDToActor returns the actor id a key id most likely belongs to:
// "https://h/users/a#main-key" (Mastodon, Misskey, Lemmy) and
// "https://h/users/a/main-key" (GoToSocial) both give "https://h/users/a";
// any other fragment is dropped, and a key id without either is returned
// unchanged. It is a hint for fetching the key's document: the owner that
// counts is the one the key document names.
func KeyIDToActor(keyID string) string {
	if i := strings.IndexByte(keyID, '#'); i >= 0 {
		return keyID[:i]
	}
	return strings.TrimSuffix(keyID, "/main-key")
}
