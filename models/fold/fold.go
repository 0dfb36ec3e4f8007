// Package fold gives the search form of a text: lower-case, without
// accents. Models store it beside what people wrote (the search columns,
// tag keys) because SQLite's LOWER and LIKE fold ASCII only and
// PostgreSQL's depend on the database's collation, so a search for
// "ecole" must find "École" by comparing folded texts; migrations
// backfill the same form, hence this package of its own.
package fold

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Text lower-cases s and strips its accents (combining marks after
// canonical decomposition): "École" and "ÉCOLE" give "ecole".
func Text(s string) string {
	// A transformer keeps state, so each call chains its own.
	out, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}
