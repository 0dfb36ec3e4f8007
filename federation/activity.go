package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// MaxJSONDepth is the deepest nesting of arrays and objects accepted from
// peers; real activities stay under 10.
const MaxJSONDepth = 64

// Errors of activity parsing.
var (
	ErrTooDeep           = errors.New("federation: JSON nested too deeply")
	ErrMalformedActivity = errors.New("federation: malformed activity")
	// ErrUnknownType means the document is fine JSON but of a type go-fed
	// does not know (EmojiReact, ChatMessage…): ignore it, answer 202.
	ErrUnknownType = errors.New("federation: unknown ActivityStreams type")
)

// ParseActivity decodes a document received from a peer: size cap
// (MaxBodyBytes), nesting cap (MaxJSONDepth, checked before any decoding),
// then go-fed's streams.ToType. It returns the typed value and the raw map;
// extension properties go-fed does not model are read from the map. A
// document without @context is read as plain ActivityStreams (Lemmy sends
// some that way). Unknown types give ErrUnknownType with the map still set.
func ParseActivity(ctx context.Context, raw []byte) (vocab.Type, map[string]any, error) {
	m, err := decodeObject(raw)
	if err != nil {
		return nil, nil, err
	}
	t, err := toType(ctx, m)
	if err != nil {
		return nil, m, err
	}
	return t, m, nil
}

// toType runs go-fed on a copy of m, turning its failures (and any panic
// on hostile input) into our errors.
func toType(ctx context.Context, m map[string]any) (t vocab.Type, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("%w: go-fed panicked: %v", ErrMalformedActivity, r)
		}
	}()
	if _, ok := m["@context"]; !ok {
		m = maps.Clone(m)
		m["@context"] = ActivityStreamsContext
	}
	if _, ok := m["type"]; !ok {
		return nil, fmt.Errorf("%w: no type", ErrMalformedActivity)
	}
	t, err = streams.ToType(ctx, m)
	switch {
	case errors.Is(err, streams.ErrUnhandledType):
		return nil, fmt.Errorf("%w: %v", ErrUnknownType, m["type"])
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrMalformedActivity, err)
	}
	return t, nil
}

// PeekType reads only the top-level id, type and actor of an activity, for
// the inbox's hot path (dedupe and owner check before answering 202) where
// go-fed is too slow. For a multi-typed object typ is the first type; an
// actor given as an object or array yields the first id. It applies the
// same size and depth limits as ParseActivity and, like it, matches keys
// exactly (encoding/json's struct decoding would also match "ID" or "Type").
func PeekType(raw []byte) (id, typ, actor string, err error) {
	if len(raw) > MaxBodyBytes {
		return "", "", "", ErrTooLarge
	}
	if err := checkDepth(raw, MaxJSONDepth); err != nil {
		return "", "", "", err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return "", "", "", fmt.Errorf("%w: not a JSON object", ErrMalformedActivity)
	}
	id, _ = firstString(top["id"])
	typ, _ = firstString(top["type"])
	actor, _ = firstString(top["actor"])
	if typ == "" {
		return "", "", "", fmt.Errorf("%w: no type", ErrMalformedActivity)
	}
	return id, typ, actor, nil
}

// firstString reads a JSON string, the first string of an array, or the
// "id" of an object (or of the first object of an array).
func firstString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil && len(obj["id"]) > 0 {
		return firstString(obj["id"])
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) == nil && len(arr) > 0 {
		return firstString(arr[0])
	}
	return "", false
}

// decodeObject decodes a JSON object after the size and depth checks.
func decodeObject(raw []byte) (map[string]any, error) {
	if len(raw) > MaxBodyBytes {
		return nil, ErrTooLarge
	}
	if err := checkDepth(raw, MaxJSONDepth); err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformedActivity)
	}
	return m, nil
}

// checkDepth scans raw once and fails if arrays and objects nest deeper
// than max. It does not validate the JSON; the decoder does that after.
func checkDepth(raw []byte, max int) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range raw {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			if depth++; depth > max {
				return ErrTooDeep
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}
