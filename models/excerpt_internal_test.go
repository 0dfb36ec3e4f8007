package models

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestHitExcerpt: a search hit's excerpt is a window of its text around
// the first searched word, folded as the search folds (case, accents),
// cut at words with "…" on the cut sides; the start of the text when
// the words are only in the title; the marks are where the words are.
// Before, the excerpt was always the text's start, even when the word was
// further on.
func TestHitExcerpt(t *testing.T) {
	filler := strings.Repeat("lorem ipsum ", 40) // 480 characters
	long := strings.Repeat("x", 300)
	for _, tc := range []struct {
		name, text, query string
		plain             bool
		want              string // the excerpt, [marks] in brackets
	}{
		{"short text, word at start", "École ouverte le mardi", "ecole", true, "[École] ouverte le mardi"},
		{"accents and case in the text", "<p>Un banc près de l'ÉCOLE.</p>", "ecole", false, "Un banc près de l'[ÉCOLE]."},
		{"accents in the query", "Une ecole de musique", "ÉCOLE", true, "Une [ecole] de musique"},
		{"part of a word", "Les vélos passent", "velo", true, "Les [vélo]s passent"},
		{"two words, each marked", "Un arbre, deux arbres et un banc", "arbre banc", true, "Un [arbre], deux [arbre]s et un [banc]"},
		{"no match: the start", filler + "fin", "titre", true, strings.TrimSpace(filler[:240]) + "…"},
		{"match far on", filler + "la fontaine du marché " + filler, "fontaine", true,
			"…ipsum " + strings.Repeat("lorem ipsum ", 4) + "la [fontaine] du marché " + strings.Repeat("lorem ipsum ", 13) + "lorem…"},
		{"match at the end", filler + "la fontaine", "fontaine", true, "…" + strings.TrimSpace(filler[252:]) + " la [fontaine]"},
		{"multibyte before the match", strings.Repeat("été ", 100) + "naïve", "naive", true,
			"…" + strings.Repeat("été ", 58) + "[naïve]"},
		{"a very long word around the match", long + " fontaine" + long, "fontaine", true,
			"…[fontaine]" + long[:172] + "…"},
		{"only at a word's start", "le tabac, une abeille", "ab", true, "le tabac, une [ab]eille"},
		{"a combining accent", "Une e\u0301cole", "ecole", true, "Une [e\u0301cole]"},
		{"whitespace made one line", "Un\n\n  banc\tici", "banc", true, "Un [banc] ici"},
		{"empty text", "", "banc", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex, marks := hitExcerpt(tc.text, tc.plain, strings.Fields(foldText(tc.query)))
			var b strings.Builder
			at := 0
			for _, m := range marks {
				b.WriteString(ex[at:m.Start] + "[" + ex[m.Start:m.End] + "]")
				at = m.End
			}
			b.WriteString(ex[at:])
			if got := b.String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if !utf8.ValidString(ex) {
				t.Errorf("invalid UTF-8: %q", ex)
			}
			if n := utf8.RuneCountInString(ex); n > maxExcerpt+2 {
				t.Errorf("%d characters, more than %d", n, maxExcerpt+2)
			}
		})
	}
}

// TestExcerpt: the one cut of notifications, report labels and remote
// titles keeps at most n characters, "…" included, at a word when one
// ends in the second half, else within a word but on a rune boundary.
// Before, notifications cut within a word.
func TestExcerpt(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"Un banc", 10, "Un banc"},
		{"Un banc sous les tilleuls", 14, "Un banc sous…"},
		{"Un banc sous les tilleuls", 12, "Un banc…"},
		{"Unbancsouslestilleuls", 8, "Unbancs…"},
		{"A été élu", 5, "A ét…"},
		{"Ééééééé", 4, "Ééé…"},
	} {
		if got := Excerpt(tc.s, tc.n); got != tc.want || utf8.RuneCountInString(got) > tc.n {
			t.Errorf("excerpt(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}
