package federation

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// maxSignatureHeader bounds the Signature header we are willing to parse:
// an RSA-4096 signature plus a long keyId fit well within it.
const maxSignatureHeader = 8 << 10

// cavageSig is a parsed draft-cavage Signature header.
type cavageSig struct {
	keyID     string
	algorithm string   // lower case; "" when absent
	headers   []string // lower case, in signing order
	signature string   // base64, as received
	created   string   // raw (created) parameter, "" when absent
	expires   string   // raw (expires) parameter, "" when absent
	createdAt int64
	expiresAt int64
}

// signatureHeader returns the signature parameters from the Signature
// header or, failing that, from "Authorization: Signature …".
func signatureHeader(h http.Header) (string, error) {
	if vals := h.Values("Signature"); len(vals) > 0 {
		if len(vals) > 1 {
			return "", fmt.Errorf("%w: several Signature headers", ErrMalformedSignature)
		}
		// Old PeerTube versions put the Authorization form in Signature
		// (noted in mastodon#14556).
		return trimScheme(vals[0]), nil
	}
	for _, a := range h.Values("Authorization") {
		if rest := trimScheme(a); rest != a {
			return rest, nil
		}
	}
	return "", ErrNoSignature
}

// trimScheme drops a leading "Signature " auth-scheme, case-insensitively.
func trimScheme(s string) string {
	const scheme = "signature "
	s = strings.TrimSpace(s)
	if len(s) > len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
		return strings.TrimSpace(s[len(scheme):])
	}
	return s
}

// parseCavage parses `keyId="…",algorithm="…",headers="…",signature="…"`.
// Parameter names are matched case-insensitively; duplicates, unterminated
// quotes and values httpsig could not round-trip are refused.
func parseCavage(s string) (*cavageSig, error) {
	if len(s) > maxSignatureHeader {
		return nil, fmt.Errorf("%w: header too long", ErrMalformedSignature)
	}
	params, err := splitParams(s)
	if err != nil {
		return nil, err
	}
	sig := &cavageSig{
		keyID:     params["keyid"],
		algorithm: strings.ToLower(params["algorithm"]),
		signature: params["signature"],
		created:   params["created"],
		expires:   params["expires"],
	}
	hdrs, ok := params["headers"]
	if !ok {
		hdrs = "date" // the draft's default
	}
	sig.headers = strings.Fields(strings.ToLower(hdrs))
	if err := sig.validate(); err != nil {
		return nil, err
	}
	return sig, nil
}

func (sig *cavageSig) validate() error {
	switch {
	case sig.keyID == "":
		return fmt.Errorf("%w: no keyId", ErrMalformedSignature)
	case strings.ContainsAny(sig.keyID, "\",") || hasControl(sig.keyID):
		return fmt.Errorf("%w: unusable keyId", ErrMalformedSignature)
	case sig.signature == "":
		return fmt.Errorf("%w: no signature", ErrMalformedSignature)
	case len(sig.headers) == 0:
		return fmt.Errorf("%w: empty headers", ErrMalformedSignature)
	}
	if _, err := base64.StdEncoding.DecodeString(sig.signature); err != nil {
		return fmt.Errorf("%w: signature is not base64", ErrMalformedSignature)
	}
	switch sig.algorithm {
	case "", "hs2019", "rsa-sha256":
	default:
		return fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, sig.algorithm)
	}
	var err error
	if sig.created != "" {
		if sig.createdAt, err = strconv.ParseInt(sig.created, 10, 64); err != nil {
			return fmt.Errorf("%w: bad created", ErrMalformedSignature)
		}
	}
	if sig.expires != "" {
		if sig.expiresAt, err = strconv.ParseInt(sig.expires, 10, 64); err != nil {
			return fmt.Errorf("%w: bad expires", ErrMalformedSignature)
		}
	}
	return nil
}

// splitParams splits comma-separated name=value pairs; values may be quoted.
func splitParams(s string) (map[string]string, error) {
	params := make(map[string]string, 4)
	rest := s
	for {
		rest = strings.TrimLeft(rest, " \t,")
		if rest == "" {
			return params, nil
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("%w: parameter without value", ErrMalformedSignature)
		}
		name := strings.ToLower(strings.TrimSpace(rest[:eq]))
		var val string
		var err error
		val, rest, err = paramValue(strings.TrimLeft(rest[eq+1:], " \t"))
		if err != nil {
			return nil, err
		}
		if _, dup := params[name]; dup {
			return nil, fmt.Errorf("%w: duplicate %q", ErrMalformedSignature, name)
		}
		params[name] = val
	}
}

// paramValue reads one quoted or bare value and returns what follows it.
func paramValue(s string) (val, rest string, err error) {
	if !strings.HasPrefix(s, `"`) {
		end := strings.IndexByte(s, ',')
		if end < 0 {
			end = len(s)
		}
		return strings.TrimSpace(s[:end]), s[end:], nil
	}
	end := strings.IndexByte(s[1:], '"')
	if end < 0 {
		return "", "", fmt.Errorf("%w: unterminated quote", ErrMalformedSignature)
	}
	val, rest = s[1:1+end], strings.TrimLeft(s[2+end:], " \t")
	if rest != "" && rest[0] != ',' {
		return "", "", fmt.Errorf("%w: junk after quoted value", ErrMalformedSignature)
	}
	return val, rest, nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// canonical re-serialises the parsed signature for httpsig.
func (sig *cavageSig) canonical() string {
	var b strings.Builder
	fmt.Fprintf(&b, `keyId="%s",algorithm="hs2019",`, sig.keyID)
	if slices.Contains(sig.headers, "(created)") {
		fmt.Fprintf(&b, "created=%d,", sig.createdAt)
	}
	if slices.Contains(sig.headers, "(expires)") {
		fmt.Fprintf(&b, "expires=%d,", sig.expiresAt)
	}
	fmt.Fprintf(&b, `headers="%s",signature="%s"`, strings.Join(sig.headers, " "), sig.signature)
	return b.String()
}

// checkDigest verifies every SHA-256 or SHA-512 entry of the Digest header
// (RFC 3230) against body. A request without Digest passes here: whether
// one was required is checkCoverage's business.
func checkDigest(h http.Header, body []byte) error {
	vals := h.Values("Digest")
	if len(vals) == 0 {
		return nil
	}
	known := 0
	for _, part := range strings.Split(strings.Join(vals, ","), ",") {
		alg, b64, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: malformed Digest", ErrDigestMismatch)
		}
		want := digestOf(alg, body)
		if want == nil {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil || subtle.ConstantTimeCompare(got, want) != 1 {
			return ErrDigestMismatch
		}
		known++
	}
	if known == 0 {
		return fmt.Errorf("%w: no SHA-256 or SHA-512 digest", ErrDigestMismatch)
	}
	return nil
}

// digestOf hashes body with the named RFC 3230 algorithm, or returns nil
// for one we do not check.
func digestOf(alg string, body []byte) []byte {
	switch strings.ToUpper(strings.TrimSpace(alg)) {
	case "SHA-256":
		s := sha256.Sum256(body)
		return s[:]
	case "SHA-512":
		s := sha512.Sum512(body)
		return s[:]
	}
	return nil
}
