package federation

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
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

var allowedElements = map[string]bool{
	"p": true, "br": true, "span": true, "a": true, "del": true, "pre": true, "code": true,
	"em": true, "strong": true, "b": true, "i": true, "u": true, "ul": true, "ol": true,
	"li": true, "blockquote": true,
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
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !allowedElements[tok.Data] {
				t.Fatalf("element %q in %q", tok.Data, out)
			}
			for _, a := range tok.Attr {
				checkAttr(t, a, out)
			}
		}
	}
}

func checkAttr(t *testing.T, a html.Attribute, out string) {
	switch a.Key {
	case "rel", "class", "target":
	case "href":
		u, err := url.Parse(strings.TrimSpace(a.Val))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			t.Fatalf("href %q in %q", a.Val, out)
		}
	default:
		t.Fatalf("attribute %q in %q", a.Key, out)
	}
}
