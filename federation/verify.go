package federation

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// MaxClockSkew is how far a signed request's Date may be from our clock.
const MaxClockSkew = time.Hour

// authError is the type of the verification sentinels: each one also
// matches ErrUnauthorized, so the inbox maps every one of them to 401.
type authError string

func (e authError) Error() string        { return string(e) }
func (e authError) Is(target error) bool { return target == ErrUnauthorized }

// Verification errors. errors.Is(err, ErrUnauthorized) is true for all of
// them: a request failing verification must get 401, never 202 or 400, so
// that peers which "double knock" (RFC 9421 first, then draft-cavage) retry.
var (
	ErrUnauthorized         error = authError("federation: request not authenticated")
	ErrNoSignature          error = authError("federation: no HTTP signature")
	ErrMalformedSignature   error = authError("federation: malformed HTTP signature")
	ErrUnsupportedAlgorithm error = authError("federation: unsupported signature algorithm")
	ErrMissingSignedHeaders error = authError("federation: signature does not cover the required headers")
	ErrStaleDate            error = authError("federation: request date outside the accepted window")
	ErrDigestMismatch       error = authError("federation: digest does not match the body")
	ErrKeyUnavailable       error = authError("federation: signing key unavailable")
	ErrBadSignature         error = authError("federation: signature verification failed")
)

// Verified says who signed a request.
type Verified struct {
	KeyID string // the signature's keyId
	// Owner is the actor owning the key as the KeyFetcher reported it, or
	// KeyIDToActor(KeyID) when it reported none. The inbox must still
	// check it against the activity's actor.
	Owner string
}

// KeyFetcher finds the public key behind a keyId. With refresh false it may
// answer from a cache; with refresh true it must fetch the key's document
// again (the actor may have rotated its key). ownerID is the actor that the
// key document names as owner.
type KeyFetcher interface {
	PublicKey(ctx context.Context, keyID string, refresh bool) (pub crypto.PublicKey, ownerID string, err error)
}

// RequestVerifier checks one HTTP signature scheme: CavageVerifier
// (draft-cavage, what the fediverse signs with) or RFC9421Verifier.
type RequestVerifier interface {
	VerifyRequest(req *http.Request, body []byte, now time.Time, keys KeyFetcher) (*Verified, error)
}

// VerifyRequest authenticates an incoming request whose body has already
// been read into body, with the verifier of the signature scheme it uses
// (verifierFor). It does not know our own address: verifierFor with this
// server's host and origin pins them.
func VerifyRequest(req *http.Request, body []byte, now time.Time, keys KeyFetcher) (*Verified, error) {
	return verifierFor(req.Header, "", "", 0).VerifyRequest(req, body, now, keys)
}

// verifierFor picks the verifier of the request's signature scheme: RFC
// 9421 when it has a Signature-Input header, draft-cavage otherwise. host
// (host[:port]) and origin (scheme://host[:port]) are this server's, as
// peers address it; skew bounds Date or created (zero: MaxClockSkew).
func verifierFor(h http.Header, host, origin string, skew time.Duration) RequestVerifier {
	if len(h.Values("Signature-Input")) > 0 {
		return RFC9421Verifier{Origin: origin, MaxSkew: skew}
	}
	return CavageVerifier{Host: host, MaxSkew: skew}
}

// signatureKeyID is the key id a request's signature names, in either
// scheme, or "" when it has no parseable signature; the inbox uses its
// host for domain blocks and rate limits before verifying.
func signatureKeyID(h http.Header) string {
	if len(h.Values("Signature-Input")) > 0 {
		// The first signature that parses: RFC9421Verifier tries the
		// others after a malformed one too.
		sigs, err := parseMessageSignatures(h)
		if err != nil {
			return ""
		}
		for _, sig := range sigs {
			if sig.err == nil {
				return sig.keyID
			}
		}
		return ""
	}
	raw, err := signatureHeader(h)
	if err != nil {
		return ""
	}
	sig, err := parseCavage(raw)
	if err != nil {
		return ""
	}
	return sig.keyID
}

