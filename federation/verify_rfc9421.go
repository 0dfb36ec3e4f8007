package federation

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dunglas/httpsfv"
)

// RFC9421Verifier verifies HTTP Message Signatures (RFC 9421) in the
// profile the fediverse uses: Mastodon verifies them since 4.5, and
// Fedify-based servers (Ghost, Hollo…) sign with them first, falling back
// to draft-cavage after a 401 ("double knock"), so verifying them saves
// those peers a second request per delivery. What it requires is
// Mastodon's profile: a keyid and a created time, @method and @target-uri
// covered, and, when the request carries a body, a Content-Digest
// (RFC 9530) header covered and equal to the body's hash. Keys: RSA
// (rsa-v1_5-sha256, what every actor key is) and Ed25519.
//
// The signature base is built here over dunglas/httpsfv's Structured
// Field parser: the Go RFC 9421 libraries at hand either derive
// @target-uri wrongly on a server (remitly-oss/httpsig-go: no query
// separator, the raw path only when it differs from the decoded one) or
// pull two JOSE libraries in (yaronf/httpsign), for the five derived
// components and the header fields this profile needs.
type RFC9421Verifier struct {
	MaxSkew time.Duration // zero means MaxClockSkew
	// Origin is this server's scheme://host[:port] as peers address it
	// (its base URL). @target-uri, @authority and @scheme are derived
	// from it, not from the request: behind a proxy that ends TLS the
	// request arrives as http, and a signature made for another server
	// must not verify here. Empty: derived from the request (tests).
	Origin string
}

// maxSignatureInput bounds the Signature-Input and Signature headers we
// parse, like maxSignatureHeader for draft-cavage.
const maxSignatureInput = 8 << 10

// msgSig is one parsed RFC 9421 signature: its label, covered components,
// parameters and bytes.
type msgSig struct {
	label      string
	components []httpsfv.Item
	params     *httpsfv.Params
	keyID      string
	alg        string
	created    int64
	expires    int64 // 0 when absent
	signature  []byte
}

// maxMessageSignatures bounds the signatures of one request tried: each
// may name another key to fetch. The fediverse sends one; a request
// signed for several verifiers (RFC 9421 §4.3, e.g. a new algorithm next
// to rsa-v1_5-sha256) rarely more than two.
const maxMessageSignatures = 4

// VerifyRequest implements RequestVerifier. Of the request's signatures
// (Signature-Input labels, in order, at most maxMessageSignatures), the
// first one that verifies is taken: one in an algorithm or with a key
// this server cannot use does not hide another it can. None verifying,
// the error is the first one's (a 401), unless one was by a blocked
// domain's key (ErrBlocked, a 403, which peers do not retry).
func (v RFC9421Verifier) VerifyRequest(req *http.Request, body []byte, now time.Time, keys KeyFetcher) (*Verified, error) {
	sigs, err := parseMessageSignatures(req.Header)
	if err != nil {
		return nil, err
	}
	var first error
	for _, sig := range sigs {
		got, err := v.verifyOne(req, body, now, keys, sig)
		if err == nil {
			return got, nil
		}
		if first == nil || (errors.Is(err, ErrBlocked) && !errors.Is(first, ErrBlocked)) {
			first = err
		}
		if req.Context().Err() != nil {
			break
		}
	}
	return nil, first
}

// verifyOne checks one parsed signature (or the error its parse gave).
func (v RFC9421Verifier) verifyOne(req *http.Request, body []byte, now time.Time, keys KeyFetcher, sig parsedSig) (*Verified, error) {
	if sig.err != nil {
		return nil, sig.err
	}
	if err := v.checkRequest(req, body, now, sig.msgSig); err != nil {
		return nil, err
	}
	base, err := v.signatureBase(req, sig.msgSig)
	if err != nil {
		return nil, err
	}
	return verifyWithKey(req, sig.keyID, keys, func(pub crypto.PublicKey) error {
		return sig.verify(base, pub)
	})
}

// parsedSig is one label of Signature-Input, parsed, or why it could not
// be.
type parsedSig struct {
	*msgSig
	err error
}

// parseMessageSignatures reads the Signature-Input and Signature
// dictionaries and parses the signatures of the first
// maxMessageSignatures labels of Signature-Input; a label that does not
// parse carries its error, so that the others are still tried.
func parseMessageSignatures(h http.Header) ([]parsedSig, error) {
	inputs, sigs := h.Values("Signature-Input"), h.Values("Signature")
	if len(inputs) == 0 || len(sigs) == 0 {
		return nil, ErrNoSignature
	}
	if len(strings.Join(inputs, ",")) > maxSignatureInput || len(strings.Join(sigs, ",")) > maxSignatureInput {
		return nil, fmt.Errorf("%w: signature headers too long", ErrMalformedSignature)
	}
	in, err := httpsfv.UnmarshalDictionary(inputs)
	if err != nil {
		return nil, fmt.Errorf("%w: Signature-Input: %w", ErrMalformedSignature, err)
	}
	sd, err := httpsfv.UnmarshalDictionary(sigs)
	if err != nil {
		return nil, fmt.Errorf("%w: Signature: %w", ErrMalformedSignature, err)
	}
	names := in.Names()
	if len(names) == 0 {
		return nil, ErrNoSignature
	}
	out := make([]parsedSig, 0, min(len(names), maxMessageSignatures))
	for _, label := range names[:min(len(names), maxMessageSignatures)] {
		s, err := parseLabel(in, sd, label)
		out = append(out, parsedSig{s, err})
	}
	return out, nil
}

