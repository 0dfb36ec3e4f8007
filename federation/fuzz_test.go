package federation

import (
	"context"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models/markuptest"
)

func addFixtureSeeds(f *testing.F) {
	for _, raw := range fixtures(f) {
		f.Add(raw)
	}
	f.Add([]byte(`{"type":["Note"],"actor":[{"id":{"id":"x"}}],"object":[[[{}]]]}`))
	f.Add([]byte(`{"@context":{"as":"https://www.w3.org/ns/activitystreams"},"type":"as:Note","to":{"id":1}}`))
	f.Add([]byte(`{"type":"Question","oneOf":[{"type":"Note","name":null,"replies":{"totalItems":"x"}}],"endTime":"soon"}`))
}

// FuzzParseActivity: ParseActivity never panics, and whenever it accepts a
// document PeekType agrees with it on id and type.
func FuzzParseActivity(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		typed, m, err := ParseActivity(context.Background(), raw)
		if err != nil {
			return
		}
		id, typ, _, perr := PeekType(raw)
		if perr != nil {
			t.Fatalf("ParseActivity accepted, PeekType: %v", perr)
		}
		if mid, ok := m["id"].(string); ok && mid != id {
			t.Fatalf("id: PeekType %q, map %q", id, mid)
		}
		if s, ok := m["type"].(string); ok && s != typ {
			t.Fatalf("type: PeekType %q, map %q (go-fed %s)", typ, s, typed.GetTypeName())
		}
	})
}

// FuzzPeekType: PeekType never panics and returns a type when it succeeds.
func FuzzPeekType(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, typ, _, err := PeekType(raw)
		if err == nil && typ == "" {
			t.Fatal("no error and no type")
		}
	})
}

// incomingMarkup is what SanitizeIncomingHTML lets through.
var incomingMarkup = markuptest.Policy{
	Elements: map[string]bool{
		"p": true, "br": true, "span": true, "a": true, "del": true, "pre": true, "code": true,
		"em": true, "strong": true, "b": true, "i": true, "u": true, "ul": true, "ol": true,
		"li": true, "blockquote": true,
	},
	Attrs:   map[string]bool{"rel": true, "class": true, "target": true},
	Schemes: map[string]bool{"http": true, "https": true},
}

// FuzzSanitizeIncomingHTML: the output, parsed as a browser would, holds
// only allowed elements, no event handlers or styles, and only http(s)
// links.
func FuzzSanitizeIncomingHTML(f *testing.F) {
	for _, s := range []string{
		`<p>hi <a href="https://a.example/" class="mention" rel="tag">#x</a></p>`,
		`<script>alert(1)</script>`, `<a href="javascript:alert(1)">x</a>`,
		`<a href="jav&#x09;ascript:alert(1)">x</a>`, `<img src=x onerror=alert(1)>`,
		`<svg><script>alert(1)</script></svg>`, `<p style="x" onmouseover="y">z</p>`,
		`<a href="  JAVASCRIPT:x">x</a>`, `<math><mi xlink:href="javascript:x">`,
		`<<script>script>`, `<a href="https://a.example/" onclick=x>`, `<!--<script>-->`,
	} {
		f.Add(s)
	}
	for _, raw := range fixtures(f) {
		f.Add(string(raw))
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := SanitizeIncomingHTML(in)
		if strings.Contains(strings.ToLower(out), "<script") {
			t.Fatalf("script in %q", out)
		}
		checkSanitized(t, out)
	})
}

func checkSanitized(t *testing.T, out string) {
	t.Helper()
	if err := markuptest.Check(out, incomingMarkup); err != nil {
		t.Fatal(err)
	}
}
