package web

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCatalogPluralForms checks the catalogs' plural messages: each base
// key has, in both languages, "other" and every form the language's rules
// pick for some count; every N call names a base key; and no message
// formats a bare %d any more (counts go through N, other numbers through
// Int, Decimal or Percent), except the few listed with their reason.
func TestCatalogPluralForms(t *testing.T) {
	locales, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	bases := map[string]map[string]bool{} // language → plural base keys
	for lang, l := range locales {
		bases[lang] = map[string]bool{}
		for k := range l.msgs {
			base, cat, ok := cutPluralKey(k)
			if ok && cat != "other" {
				bases[lang][base] = true
			}
		}
		// The categories this language's rules use for counts people see.
		need := map[string]bool{"other": true}
		for n := range 10_001 {
			need[l.PluralCategory(n)] = true
		}
		need[l.PluralCategory(1_000_000)] = true
		for base := range bases[lang] {
			for cat := range need {
				if _, ok := l.msgs[base+"."+cat]; !ok {
					t.Errorf("%s: %q has no %q form", lang, base, cat)
				}
			}
		}
	}
	for lang := range bases {
		for other := range bases {
			for base := range bases[lang] {
				if !bases[other][base] {
					t.Errorf("%q has plural forms in %s but not in %s", base, lang, other)
				}
			}
		}
	}

	// Every N("key", …) of the pages and handlers names a plural base.
	sources, _ := filepath.Glob("*.go")
	templs, _ := filepath.Glob("*.templ")
	call := regexp.MustCompile(`\.N\("([^"]+)"`)
	used := 0
	for _, f := range append(sources, templs...) {
		if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "_templ.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			used++
			if !bases["en"][m[1]] {
				t.Errorf("%s: N(%q) is not a plural message", f, m[1])
			}
		}
	}
	if used == 0 {
		t.Error("found no N call in the sources")
	}

	// %d left in a message: a count without plural forms, or a number
	// without the language's grouping.
	allowed := map[string]string{
		"list.random_seed": "a seed is an identifier to copy, not a quantity",
		// errors.json translates models' messages, numbers included.
		"a comment can be edited for %d minutes only": "models' edit window, a constant of 15: always plural, never grouped",
	}
	for lang, l := range locales {
		for k, v := range l.msgs {
			if strings.Contains(v, "%d") && allowed[k] == "" {
				t.Errorf("%s: %q formats %%d: make it a plural message (N) or write the number with Int", lang, k)
			}
		}
	}
}

// cutPluralKey splits "debate.voters.one" into its base and category.
func cutPluralKey(k string) (base, cat string, ok bool) {
	i := strings.LastIndexByte(k, '.')
	if i < 0 || !slices.Contains(pluralCategories[:], k[i+1:]) {
		return "", "", false
	}
	return k[:i], k[i+1:], true
}
