package models

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/opendemocracynow/odn/models/fold"
)

const (
	// maxExcerpt bounds a search hit's excerpt, in characters (the "…"
	// of its cut sides apart).
	maxExcerpt = 240
	// excerptLead is about how many characters of context an excerpt
	// shows before the first searched word.
	excerptLead = 60
)

// TextSpan is a part of a text: its bytes [Start, End).
type TextSpan struct{ Start, End int }

// Excerpt cuts s to at most n characters, "…" included: at the last
// space when one lies in the second half, else within a word (a rune
// boundary). Notifications, report labels, remote titles, the search's
// excerpts and the confirmation pages (web) share it.
func Excerpt(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := r[:n-1]
	for i := len(cut) - 1; i > (n-1)/2; i-- {
		if unicode.IsSpace(cut[i]) {
			cut = cut[:i]
			break
		}
	}
	return strings.TrimRightFunc(string(cut), unicode.IsSpace) + "…"
}

// hitExcerpt is a search hit's excerpt, plain text on one line (plain:
// text is not HTML): a window of about maxExcerpt characters around the
// first of the folded words it holds (excerptLead before it), cut at
// words, with "…" on each cut side; the start of the text when it holds
// none (the words are in the title). marks are where the words are in
// it.
func hitExcerpt(text string, plain bool, words []string) (string, []TextSpan) {
	if !plain {
		text = PlainText(text)
	}
	rs := []rune(strings.Join(strings.Fields(text), " "))
	found := foldedMatches(rs, words)
	start, end := excerptWindow(rs, found)
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	off := b.Len() // the window's first byte in the excerpt
	b.WriteString(string(rs[start:end]))
	if end < len(rs) {
		b.WriteString("…")
	}
	var marks []TextSpan
	for _, m := range found {
		s, e := max(m.Start, start), min(m.End, end)
		if s >= e {
			continue
		}
		bs := off + len(string(rs[start:s]))
		marks = append(marks, TextSpan{bs, bs + len(string(rs[s:e]))})
	}
	return b.String(), marks
}

// excerptWindow is the runes [start, end) of rs an excerpt shows, given
// the words found (rune spans, in order).
func excerptWindow(rs []rune, found []TextSpan) (start, end int) {
	if len(rs) <= maxExcerpt {
		return 0, len(rs)
	}
	keep := 0 // the window must reach the first match's end
	if len(found) > 0 {
		start, keep = max(0, found[0].Start-excerptLead), found[0].End
	}
	end = min(len(rs), start+maxExcerpt)
	if end == len(rs) {
		start = max(0, min(start, end-maxExcerpt))
	}
	if start > 0 && rs[start-1] != ' ' { // begin after a space, not after the match's start
		limit := len(rs)
		if len(found) > 0 {
			limit = found[0].Start
		}
		for i := start; i < limit; i++ {
			if rs[i] == ' ' {
				start = i + 1
				break
			}
		}
	}
	if end < len(rs) { // end before a space, in the window's second half
		for i := end; i > max(keep, start+maxExcerpt/2); i-- {
			if rs[i] == ' ' {
				end = i
				break
			}
		}
	}
	return start, max(end, min(keep, len(rs)))
}

// foldedMatches are the spans of rs (in runes, not bytes) where one of words (folded:
// fold.Text) begins a word (as the search matches: searchTokens), folding rs as the search does, in order and
// merged where they touch.
func foldedMatches(rs []rune, words []string) []TextSpan {
	var folded strings.Builder
	var origin []int // each folded byte's rune in rs
	for i, r := range rs {
		f := string(unicode.ToLower(r))
		if r >= utf8.RuneSelf {
			f = fold.Text(string(r))
		}
		folded.WriteString(f)
		for range len(f) {
			origin = append(origin, i)
		}
	}
	text := folded.String()
	var found []TextSpan
	for _, w := range words {
		for at := 0; w != "" && at < len(text); {
			i := strings.Index(text[at:], w)
			if i < 0 {
				break
			}
			b, e := at+i, at+i+len(w)
			if prev, _ := utf8.DecodeLastRuneInString(text[:b]); b > 0 && isWordRune(prev) {
				_, size := utf8.DecodeRuneInString(text[b:])
				at = b + size // inside a word: the search matches word starts only
				continue
			}
			found = append(found, TextSpan{origin[b], origin[e-1] + 1})
			at = e
		}
	}
	slices.SortFunc(found, func(a, b TextSpan) int { return a.Start - b.Start })
	var out []TextSpan
	for _, f := range found {
		if n := len(out); n > 0 && f.Start <= out[n-1].End {
			out[n-1].End = max(out[n-1].End, f.End)
			continue
		}
		out = append(out, f)
	}
	return out
}

// ExcerptPart is a piece of a search hit's excerpt: a searched word
// (Mark) or the text between.
type ExcerptPart struct {
	Text string
	Mark bool
}

// ExcerptParts splits the hit's Excerpt at its Marks, for a page to mark
// the searched words.
func (h *SearchHit) ExcerptParts() []ExcerptPart {
	var out []ExcerptPart
	at := 0
	for _, m := range h.Marks {
		if m.Start < at || m.End > len(h.Excerpt) {
			continue
		}
		if m.Start > at {
			out = append(out, ExcerptPart{Text: h.Excerpt[at:m.Start]})
		}
		out = append(out, ExcerptPart{Text: h.Excerpt[m.Start:m.End], Mark: true})
		at = m.End
	}
	if at < len(h.Excerpt) {
		out = append(out, ExcerptPart{Text: h.Excerpt[at:]})
	}
	return out
}