// parseMessageSignature returns the first signature of Signature-Input,
// parsed (what a single-signature caller needs).
func parseMessageSignature(h http.Header) (*msgSig, error) {
	sigs, err := parseMessageSignatures(h)
	if err != nil {
		return nil, err
	}
	return sigs[0].msgSig, sigs[0].err
}

// parseLabel parses the signature label of the Signature-Input and
// Signature dictionaries in and sd.
func parseLabel(in, sd *httpsfv.Dictionary, label string) (*msgSig, error) {
	s := &msgSig{label: label}
	m, _ := in.Get(s.label)
	list, ok := m.(httpsfv.InnerList)
	if !ok {
		return nil, fmt.Errorf("%w: Signature-Input %q is not an inner list", ErrMalformedSignature, s.label)
	}
	s.components, s.params = list.Items, list.Params
	sm, ok := sd.Get(s.label)
	if !ok {
		return nil, fmt.Errorf("%w: no Signature for %q", ErrMalformedSignature, s.label)
	}
	if item, ok := sm.(httpsfv.Item); ok {
		s.signature, _ = item.Value.([]byte)
	}
	if len(s.signature) == 0 {
		return nil, fmt.Errorf("%w: Signature %q is not a byte sequence", ErrMalformedSignature, s.label)
	}
	if err := s.readParams(); err != nil {
		return nil, err
	}
	return s, nil
}

// readParams takes keyid, alg, created and expires from the signature's
// parameters; nonce and tag are signed (part of @signature-params) but
// not used.
func (s *msgSig) readParams() error {
	for _, name := range s.params.Names() {
		v, _ := s.params.Get(name)
		var ok bool
		switch name {
		case "keyid":
			s.keyID, ok = v.(string)
		case "alg":
			s.alg, ok = v.(string)
		case "created":
			s.created, ok = v.(int64)
		case "expires":
			s.expires, ok = v.(int64)
		default:
			ok = true
		}
		if !ok {
			return fmt.Errorf("%w: parameter %q has the wrong type", ErrMalformedSignature, name)
		}
	}
	switch {
	case s.keyID == "":
		return fmt.Errorf("%w: no keyid", ErrMalformedSignature)
	case s.created == 0:
		return fmt.Errorf("%w: no created time", ErrStaleDate)
	}
	return nil
}

// covers reports whether the signature covers the named component.
func (s *msgSig) covers(name string) bool {
	return slices.ContainsFunc(s.components, func(it httpsfv.Item) bool { return it.Value == name })
}

func (v RFC9421Verifier) checkRequest(req *http.Request, body []byte, now time.Time, sig *msgSig) error {
	need := []string{"@method", "@target-uri"}
	if len(body) > 0 || methodHasBody(req.Method) {
		need = append(need, "content-digest")
	}
	for _, c := range need {
		if !sig.covers(c) {
			return fmt.Errorf("%w: %q not signed", ErrMissingSignedHeaders, c)
		}
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = MaxClockSkew
	}
	if outside(time.Unix(sig.created, 0), now, skew) {
		return fmt.Errorf("%w: created %s", ErrStaleDate, time.Unix(sig.created, 0).UTC().Format(time.RFC3339))
	}
	if sig.expires != 0 && time.Unix(sig.expires, 0).Before(now) {
		return fmt.Errorf("%w: signature expired", ErrStaleDate)
	}
	if sig.covers("content-digest") {
		return checkContentDigest(req.Header, body)
	}
	return nil
}

// checkContentDigest compares the Content-Digest header (RFC 9530, a
// Structured Field dictionary of algorithm → byte sequence) with body:
// every SHA-256 and SHA-512 digest it names must match, and it must name
// one of them.
func checkContentDigest(h http.Header, body []byte) error {
	vals := h.Values("Content-Digest")
	if len(vals) == 0 {
		return fmt.Errorf("%w: no Content-Digest", ErrMissingSignedHeaders)
	}
	d, err := httpsfv.UnmarshalDictionary(vals)
	if err != nil {
		return fmt.Errorf("%w: malformed Content-Digest", ErrDigestMismatch)
	}
	known := 0
	for _, alg := range d.Names() {
		want := digestOf(alg, body)
		if want == nil {
			continue
		}
		m, _ := d.Get(alg)
		item, ok := m.(httpsfv.Item)
		got, isBytes := item.Value.([]byte)
		if !ok || !isBytes || subtle.ConstantTimeCompare(got, want) != 1 {
			return ErrDigestMismatch
		}
		known++
	}
	if known == 0 {
		return fmt.Errorf("%w: no sha-256 or sha-512 digest", ErrDigestMismatch)
	}
	return nil
}

