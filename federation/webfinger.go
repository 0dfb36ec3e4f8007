package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"unicode"
)

// WebFingerPath is where WebFinger is served (RFC 7033).
const WebFingerPath = "/.well-known/webfinger"

// Link relations used in JRD documents.
const (
	RelSelf        = "self"
	RelProfilePage = "http://webfinger.net/rel/profile-page"
)

// Errors of WebFinger parsing and lookups.
var (
	// ErrMalformedResource: answer 400.
	ErrMalformedResource = errors.New("federation: malformed WebFinger resource")
	// ErrNotLocal: the resource names another host; answer 404.
	ErrNotLocal = errors.New("federation: resource is not on this host")
	// ErrNoSelfLink: the JRD names no ActivityPub actor.
	ErrNoSelfLink = errors.New("federation: WebFinger answer has no ActivityPub self link")
)

// ParseResource reads the resource parameter of a WebFinger query to this
// server, localHost (host[:port] as in our ids). It accepts
// "acct:name@host", "name@host", "@name@host" and actor URLs. For a handle
// it returns the user name; for a URL it returns the URL itself with isURL
// set, for the caller to look up by id. A resource on another host gives
// ErrNotLocal; anything unparseable ErrMalformedResource.
func ParseResource(resource, localHost string) (username string, isURL bool, err error) {
	resource = strings.TrimSpace(resource)
	if hasPrefixFold(resource, "https://") || hasPrefixFold(resource, "http://") {
		u, err := url.Parse(resource)
		if err != nil || u.Host == "" || u.User != nil {
			return "", false, ErrMalformedResource
		}
		if !strings.EqualFold(u.Host, localHost) {
			return "", false, ErrNotLocal
		}
		return resource, true, nil
	}
	user, host, err := ParseHandle(resource)
	if err != nil {
		return "", false, err
	}
	if !strings.EqualFold(host, localHost) {
		return "", false, ErrNotLocal
	}
	return user, false, nil
}

// ParseHandle splits "name@host", "@name@host" or "acct:name@host" into a
// user name and a lower-cased host (which may carry a port).
func ParseHandle(s string) (user, host string, err error) {
	s = strings.TrimSpace(s)
	if hasPrefixFold(s, "acct:") {
		s = s[len("acct:"):]
	}
	s = strings.TrimPrefix(s, "@")
	user, host, ok := strings.Cut(s, "@")
	if !ok || !validUser(user) || !validHost(host) {
		return "", "", fmt.Errorf("%w: %q", ErrMalformedResource, s)
	}
	return user, strings.ToLower(host), nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// validUser accepts any printable name without spaces or URL or handle
// delimiters; which names exist is the caller's business. Unicode spaces
// and controls are refused as ASCII ones are: "\u0085" (NEL) is trimmed
// as space when the handle is read again, so a name of it would not name
// the same account twice.
func validUser(u string) bool {
	if u == "" || len(u) > 255 {
		return false
	}
	return !strings.ContainsFunc(u, func(r rune) bool {
		return r <= ' ' || !unicode.IsPrint(r) || strings.ContainsRune(`@/?#:%"<>\`, r)
	})
}

// validHost accepts an ASCII host name or IP literal with an optional port.
func validHost(h string) bool {
	if h == "" || len(h) > 261 {
		return false
	}
	for _, r := range h {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-.:[]", r)
		if !ok {
			return false
		}
	}
	u, err := url.Parse("https://" + h)
	return err == nil && u.Host == h && u.Hostname() != "" && !strings.HasSuffix(h, ":")
}

// JRD is a WebFinger answer (RFC 7033 JSON Resource Descriptor).
type JRD struct {
	Subject string   `json:"subject"`
	Aliases []string `json:"aliases,omitempty"`
	Links   []Link   `json:"links,omitempty"`
}

// Link is a JRD link, also used by NodeInfo discovery.
type Link struct {
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Href     string `json:"href,omitempty"`
	Template string `json:"template,omitempty"`
}

// NewJRD builds the answer for a local actor: subject acct:user@host, the
// actor id and its HTML page as aliases, a self link of type
// application/activity+json and a profile-page link. Serve it as
// application/jrd+json.
func NewJRD(user, host, actorID, profileURL string) JRD {
	j := JRD{
		Subject: "acct:" + user + "@" + host,
		Aliases: []string{actorID},
		Links:   []Link{{Rel: RelSelf, Type: ActivityJSONType, Href: actorID}},
	}
	if profileURL != "" && profileURL != actorID {
		j.Aliases = append(j.Aliases, profileURL)
		j.Links = append(j.Links, Link{Rel: RelProfilePage, Type: "text/html", Href: profileURL})
	}
	return j
}

// ActorID returns the href of the rel=self link typed
// application/activity+json, or else one typed application/ld+json with
// the ActivityStreams profile.
func (j *JRD) ActorID() (string, bool) {
	fallback := ""
	for _, l := range j.Links {
		if l.Rel != RelSelf || l.Href == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(l.Type)
		switch {
		case err != nil:
		case mt == ActivityJSONType:
			return l.Href, true
		case mt == "application/ld+json" && strings.Contains(params["profile"], ActivityStreamsContext) && fallback == "":
			fallback = l.Href
		}
	}
	return fallback, fallback != ""
}

// decodeJRD decodes a JRD leniently: links that do not decode are skipped,
// as are unknown members (titles, properties).
func decodeJRD(raw []byte) (*JRD, error) {
	if len(raw) > MaxBodyBytes {
		return nil, ErrTooLarge
	}
	if err := checkDepth(raw, MaxJSONDepth); err != nil {
		return nil, err
	}
	var doc struct {
		Subject any               `json:"subject"`
		Aliases []json.RawMessage `json:"aliases"`
		Links   []json.RawMessage `json:"links"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%w: JRD: %w", ErrMalformedResource, err)
	}
	j := &JRD{}
	j.Subject, _ = doc.Subject.(string)
	for _, a := range doc.Aliases {
		var s string
		if json.Unmarshal(a, &s) == nil {
			j.Aliases = append(j.Aliases, s)
		}
	}
	for _, l := range doc.Links {
		var link Link
		if json.Unmarshal(l, &link) == nil {
			j.Links = append(j.Links, link)
		}
	}
	return j, nil
}

// WebFinger resolves user@host to an actor id through
// https://host/.well-known/webfinger?resource=acct:user@host (http when
// AllowHTTP). The request is not signed. Callers must still check that the
// actor's preferredUsername@host resolves back to it, as Mastodon does.
func (f *Fetcher) WebFinger(ctx context.Context, user, host string) (string, error) {
	user, host, err := ParseHandle(user + "@" + host)
	if err != nil {
		return "", err
	}
	u := &url.URL{Scheme: "https", Host: host, Path: WebFingerPath,
		RawQuery: url.Values{"resource": {"acct:" + user + "@" + host}}.Encode()}
	if f.AllowHTTP {
		u.Scheme = "http"
	}
	body, _, err := f.get(ctx, u, JRDType+", application/json", false)
	if err != nil {
		return "", fmt.Errorf("webfinger %s@%s: %w", user, host, err)
	}
	jrd, err := decodeJRD(body)
	if err != nil {
		return "", fmt.Errorf("webfinger %s@%s: %w", user, host, err)
	}
	href, ok := jrd.ActorID()
	if !ok {
		return "", fmt.Errorf("webfinger %s@%s: %w", user, host, ErrNoSelfLink)
	}
	if _, err := f.checkURL(href); err != nil {
		return "", fmt.Errorf("webfinger %s@%s: %w", user, host, err)
	}
	return href, nil
}
