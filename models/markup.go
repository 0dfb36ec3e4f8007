package models

import (
	"bytes"
	stdhtml "html"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// Contributions are written in Markdown and stored twice: the source, for
// editing, and sanitised HTML, rendered once at write time so pages and
// feeds never sanitise on the hot path.

var (
	markdown = goldmark.New(
		goldmark.WithExtensions(extension.Linkify, extension.Strikethrough),
		goldmark.WithRendererOptions(html.WithHardWraps()), // no html.WithUnsafe: raw HTML is dropped
	)
	// contentPolicy keeps the subset of HTML that Mastodon keeps too, so
	// what odn shows and what it federates are the same.
	contentPolicy = newContentPolicy()
)

func newContentPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span", "del", "pre", "code", "em", "strong", "b", "i", "u", "ul", "ol", "li", "blockquote", "h3", "h4")
	p.AllowAttrs("href").OnElements("a")
	p.AllowStandardURLs()
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	p.RequireNoReferrerOnLinks(true)
	return p
}

// RenderMarkdown converts user Markdown to sanitised HTML.
func RenderMarkdown(src string) string {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return SanitizeHTML("<p>" + strictPolicy.Sanitize(src) + "</p>")
	}
	return SanitizeHTML(buf.String())
}

// SanitizeHTML keeps only the safe subset of HTML; every HTML that enters
// odn (forms, API, federation) passes through it before it is stored.
func SanitizeHTML(s string) string { return strings.TrimSpace(contentPolicy.Sanitize(s)) }

// strictPolicy keeps no markup at all; built once (a policy per call cost
// more than the sanitising).
var strictPolicy = bluemonday.StrictPolicy()

// PlainText strips all markup and decodes entities, for titles, summaries
// and search: text, which pages and documents escape where they put it
// (the sanitiser's output alone keeps "&#39;" for "'", which an escaping
// page showed as such).
func PlainText(s string) string {
	return strings.TrimSpace(stdhtml.UnescapeString(strictPolicy.Sanitize(s)))
}
