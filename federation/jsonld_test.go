package federation

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func testNote(t *testing.T) vocab.ActivityStreamsNote {
	note := streams.NewActivityStreamsNote()
	id := streams.NewJSONLDIdProperty()
	id.SetIRI(mustURL(t, "https://odn.example/proposals/7"))
	note.SetJSONLDId(id)
	content := streams.NewActivityStreamsContentProperty()
	content.AppendXMLSchemaString("<p>Plant 100 trees & more</p>")
	note.SetActivityStreamsContent(content)
	to := streams.NewActivityStreamsToProperty()
	to.AppendIRI(mustURL(t, PublicCollection))
	note.SetActivityStreamsTo(to)
	return note
}

func TestSerialize(t *testing.T) {
	create := streams.NewActivityStreamsCreate()
	obj := streams.NewActivityStreamsObjectProperty()
	obj.AppendActivityStreamsNote(testNote(t))
	create.SetActivityStreamsObject(obj)

	raw, err := Serialize(create, map[string]any{
		"@context": "ignored",
		"object": map[string]any{
			PropSensitive: true,
			"tag":         []any{Hashtag("lyon", "https://odn.example/tags/lyon")},
			"odn:type":    "Proposal",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "<p>Plant 100 trees & more</p>") {
		t.Errorf("HTML escaped: %s", raw)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	ctx, _ := m["@context"].([]any)
	if len(ctx) != 3 || ctx[0] != ActivityStreamsContext || ctx[1] != SecurityContext {
		t.Fatalf("@context = %v", m["@context"])
	}
	if terms, _ := ctx[2].(map[string]any); terms["odn"] != ODNNamespace || terms["sensitive"] != "as:sensitive" {
		t.Errorf("term map = %v", ctx[2])
	}
	note := m["object"].(map[string]any)
	if note["sensitive"] != true || note["odn:type"] != "Proposal" || note["content"] == nil || note["type"] != "Note" {
		t.Errorf("object = %v", note)
	}
	tag := note["tag"].([]any)[0].(map[string]any)
	if tag["name"] != "#lyon" || tag["type"] != "Hashtag" {
		t.Errorf("tag = %v", tag)
	}
	// What we send, we can read back.
	typed, back, err := ParseActivity(context.Background(), raw)
	if err != nil || typed.GetTypeName() != "Create" {
		t.Fatalf("round trip: %v, %v", typed, err)
	}
	if b, _ := BoolProperty(back["object"].(map[string]any), PropSensitive); !b {
		t.Error("sensitive lost in round trip")
	}
}

func TestSerializeNil(t *testing.T) {
	if _, err := Serialize(nil, nil); err == nil {
		t.Error("nil accepted")
	}
}

func TestMergeInto(t *testing.T) {
	dst := map[string]any{"a": 1, "o": map[string]any{"x": 1, "y": 2}, "s": "iri"}
	mergeInto(dst, map[string]any{"b": 2, "o": map[string]any{"y": 3}, "s": map[string]any{"id": "iri"}})
	want := map[string]any{"a": 1, "b": 2, "o": map[string]any{"x": 1, "y": 3}, "s": map[string]any{"id": "iri"}}
	if !reflect.DeepEqual(dst, want) {
		t.Errorf("mergeInto = %v", dst)
	}
}

func TestParseActivity(t *testing.T) {
	deep := `{"type":"Note","a":` + strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth) + `}`
	tests := []struct {
		name    string
		raw     string
		typ     string
		wantErr error
	}{
		{name: "note", raw: `{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","id":"https://a.example/1"}`, typ: "Note"},
		{name: "no context", raw: `{"type":"Like","actor":"https://a.example/u","object":"https://b.example/p"}`, typ: "Like"},
		{name: "multi-typed", raw: `{"@context":"https://www.w3.org/ns/activitystreams","type":["Note","odn:Proposal"]}`, typ: "Note"},
		{name: "unknown type", raw: `{"@context":"https://www.w3.org/ns/activitystreams","type":"EmojiReact"}`, wantErr: ErrUnknownType},
		{name: "no type", raw: `{"@context":"https://www.w3.org/ns/activitystreams"}`, wantErr: ErrMalformedActivity},
		{name: "array", raw: `[{"type":"Note"}]`, wantErr: ErrMalformedActivity},
		{name: "null", raw: `null`, wantErr: ErrMalformedActivity},
		{name: "invalid", raw: `{"type":`, wantErr: ErrMalformedActivity},
		{name: "too deep", raw: deep, wantErr: ErrTooDeep},
		{name: "too large", raw: `{"type":"Note","x":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, wantErr: ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typed, m, err := ParseActivity(context.Background(), []byte(tt.raw))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if errors.Is(err, ErrUnknownType) && m == nil {
					t.Error("unknown type must still return the map")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if typed.GetTypeName() != tt.typ {
				t.Errorf("type = %s, want %s", typed.GetTypeName(), tt.typ)
			}
			if _, ok := m["@context"]; !ok && tt.name != "no context" {
				t.Error("map lost @context")
			}
			if _, ok := m["@context"]; ok && tt.name == "no context" {
				t.Error("the caller's map was modified")
			}
		})
	}
}

func TestPeekType(t *testing.T) {
	tests := []struct {
		raw            string
		id, typ, actor string
		wantErr        error
	}{
		{raw: `{"id":"i","type":"Like","actor":"a"}`, id: "i", typ: "Like", actor: "a"},
		{raw: `{"id":"i","type":["Note","odn:Proposal"]}`, id: "i", typ: "Note"},
		{raw: `{"type":"Create","actor":{"type":"Person","id":"a"}}`, typ: "Create", actor: "a"},
		{raw: `{"type":"Create","actor":[{"id":"a"},"b"]}`, typ: "Create", actor: "a"},
		{raw: `{"type":"Create","actor":["a","b"]}`, typ: "Create", actor: "a"},
		{raw: `{"type":"Like","Type":"Delete","ID":"x","id":"i"}`, id: "i", typ: "Like"},
		{raw: `{"type":"Like","type":"Delete"}`, typ: "Delete"}, // last wins, as in ParseActivity
		{raw: `{"type":5}`, wantErr: ErrMalformedActivity},
		{raw: `{"id":"i"}`, wantErr: ErrMalformedActivity},
		{raw: `["Like"]`, wantErr: ErrMalformedActivity},
		{raw: `null`, wantErr: ErrMalformedActivity},
		{raw: `{"type":"Like","x":` + strings.Repeat("{\"a\":", 70) + `1` + strings.Repeat("}", 70) + `}`, wantErr: ErrTooDeep},
	}
	for _, tt := range tests {
		id, typ, actor, err := PeekType([]byte(tt.raw))
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("PeekType(%.50s) err = %v, want %v", tt.raw, err, tt.wantErr)
			}
			continue
		}
		if err != nil || id != tt.id || typ != tt.typ || actor != tt.actor {
			t.Errorf("PeekType(%s) = %q %q %q %v", tt.raw, id, typ, actor, err)
		}
	}
}

func TestCheckDepth(t *testing.T) {
	tests := []struct {
		raw string
		max int
		ok  bool
	}{
		{`{}`, 1, true},
		{`{"a":[]}`, 1, false},
		{`{"a":"[[[[{{{{"}`, 1, true},
		{`{"a":"\"[[["}`, 1, true},
		{`{"a":"\\"}`, 1, true},
		{`[[[]]]`, 3, true},
		{`[[[[]]]]`, 3, false},
	}
	for _, tt := range tests {
		if err := checkDepth([]byte(tt.raw), tt.max); (err == nil) != tt.ok {
			t.Errorf("checkDepth(%s, %d) = %v", tt.raw, tt.max, err)
		}
	}
}

func TestIsPublic(t *testing.T) {
	for _, s := range []string{PublicCollection, "as:Public", "Public"} {
		if !IsPublic(s) {
			t.Errorf("IsPublic(%q) = false", s)
		}
	}
	if IsPublic("https://a.example/followers") {
		t.Error("followers is not public")
	}
}
