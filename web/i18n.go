package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
)

//go:embed i18n/*.json
var catalogFS embed.FS

// Languages odn speaks; the first is the fallback.
var supported = []language.Tag{language.English, language.French}

var matcher = language.NewMatcher(supported)

// Locale translates message keys for one language.
type Locale struct {
	Lang     string
	tag      language.Tag // for the plural rules (plural.go)
	msgs     map[string]string
	fallback map[string]string
}

// T returns the message for key, formatted with args when given. A missing
// key falls back to English, then to the key itself (and a test checks
// that both catalogs have the same keys).
func (l *Locale) T(key string, args ...any) string {
	msg, ok := l.msgs[key]
	if !ok {
		if msg, ok = l.fallback[key]; !ok {
			msg = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Has reports whether key is a message of the catalogs (this language's
// or the English fallback), unlike T, which returns unknown keys as they
// are.
func (l *Locale) Has(key string) bool {
	_, ok := l.msgs[key]
	if !ok {
		_, ok = l.fallback[key]
	}
	return ok
}

// Other is the language the switcher offers.
func (l *Locale) Other() string {
	if l.Lang == "fr" {
		return "en"
	}
	return "fr"
}

func loadLocales() (map[string]*Locale, error) {
	files, err := catalogFS.ReadDir("i18n")
	if err != nil {
		return nil, err
	}
	// Catalogs are split per feature: en.json, en.proposals.json… all
	// merge into the "en" catalog, so features never edit the same file.
	raw := map[string]map[string]string{}
	for _, f := range files {
		b, err := catalogFS.ReadFile(path.Join("i18n", f.Name()))
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		lang, _, _ := strings.Cut(strings.TrimSuffix(f.Name(), ".json"), ".")
		if raw[lang] == nil {
			raw[lang] = map[string]string{}
		}
		for k, v := range m {
			if _, dup := raw[lang][k]; dup {
				return nil, fmt.Errorf("%s: key %q is defined twice", f.Name(), k)
			}
			raw[lang][k] = v
		}
	}
	out := map[string]*Locale{}
	for lang, m := range raw {
		out[lang] = &Locale{Lang: lang, tag: language.Make(lang), msgs: m, fallback: raw["en"]}
	}
	if out["en"] == nil || out["fr"] == nil {
		return nil, fmt.Errorf("missing en or fr catalog")
	}
	return out, nil
}

const langCookie = "odn_lang"

// varyLanguage is the Vary header of a public, cacheable answer worded in
// the reader's language (feeds, widgets): localeFor reads the language
// cookie before Accept-Language, so a shared cache must key on both, or
// it hands one reader's French to the next reader.
const varyLanguage = "Accept-Language, Cookie"

// localeFor picks the language: the choice made in this browser (the
// switcher's cookie, which saving the language setting sets too), then
// the signed-in account's language setting (on pages: an API client says
// what it wants in Accept-Language), then Accept-Language, then English.
func (s *Server) localeFor(r *http.Request) *Locale {
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := s.locales[c.Value]; ok {
			return l
		}
	}
	if acc := currentAccount(r.Context()); acc != nil && !isAPI(r) {
		if l, ok := s.locales[acc.Locale]; ok {
			return l
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, idx, _ := matcher.Match(tags...)
	base, _ := supported[idx].Base()
	if l, ok := s.locales[base.String()]; ok {
		return l
	}
	return s.locales["en"]
}

// switchLang stores the chosen language and goes back to the page the
// user came from (only a local path, never an open redirect).
func (s *Server) switchLang(w http.ResponseWriter, r *http.Request) {
	lang := path.Base(r.URL.Path)
	if _, ok := s.locales[lang]; !ok {
		s.error(w, r, errNotFoundPage)
		return
	}
	s.setLangCookie(w, lang)
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// setLangCookie remembers lang as this browser's language, or, with "",
// forgets the choice: the account's setting or the browser's languages
// decide again.
func (s *Server) setLangCookie(w http.ResponseWriter, lang string) {
	c := &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: s.secureCk, SameSite: http.SameSiteLaxMode}
	if lang == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// localPath returns p when it is a local absolute path, "/" otherwise, so
// redirects never leave the site. Browsers drop tabs and newlines inside
// a URL and read a backslash as a slash, and http.Redirect cleans "/./"
// away, so "/\t/evil.example" or "/./\\evil.example" would reach another
// host: a control character or a backslash anywhere, invalid UTF-8, or
// anything that parses with a scheme or host is refused.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsRune(p, '\\') ||
		!utf8.ValidString(p) || strings.ContainsFunc(p, unicode.IsControl) {
		return "/"
	}
	if u, err := url.Parse(p); err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return p
}