// CavageVerifier verifies draft-cavage-http-signatures (the Signature or
// "Authorization: Signature" header). It requires (request-target), host and
// date to be signed, plus digest when the request has a body; checks Date
// against MaxSkew and Digest against the body (go-fed/httpsig checks
// neither); accepts rsa-sha256 and hs2019.
type CavageVerifier struct {
	MaxSkew time.Duration // zero means MaxClockSkew
	// Host, when set, is the only Host accepted (host[:port], compared
	// case-insensitively): a signature a peer made for another server,
	// replayed here with that server's Host header, is then refused.
	// Without it the caller must route only its own Host to the inbox.
	Host string
}

// VerifyRequest implements RequestVerifier.
func (v CavageVerifier) VerifyRequest(req *http.Request, body []byte, now time.Time, keys KeyFetcher) (*Verified, error) {
	raw, err := signatureHeader(req.Header)
	if err != nil {
		return nil, err
	}
	sig, err := parseCavage(raw)
	if err != nil {
		return nil, err
	}
	if err := v.checkRequest(req, body, now, sig); err != nil {
		return nil, err
	}
	return verifyWithKey(req, sig.keyID, keys, func(pub crypto.PublicKey) error { return sig.verify(req, pub) })
}

func (v CavageVerifier) checkRequest(req *http.Request, body []byte, now time.Time, sig *cavageSig) error {
	if v.Host != "" && hostKey(requestHost(req), "") != hostKey(v.Host, "") {
		return fmt.Errorf("%w: signed for host %q", ErrBadSignature, requestHost(req))
	}
	if err := checkCoverage(req, body, sig); err != nil {
		return err
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = MaxClockSkew
	}
	if err := checkTimes(req.Header, sig, now, skew); err != nil {
		return err
	}
	return checkDigest(req.Header, body)
}

// checkCoverage makes sure the signature covers what odn requires and that
// every signed header is present.
func checkCoverage(req *http.Request, body []byte, sig *cavageSig) error {
	need := []string{httpsig.RequestTarget, "host", "date"}
	if len(body) > 0 || methodHasBody(req.Method) {
		need = append(need, "digest")
	}
	for _, h := range need {
		if !slices.Contains(sig.headers, h) {
			return fmt.Errorf("%w: %q not signed", ErrMissingSignedHeaders, h)
		}
	}
	for _, h := range sig.headers {
		switch {
		case h == httpsig.RequestTarget:
		case h == "(created)" && sig.created != "", h == "(expires)" && sig.expires != "":
		case strings.HasPrefix(h, "("):
			return fmt.Errorf("%w: unknown pseudo-header %q", ErrMalformedSignature, h)
		case h == "host":
			if requestHost(req) == "" {
				return fmt.Errorf("%w: no host", ErrMissingSignedHeaders)
			}
		case len(req.Header.Values(h)) == 0:
			return fmt.Errorf("%w: signed header %q absent", ErrMissingSignedHeaders, h)
		}
	}
	return nil
}

// checkTimes enforces the Date window, and (created)/(expires) when signed.
func checkTimes(h http.Header, sig *cavageSig, now time.Time, skew time.Duration) error {
	if len(h.Values("Date")) != 1 {
		return fmt.Errorf("%w: want exactly one Date header", ErrStaleDate)
	}
	date, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return fmt.Errorf("%w: unparseable Date", ErrStaleDate)
	}
	if outside(date, now, skew) {
		return ErrStaleDate
	}
	if sig.created != "" && time.Unix(sig.createdAt, 0).After(now.Add(skew)) {
		return fmt.Errorf("%w: created in the future", ErrStaleDate)
	}
	if sig.expires != "" && time.Unix(sig.expiresAt, 0).Before(now) {
		return fmt.Errorf("%w: signature expired", ErrStaleDate)
	}
	return nil
}

func outside(t, now time.Time, skew time.Duration) bool {
	d := now.Sub(t)
	return d > skew || d < -skew
}

