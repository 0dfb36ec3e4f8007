package federation

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/opendemocracynow/odn/models"
)

// ErrNotActor means a document is not a usable actor.
var ErrNotActor = errors.New("federation: not a usable actor document")

// actorTypes are the ActivityStreams actor types odn stores.
var actorTypes = map[string]bool{
	"Person": true, "Group": true, "Application": true, "Service": true, "Organization": true,
}

// idOf reads an IRI given as a string, an object with an id, or the first
// element of an array.
func idOf(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		return idOf(t["id"])
	case []any:
		if len(t) > 0 {
			return idOf(t[0])
		}
	}
	return ""
}

// idsOf reads a list of IRIs (string, object or array of either).
func idsOf(v any) []string {
	if arr, ok := v.([]any); ok {
		out := make([]string, 0, len(arr))
		for _, e := range arr {
			if id := idOf(e); id != "" {
				out = append(out, id)
			}
		}
		return out
	}
	if id := idOf(v); id != "" {
		return []string{id}
	}
	return nil
}

// typeOf reads "type" (the first one of a multi-typed object).
func typeOf(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	switch t := m["type"].(type) {
	case string:
		return t
	case []any:
		if len(t) > 0 {
			s, _ := t[0].(string)
			return s
		}
	}
	return ""
}

// str reads a string property, or "".
func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// hostOf returns the lower-case host[:port] of an absolute URI, or "".
func hostOf(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Host)
}

// sameOrigin reports whether two URIs share scheme-less host[:port].
func sameOrigin(a, b string) bool { h := hostOf(a); return h != "" && h == hostOf(b) }

// shortHash is a short stable digest for minting derived ids.
func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// plainText unescapes and strips tags for single-line fields (names).
func plainText(s string, max int) string {
	s = html.UnescapeString(incomingHTML.Sanitize(s))
	s = strings.Join(strings.Fields(stripTags(s)), " ")
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max])
	}
	return s
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// linkHref reads a url property given as a string, a Link object or an
// array of them, preferring text/html.
func linkHref(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		if h := str(t, "href"); h != "" {
			return h
		}
		return idOf(t["url"])
	case []any:
		for _, e := range t {
			if m, ok := e.(map[string]any); ok && strings.HasPrefix(str(m, "mediaType"), "text/html") {
				return linkHref(m)
			}
		}
		if len(t) > 0 {
			return linkHref(t[0])
		}
	}
	return ""
}

// actorFromDoc converts a remote actor document into a models.Actor. The
// document's publicKey must be owned by the actor itself; inbox URLs on
// another host are dropped (no delivery amplification towards third
// parties). HTML is sanitised; names become plain text.
func actorFromDoc(m map[string]any) (*models.Actor, error) {
	id := str(m, "id")
	typ := typeOf(m)
	host := hostOf(id)
	if id == "" || host == "" || !actorTypes[typ] {
		return nil, fmt.Errorf("%w: id %q type %q", ErrNotActor, id, typ)
	}
	keyID, pem := actorKey(m, id)
	if keyID == "" || pem == "" {
		return nil, fmt.Errorf("%w: %s has no public key", ErrNotActor, id)
	}
	username := plainText(str(m, "preferredUsername"), 100)
	if username == "" || strings.ContainsAny(username, "@/ ") {
		username = lastSegment(id)
	}
	a := &models.Actor{
		URI: id, Type: typ, Username: username, Host: host,
		Name: plainText(str(m, "name"), 200), Summary: SanitizeIncomingHTML(str(m, "summary")),
		URL: httpURL(linkHref(m["url"])), IconURL: httpURL(iconURL(m["icon"])),
		Inbox: sameHostURL(str(m, "inbox"), host), SharedInbox: sameHostURL(SharedInbox(m), host),
		Outbox: str(m, "outbox"), FollowersURI: str(m, "followers"), FollowingURI: str(m, "following"),
		PublicKeyID: keyID, PublicKeyPEM: pem,
	}
	if v, ok := BoolProperty(m, PropManuallyApprovesFollowers); ok {
		a.ManuallyApprove = v
	}
	if a.URL == "" {
		a.URL = id
	}
	if a.Inbox == "" {
		return nil, fmt.Errorf("%w: %s has no inbox on its host", ErrNotActor, id)
	}
	return a, nil
}

// actorKey finds the actor's own key among publicKey (object or array).
func actorKey(m map[string]any, id string) (keyID, pem string) {
	var keys []any
	switch k := m["publicKey"].(type) {
	case map[string]any:
		keys = []any{k}
	case []any:
		keys = k
	}
	for _, k := range keys {
		km, ok := k.(map[string]any)
		if !ok {
			continue
		}
		owner := idOf(km["owner"])
		if owner != "" && owner != id {
			continue
		}
		if kid, p := str(km, "id"), str(km, "publicKeyPem"); kid != "" && p != "" && sameOrigin(kid, id) {
			return kid, p
		}
	}
	return "", ""
}

func iconURL(v any) string {
	switch t := v.(type) {
	case []any:
		if len(t) > 0 {
			return iconURL(t[0])
		}
	case map[string]any:
		return linkHref(t["url"])
	case string:
		return t
	}
	return ""
}

// httpURL keeps only absolute http(s) URLs.
func httpURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return s
}

func sameHostURL(s, host string) string {
	if hostOf(s) != host || httpURL(s) == "" {
		return ""
	}
	return s
}

func lastSegment(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	p := strings.TrimRight(u.Path, "/")
	return p[strings.LastIndexByte(p, '/')+1:]
}
