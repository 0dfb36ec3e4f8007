package web

import "golang.org/x/text/feature/plural"

// Plural forms. A message about a count has one key per CLDR plural
// category the language uses, below a base key:
//
//	en: "debate.voters.one": "%s voter",  "debate.voters.other": "%s voters"
//	fr: "debate.voters.one": "%s votant", "debate.voters.other": "%s votants"
//
// and N picks the key with the CLDR cardinal rules of
// golang.org/x/text/feature/plural: in English "one" is 1 only, in French
// 0 and 1 (so "0 votant", "1 votant", "2 votants"). A language whose rules
// have more categories (few, many…) adds those keys; a category without a
// key falls back to "other". TestCatalogPluralForms checks that every
// base key has, in each language, the forms its rules need.

// pluralCategories names plural.Form values as CLDR and the catalog keys do.
var pluralCategories = [...]string{
	plural.Other: "other",
	plural.Zero:  "zero",
	plural.One:   "one",
	plural.Two:   "two",
	plural.Few:   "few",
	plural.Many:  "many",
}

// PluralCategory is the CLDR cardinal category ("one", "other"…) of the
// whole number n in this language.
func (l *Locale) PluralCategory(n int) string {
	if n < 0 {
		n = -n
	}
	// MatchPlural takes the integer digits, and accepts them modulo 10^7.
	return pluralCategories[plural.Cardinal.MatchPlural(l.tag, n%10_000_000, 0, 0, 0, 0)]
}

// N returns the plural form of the message key for the count n, formatted
// with n written by Int (so a string: "%s" or "%[1]s" in the message)
// followed by args. The form's key is key+"."+PluralCategory(n), or
// key+".other" when the language has no message for that category.
func (l *Locale) N(key string, n int, args ...any) string {
	form := key + "." + l.PluralCategory(n)
	if _, ok := l.msgs[form]; !ok {
		form = key + ".other"
	}
	return l.T(form, append([]any{l.Int(n)}, args...)...)
}