// verifyWithKey fetches the key keyID names and checks the signature with
// it; when that fails with a key that may be stale, it refetches the key
// once (key rotation).
func verifyWithKey(req *http.Request, keyID string, keys KeyFetcher, check func(crypto.PublicKey) error) (*Verified, error) {
	ctx := req.Context()
	pub, owner, err := keys.PublicKey(ctx, keyID, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyUnavailable, err)
	}
	if err = check(pub); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %w", ErrKeyUnavailable, ctx.Err())
		}
		pub, owner, err = keys.PublicKey(ctx, keyID, true)
		if err != nil {
			return nil, fmt.Errorf("%w: refetch: %w", ErrKeyUnavailable, err)
		}
		if err = check(pub); err != nil {
			return nil, err
		}
	}
	if owner == "" {
		owner = KeyIDToActor(keyID)
	}
	return &Verified{KeyID: keyID, Owner: owner}, nil
}

// verify checks the signature bytes with go-fed/httpsig. It hands httpsig a
// shadow request holding only the signed headers and a Signature header
// re-serialised from our own parse, so httpsig's lenient parser cannot see
// a different header list than the one checkCoverage approved.
func (sig *cavageSig) verify(req *http.Request, pub crypto.PublicKey) error {
	algo, err := sig.algorithmFor(pub)
	if err != nil {
		return err
	}
	var lastErr error
	for _, target := range requestTargets(req) {
		hv, err := httpsig.NewVerifier(sig.shadowRequest(req, target))
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformedSignature, err)
		}
		if lastErr = hv.Verify(pub, algo); lastErr == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: %w", ErrBadSignature, lastErr)
}

// algorithmFor maps the declared algorithm and the key type to httpsig's.
// hs2019 means "derive from the key": the fediverse signs it with
// RSASSA-PKCS1-v1_5 SHA-256 for RSA keys.
func (sig *cavageSig) algorithmFor(pub crypto.PublicKey) (httpsig.Algorithm, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k != nil && k.N != nil {
			return httpsig.RSA_SHA256, nil
		}
	case ed25519.PublicKey:
		// ed25519.Verify panics on a key of the wrong length.
		if len(k) == ed25519.PublicKeySize && (sig.algorithm == "hs2019" || sig.algorithm == "") {
			return httpsig.ED25519, nil
		}
	}
	return "", fmt.Errorf("%w: %q with a %T key", ErrBadSignature, sig.algorithm, pub)
}

func (sig *cavageSig) shadowRequest(req *http.Request, target *url.URL) *http.Request {
	h := make(http.Header, len(sig.headers)+1)
	for _, name := range sig.headers {
		if name == "host" {
			h.Set("Host", requestHost(req))
		} else if !strings.HasPrefix(name, "(") {
			h[http.CanonicalHeaderKey(name)] = req.Header.Values(name)
		}
	}
	h.Set("Signature", sig.canonical())
	return &http.Request{Method: req.Method, URL: target, Host: requestHost(req), Header: h}
}

// requestTargets lists the (request-target) paths to try, most correct
// first. Misskey and Mastodon before 4.3 leave the query string out
// (mastodon#28476, misskey#17941); Mastodon signs the unescaped path
// (mastodon#18871). The fallbacks only drop or decode parts of the target:
// the host, date and digest still bind the signature to this request.
func requestTargets(req *http.Request) []*url.URL {
	path, query := escapedPath(req.URL), req.URL.RawQuery
	if uri := req.RequestURI; strings.HasPrefix(uri, "/") {
		path, query, _ = strings.Cut(uri, "?")
	}
	targets := []*url.URL{{Path: path, RawQuery: query}}
	if query != "" {
		targets = append(targets, &url.URL{Path: path})
	}
	if dec, err := url.PathUnescape(path); err == nil && dec != path {
		targets = append(targets, &url.URL{Path: dec, RawQuery: query})
	}
	return targets
}

// hostKey is host[:port] in the form two spellings of one address share:
// lower case, without the default port of scheme (of http or https when
// scheme is ""), as clients leave it out of Host and RFC 9421's
// @authority.
func hostKey(host, scheme string) string {
	host = strings.ToLower(host)
	switch {
	case scheme != "https" && strings.HasSuffix(host, ":80"):
		return strings.TrimSuffix(host, ":80")
	case scheme != "http" && strings.HasSuffix(host, ":443"):
		return strings.TrimSuffix(host, ":443")
	}
	return host
}

// requestHost is the Host the client sent: servers move it from the header
// map into req.Host.
func requestHost(req *http.Request) string {
	if req.Host != "" {
		return req.Host
	}
	return req.Header.Get("Host")
}
