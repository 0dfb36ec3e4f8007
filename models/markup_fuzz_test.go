package models

import (
	"testing"

	"github.com/opendemocracynow/odn/models/markuptest"
)

// FuzzRenderMarkdown: whatever a user writes (forms and the API take
// Markdown), the stored HTML, parsed as a browser would, holds only the
// allowed elements, no event handler or style, and only http(s), mailto
// and relative links; SanitizeHTML's output alike. Neither panics.
func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{
		"Un **débat** sur la _rue_ du marché.\n\n- oui\n- non",
		"[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](&#106;avascript:alert(1))",
		"<javascript:alert(1)>", "<script>alert(1)</script>", "![i](x\" onerror=\"alert(1))",
		"<a href=\"javascript:alert(1)\">x</a>", "<img src=x onerror=alert(1)>", "www.example.com/a?b=<c>",
		"[x](data:text/html;base64,PHNjcmlwdD4=)", "> quote\n>> nested\n\n```\n<script>\n```",
		"<div style=\"x\" onmouseover=\"y\">z</div>", "[a](<java\tscript:x>)", "~~del~~ `code` <mailto:a@b.example>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkMarkup(t, RenderMarkdown(in))
		checkMarkup(t, SanitizeHTML(in))
		_ = PlainText(in)
	})
}

// storedMarkup is what contentPolicy lets through. Relative links stay
// (a link to "0" is a link).
var storedMarkup = markuptest.Policy{
	Elements: map[string]bool{
		"p": true, "br": true, "span": true, "del": true, "pre": true, "code": true, "em": true, "strong": true,
		"b": true, "i": true, "u": true, "ul": true, "ol": true, "li": true, "blockquote": true, "h3": true, "h4": true,
		"a": true,
	},
	Attrs:   map[string]bool{"rel": true},
	Schemes: map[string]bool{"": true, "http": true, "https": true, "mailto": true},
}

func checkMarkup(t *testing.T, out string) {
	t.Helper()
	if err := markuptest.Check(out, storedMarkup); err != nil {
		t.Fatal(err)
	}
}