// signatureBase builds the signature base of RFC 9421 §2.5: one line per
// covered component, then @signature-params, the inner list as received
// serialised again (Structured Field serialisation is canonical).
func (v RFC9421Verifier) signatureBase(req *http.Request, sig *msgSig) ([]byte, error) {
	var b strings.Builder
	seen := make(map[string]bool, len(sig.components))
	for _, it := range sig.components {
		name, ok := it.Value.(string)
		if !ok || name == "" {
			return nil, fmt.Errorf("%w: a component is not a string", ErrMalformedSignature)
		}
		if len(it.Params.Names()) > 0 {
			// sf, key, bs, req, tr, name: no fediverse server signs them.
			return nil, fmt.Errorf("%w: component parameters on %q", ErrMalformedSignature, name)
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: %q covered twice", ErrMalformedSignature, name)
		}
		seen[name] = true
		value, err := v.componentValue(req, name)
		if err != nil {
			return nil, err
		}
		id, err := httpsfv.Marshal(httpsfv.NewItem(name))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformedSignature, err)
		}
		b.WriteString(id + ": " + value + "\n")
	}
	params, err := httpsfv.Marshal(httpsfv.InnerList{Items: sig.components, Params: sig.params})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedSignature, err)
	}
	b.WriteString(`"@signature-params": ` + params)
	return []byte(b.String()), nil
}

// componentValue is one covered component's value (RFC 9421 §2.1, §2.2).
func (v RFC9421Verifier) componentValue(req *http.Request, name string) (string, error) {
	// The path and query as sent (requestTargets keeps the path escaped
	// in Path, so URL.RequestURI would escape it again).
	target := requestTargets(req)[0]
	reqTarget := target.Path
	if target.RawQuery != "" {
		reqTarget += "?" + target.RawQuery
	}
	switch name {
	case "@method":
		return req.Method, nil
	case "@target-uri":
		return v.origin(req) + reqTarget, nil
	case "@authority":
		u, _ := url.Parse(v.origin(req))
		return strings.ToLower(u.Host), nil
	case "@scheme":
		u, _ := url.Parse(v.origin(req))
		return strings.ToLower(u.Scheme), nil
	case "@request-target":
		return reqTarget, nil
	case "@path":
		return target.Path, nil
	case "@query":
		return "?" + target.RawQuery, nil
	}
	if strings.HasPrefix(name, "@") {
		return "", fmt.Errorf("%w: unsupported component %q", ErrMalformedSignature, name)
	}
	if name != strings.ToLower(name) || strings.ContainsAny(name, " \t\r\n") {
		return "", fmt.Errorf("%w: field name %q", ErrMalformedSignature, name)
	}
	var vals []string
	if name == "host" {
		if h := requestHost(req); h != "" {
			vals = []string{h}
		}
	} else {
		vals = slices.Clone(req.Header.Values(name))
	}
	if len(vals) == 0 {
		return "", fmt.Errorf("%w: signed field %q absent", ErrMissingSignedHeaders, name)
	}
	for i, s := range vals {
		vals[i] = strings.TrimSpace(s)
	}
	return strings.Join(vals, ", "), nil
}

// origin is scheme://authority of the request as its sender addressed it.
// It is normalised as RFC 9421 derives @authority (§2.2.3): lower case,
// without the scheme's default port, whatever the base URL's spelling.
func (v RFC9421Verifier) origin(req *http.Request) string {
	origin := strings.TrimSuffix(v.Origin, "/")
	if origin == "" {
		scheme := "http"
		if req.TLS != nil {
			scheme = "https"
		}
		origin = scheme + "://" + requestHost(req)
	}
	scheme, host, _ := strings.Cut(origin, "://")
	scheme = strings.ToLower(scheme)
	return scheme + "://" + hostKey(host, scheme)
}

// verify checks the signature bytes over base with pub: RSASSA-PKCS1-v1_5
// SHA-256 for an RSA key, Ed25519 for an Ed25519 key; an alg parameter, when
// present, must name that algorithm.
func (s *msgSig) verify(base []byte, pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if s.alg != "" && s.alg != "rsa-v1_5-sha256" || k == nil || k.N == nil {
			break
		}
		h := sha256.Sum256(base)
		if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], s.signature); err != nil {
			return fmt.Errorf("%w: %w", ErrBadSignature, err)
		}
		return nil
	case ed25519.PublicKey:
		if s.alg != "" && s.alg != "ed25519" || len(k) != ed25519.PublicKeySize {
			break
		}
		if !ed25519.Verify(k, base, s.signature) {
			return ErrBadSignature
		}
		return nil
	}
	return fmt.Errorf("%w: %q with a %T key", ErrUnsupportedAlgorithm, s.alg, pub)
}
