package federation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// JSON-LD contexts, namespaces and the special public collection.
const (
	ActivityStreamsContext = "https://www.w3.org/ns/activitystreams"
	SecurityContext        = "https://w3id.org/security/v1"
	// ODNNamespace is odn's extension vocabulary (documented in
	// docs/FEDERATION.md); terms are written with the "odn:" prefix.
	ODNNamespace = "https://opendemocracynow.org/ns#"
	// TootNamespace is Mastodon's extension vocabulary.
	TootNamespace = "http://joinmastodon.org/ns#"
	// PublicCollection addresses everyone.
	PublicCollection = "https://www.w3.org/ns/activitystreams#Public"
)

// Media types.
const (
	ActivityJSONType = "application/activity+json"
	// LDJSONType is the JSON-LD form peers must also accept.
	LDJSONType = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	// AcceptActivity is the Accept header for fetching ActivityPub objects.
	AcceptActivity = ActivityJSONType + ", " + LDJSONType
	JRDType        = "application/jrd+json"
	XRDType        = "application/xrd+xml"
)

// ExtensionContext returns the inline term map odn puts third in every
// @context: the Mastodon terms odn emits and odn's own. Mastodon and most
// peers read plain keys without JSON-LD processing, so extension properties
// are emitted as the bare terms below ("sensitive", "votersCount") and
// odn's as "odn:…". It returns a fresh map on each call.
func ExtensionContext() map[string]any {
	return map[string]any{
		"odn":                       ODNNamespace,
		"toot":                      TootNamespace,
		"schema":                    "http://schema.org#",
		"xsd":                       "http://www.w3.org/2001/XMLSchema#",
		"sensitive":                 "as:sensitive",
		"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
		"Hashtag":                   "as:Hashtag",
		"discoverable":              "toot:discoverable",
		"indexable":                 "toot:indexable",
		"votersCount":               "toot:votersCount",
		"featured":                  map[string]any{"@id": "toot:featured", "@type": "@id"},
		"PropertyValue":             "schema:PropertyValue",
		"value":                     "schema:value",
		// odn terms. odn:type is the civic kind (Proposal, Debate,
		// Petition) of an object whose AS type is Note or Question.
		"odn:type":       map[string]any{"@id": "odn:type"},
		"odn:status":     map[string]any{"@id": "odn:status"},
		"odn:supports":   map[string]any{"@id": "odn:supports", "@type": "xsd:nonNegativeInteger"},
		"odn:threshold":  map[string]any{"@id": "odn:threshold", "@type": "xsd:nonNegativeInteger"},
		"odn:signatures": map[string]any{"@id": "odn:signatures", "@type": "xsd:nonNegativeInteger"},
		"odn:goal":       map[string]any{"@id": "odn:goal", "@type": "xsd:nonNegativeInteger"},
		// odn:byInstance maps a host to a count: opaque JSON.
		"odn:byInstance": map[string]any{"@id": "odn:byInstance", "@type": "@json"},
		// odn:resultsVisibility is a debate's rule: "live" or
		// "after_close" (counts left out until it closes).
		"odn:resultsVisibility": map[string]any{"@id": "odn:resultsVisibility"},
		// odn:stance is "for" or "against" on an argument; odn:asOf is
		// when a copy's counts were last known (xsd:dateTime).
		"odn:stance": map[string]any{"@id": "odn:stance"},
		"odn:asOf":   map[string]any{"@id": "odn:asOf", "@type": "xsd:dateTime"},
		// odn:answeredAt is when a proposal was last decided.
		"odn:answeredAt": map[string]any{"@id": "odn:answeredAt", "@type": "xsd:dateTime"},
		// odn:items are the ids of a consultation's proposals, debates
		// and petitions, on its synthesis.
		"odn:items": map[string]any{"@id": "odn:items", "@type": "@id", "@container": "@set"},
		// A consultation's phases (opaque JSON) and its synthesis.
		"odn:phases":    map[string]any{"@id": "odn:phases", "@type": "@json"},
		"odn:synthesis": map[string]any{"@id": "odn:synthesis", "@type": "@id"},
		// The consultation a proposal, debate or petition belongs to (an
		// embedded object with its phases), and when it was withdrawn.
		"odn:consultation": map[string]any{"@id": "odn:consultation"},
		"odn:withdrawn":    map[string]any{"@id": "odn:withdrawn", "@type": "xsd:dateTime"},
		// The options (as in oneOf, anyOf) of a poll of a consultation
		// whose contribution phase has not begun: see pollOpensAt.
		"odn:oneOf": map[string]any{"@id": "odn:oneOf", "@container": "@list"},
		"odn:anyOf": map[string]any{"@id": "odn:anyOf", "@container": "@list"},
	}
}

// Context returns the @context of every document odn serves:
// ActivityStreams, security/v1 (publicKey) and ExtensionContext.
func Context() []any {
	return []any{ActivityStreamsContext, SecurityContext, ExtensionContext()}
}

// IsPublic reports whether an addressing IRI is the public collection,
// including the compacted forms some peers send.
func IsPublic(iri string) bool {
	switch iri {
	case PublicCollection, "as:Public", "Public":
		return true
	}
	return false
}

// Serialize turns t into the JSON odn sends. It serialises with go-fed,
// replaces the @context by Context(), then merges extra into the document:
// top-level keys are set (overriding go-fed's), and a map value merges
// into an existing map value (extra{"object": {"sensitive": true}} reaches
// the embedded object). This is where the Mastodon extensions go-fed lacks
// (sensitive, manuallyApprovesFollowers, endpoints.sharedInbox, Hashtag
// tags, indexable…) are added. HTML is not escaped to \u003c.
func Serialize(t vocab.Type, extra map[string]any) ([]byte, error) {
	if t == nil {
		return nil, errors.New("federation: serialize nil")
	}
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, fmt.Errorf("federation: serialize %s: %w", t.GetTypeName(), err)
	}
	mergeInto(m, extra)
	m["@context"] = Context()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("federation: serialize %s: %w", t.GetTypeName(), err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// mergeInto sets src's entries in dst, merging nested maps.
func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if sv, ok := v.(map[string]any); ok {
			if dv, ok := dst[k].(map[string]any); ok {
				mergeInto(dv, sv)
				continue
			}
		}
		dst[k] = v
	}
}
