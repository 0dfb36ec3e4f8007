package web

import "testing"

func TestLocalePlural(t *testing.T) {
	locales, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	// A catalog of its own, so the test does not depend on real messages.
	fake := func(lang string, msgs map[string]string) *Locale {
		l := *locales[lang]
		l.msgs, l.fallback = msgs, msgs
		return &l
	}
	en := fake("en", map[string]string{"x.one": "%s voter", "x.other": "%s voters", "y.other": "%[2]s: %[1]s items"})
	fr := fake("fr", map[string]string{"x.one": "%s votant", "x.other": "%s votants", "y.other": "%[2]s : %[1]s éléments"})
	cases := []struct {
		l    *Locale
		n    int
		cat  string
		x, y string
	}{
		{fr, 0, "one", "0 votant", "a : 0 éléments"},
		{fr, 1, "one", "1 votant", "a : 1 éléments"},
		{fr, 2, "other", "2 votants", "a : 2 éléments"},
		{fr, 1000, "other", "1\u202f000 votants", "a : 1\u202f000 éléments"},
		{fr, 12345, "other", "12\u202f345 votants", "a : 12\u202f345 éléments"},
		{en, 0, "other", "0 voters", "a: 0 items"},
		{en, 1, "one", "1 voter", "a: 1 items"},
		{en, 2, "other", "2 voters", "a: 2 items"},
		{en, 1000, "other", "1,000 voters", "a: 1,000 items"},
		{en, 12345, "other", "12,345 voters", "a: 12,345 items"},
	}
	for _, tc := range cases {
		if got := tc.l.PluralCategory(tc.n); got != tc.cat {
			t.Errorf("%s PluralCategory(%d) = %q, want %q", tc.l.Lang, tc.n, got, tc.cat)
		}
		if got := tc.l.N("x", tc.n); got != tc.x {
			t.Errorf("%s N(x, %d) = %q, want %q", tc.l.Lang, tc.n, got, tc.x)
		}
		// y has only "other", which every category falls back to.
		if got := tc.l.N("y", tc.n, "a"); got != tc.y {
			t.Errorf("%s N(y, %d, a) = %q, want %q", tc.l.Lang, tc.n, got, tc.y)
		}
	}
}
