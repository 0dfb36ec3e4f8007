package federation

import (
	"regexp"

	"github.com/microcosm-cc/bluemonday"
)

// incomingHTML is the policy for all HTML received from peers: the subset
// Mastodon keeps. A bluemonday.Policy is safe for concurrent use once
// built, and this one is never modified after init.
var incomingHTML = newIncomingPolicy()

// mastodonClass matches the microformats and Mastodon classes Mastodon
// itself keeps on links and spans (mention, hashtag, invisible, ellipsis).
var mastodonClass = regexp.MustCompile(`^(?:(?:h|p|u|dt|e)-[a-z0-9-]+|mention|hashtag|ellipsis|invisible)(?: (?:(?:h|p|u|dt|e)-[a-z0-9-]+|mention|hashtag|ellipsis|invisible))*$`)

func newIncomingPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span", "del", "pre", "code", "em", "strong",
		"b", "i", "u", "ul", "ol", "li", "blockquote")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^[a-z ]*$`)).OnElements("a")
	p.AllowAttrs("class").Matching(mastodonClass).OnElements("a", "span")
	p.AllowURLSchemes("http", "https")
	p.AllowRelativeURLs(false)
	p.RequireParseableURLs(true)
	// rel="nofollow noopener noreferrer" and target=_blank on every link;
	// relative links are refused, so every link is fully qualified.
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}

// SanitizeIncomingHTML reduces HTML from a peer (content, summary, name of
// remote objects and actors) to the elements Mastodon keeps: p br span
// a(href rel class) del pre code em strong b i u ul ol li blockquote.
// Links keep only http(s) URLs and get rel="nofollow noopener noreferrer".
func SanitizeIncomingHTML(s string) string {
	return incomingHTML.Sanitize(s)
}

// Extension properties go-fed v1.0.0 does not model. Outgoing, pass them
// to Serialize in extra; incoming, read them from ParseActivity's map with
// the helpers below.
const (
	PropSensitive                 = "sensitive"
	PropManuallyApprovesFollowers = "manuallyApprovesFollowers"
	PropDiscoverable              = "discoverable"
	PropIndexable                 = "indexable"
	PropVotersCount               = "votersCount"
	PropFeatured                  = "featured"
	PropEndpoints                 = "endpoints"
	PropSharedInbox               = "sharedInbox"
	PropMisskeyContent            = "_misskey_content"
)

// BoolProperty reads a boolean extension property; ok is false when the
// property is absent or not a boolean.
func BoolProperty(m map[string]any, name string) (v, ok bool) {
	v, ok = m[name].(bool)
	return v, ok
}

// IntProperty reads a non-negative integer extension property such as
// votersCount; ok is false when absent, not a number or not integral.
func IntProperty(m map[string]any, name string) (v int64, ok bool) {
	f, ok := m[name].(float64)
	if !ok || f < 0 || f > 1<<53 || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// SharedInbox returns an actor's endpoints.sharedInbox, or "".
func SharedInbox(actor map[string]any) string {
	ep, _ := actor[PropEndpoints].(map[string]any)
	s, _ := ep[PropSharedInbox].(string)
	return s
}

// ActorEndpoints is the extra for Serialize that publishes an actor's
// shared inbox.
func ActorEndpoints(sharedInbox string) map[string]any {
	return map[string]any{PropEndpoints: map[string]any{PropSharedInbox: sharedInbox}}
}

// Hashtag returns a Mastodon Hashtag tag (go-fed has no Hashtag type), to
// append to a tag array passed to Serialize in extra.
func Hashtag(name, href string) map[string]any {
	if len(name) > 0 && name[0] != '#' {
		name = "#" + name
	}
	return map[string]any{"type": "Hashtag", "name": name, "href": href}
}
