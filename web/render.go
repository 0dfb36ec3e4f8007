package web

import (
	"bytes"
	"embed"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/opendemocracynow/odn/models"
)

//go:embed static
var staticFS embed.FS

// staticHandler serves the embedded CSS and images with long caching; file
// names change with content only through the version query.
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	fsrv := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fsrv.ServeHTTP(w, r)
	})
}

// Page is what every page component receives: the frame around its own
// view.
type Page struct {
	L       *Locale
	Account *models.Account
	Title   string
	// Path is the page's local address, where the language switch comes
	// back to (pagePath).
	Path         string
	InstanceName string
	Version      string
	// Flash is the message key of ?flash=, empty unless the catalogs know it.
	Flash string
	// Alternate, when set, is the ActivityPub id advertised in a <link>.
	Alternate string
}

// page is the frame of a page titled title for the request r.
func (s *Server) page(r *http.Request, title string) *Page {
	name := s.store.InstanceName(r.Context())
	l := s.localeFor(r)
	// The flash comes from the URL: only a message key of the catalogs is
	// shown, or a link could put any text in the site's status banner.
	flash := r.URL.Query().Get("flash")
	if !l.Has(flash) {
		flash = ""
	}
	return &Page{
		L: l, Account: currentAccount(r.Context()), Title: title, Path: s.pagePath(r),
		InstanceName: name, Version: s.opts.Version, Flash: flash,
	}
}

// pagePath is the local address of the page answering r. A form shown
// again with its errors answers a POST to an address that serves no page
// (GET /account/delete is a 405), so its address is the page the form was
// on (the Referer, sent same-origin), or the home page.
func (s *Server) pagePath(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	if ref := r.Referer(); isLocalURL(s.opts.BaseURL, ref) {
		return localPath(ref[len(s.opts.BaseURL):])
	}
	return "/"
}

func hostOf(base string) string {
	h := strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://")
	return strings.TrimSuffix(h, "/")
}

// The helpers below are what page components call (layout.templ and the
// feature .templ files).

// render writes a page component, rendered into a buffer first so that an
// error becomes a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		s.log.ErrorContext(r.Context(), "render", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Add("Vary", "Accept, Accept-Language, Cookie")
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck // client gone
}

// fullTitle is the page's <title>: its own title, then the instance's.
func (p *Page) fullTitle() string {
	if p.Title == "" {
		return p.InstanceName
	}
	return p.Title + " · " + p.InstanceName
}

// fmtDate is a day in the locale's usual form.
func fmtDate(l *Locale, t time.Time) string {
	if l != nil && l.Lang == "fr" {
		return t.Format("02/01/2006")
	}
	return t.Format("2006-01-02")
}

// fmtDateTime is a day and a time (UTC) in the locale's usual form.
func fmtDateTime(l *Locale, t time.Time) string {
	return fmtDate(l, t) + " " + t.UTC().Format("15:04") + " UTC"
}

// isoTime is the machine-readable form of t, for <time datetime>.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// percent is n of total in whole percent, 0 when total is 0, and 100 once
// n reaches total: a progress towards a threshold or goal stops there,
// and the text next to it gives the count beyond.
func percent(n, total int) int {
	if total <= 0 {
		return 0
	}
	return min(100, n*100/total)
}

// qs escapes a value for a URL query; templ escapes attributes for HTML
// but, unlike html/template, does not percent-encode inside URLs.
func qs(v string) string { return url.QueryEscape(v) }

// sortedKeys are m's keys in order, for stable pages.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// describedBy is a field's aria-describedby: its hint and its error, when
// present.
func describedBy(name string, hint, err bool) string {
	var ids []string
	if hint {
		ids = append(ids, "f-"+name+"-hint")
	}
	if err {
		ids = append(ids, "f-"+name+"-err")
	}
	return strings.Join(ids, " ")
}

// barFill is a chart bar's colour: the leading option darker.
func barFill(leading bool) string {
	if leading {
		return "#083f96"
	}
	return "#0b57d0"
}

// errorView is what the error page shows besides its title.
type errorView struct {
	Key    string
	Fields map[string]string
	Detail string
}
