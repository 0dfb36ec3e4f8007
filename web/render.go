package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"maps"
	"net/url"
	"slices"

	"github.com/a-h/templ"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/opendemocracynow/odn/models"
)

//go:embed templates
var templateFS embed.FS

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

// parsePages parses the layout with the shared partials, and each page
// template on its own, so a broken template still fails the start. A page
// is joined to its own clone of the layout and partials (every page
// defines its own "content" block) on first use: cloning the ~30
// layout and partial trees for 49 pages up front was most of the start
// time and kept every clone in memory whether the page was served or not.
func parsePages(funcs template.FuncMap) (map[string]*pageTemplate, error) {
	base, err := template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	entries, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*pageTemplate{}
	for _, e := range entries {
		own, err := template.New(path.Base(e)).Funcs(funcs).ParseFS(templateFS, e)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(e, "templates/pages/"), ".html")
		pages[name] = &pageTemplate{name: e, base: base, own: own}
	}
	return pages, nil
}

// pageTemplate is one page: its file parsed at start, added to a clone of
// the layout and partials the first time it is executed.
type pageTemplate struct {
	name string
	base *template.Template // layout and partials; never executed, only cloned
	own  *template.Template // the page's file alone; never executed, its trees move to t
	once sync.Once
	t    *template.Template
	err  error
}

// ExecuteTemplate applies the named template of the page (layout,
// partials and the page's own definitions) to data.
func (p *pageTemplate) ExecuteTemplate(w io.Writer, name string, data any) error {
	if p == nil {
		return fmt.Errorf("no such page template")
	}
	p.once.Do(func() { p.t, p.err = p.join() })
	if p.err != nil {
		return p.err
	}
	return p.t.ExecuteTemplate(w, name, data)
}

// join is what ParseFS of the page's file on a clone of base did: the
// file's templates are added in the same way (a later definition replaces
// an earlier one, an empty one does not).
func (p *pageTemplate) join() (*template.Template, error) {
	t, err := p.base.Clone()
	if err != nil {
		return nil, err
	}
	for _, o := range p.own.Templates() {
		if o.Tree == nil {
			continue
		}
		if _, err := t.AddParseTree(o.Name(), o.Tree); err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
	}
	return t, nil
}

// Page is what every template receives.
type Page struct {
	L            *Locale
	Account      *models.Account
	Title        string
	Path         string
	InstanceName string
	Version      string
	Flash        string
	Data         any
	// Alternate, when set, is the ActivityPub id advertised in a <link>.
	Alternate string
}

func (s *Server) page(r *http.Request, title string, data any) *Page {
	name := s.opts.InstanceName
	if name == "" {
		name = hostOf(s.opts.BaseURL)
	}
	return &Page{
		L: s.localeFor(r), Account: currentAccount(r.Context()), Title: title, Path: r.URL.RequestURI(),
		InstanceName: name, Version: s.opts.Version, Data: data, Flash: r.URL.Query().Get("flash"),
	}
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (s *Server) renderTmpl(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) {
	t, ok := s.pages[name]
	if !ok {
		s.log.ErrorContext(r.Context(), "unknown template", "template", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.ErrorContext(r.Context(), "render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "Accept, Accept-Language, Cookie")
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck // client gone
}

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		// safeHTML marks HTML that models sanitised when it was stored.
		"safeHTML": func(s string) template.HTML { return template.HTML(s) }, //nolint:gosec // sanitised at write time
		"date": func(l *Locale, t time.Time) string {
			if l != nil && l.Lang == "fr" {
				return t.Format("02/01/2006")
			}
			return t.Format("2006-01-02")
		},
		"datetime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"percent": func(n, total int) int {
			if total <= 0 {
				return 0
			}
			return n * 100 / total
		},
		"add":  func(a, b int) int { return a + b },
		"sub":  func(a, b int) int { return a - b },
		"dict": dict,
		"seq": func(n int) []int {
			out := make([]int, n)
			for i := range out {
				out[i] = i
			}
			return out
		},
		// atomFeeds lists the Atom feeds a page advertises (feed.go).
		"atomFeeds": atomFeeds,
	}
}

// dict builds a map from alternating keys and values, for passing several
// values to a partial template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

func hostOf(base string) string {
	h := strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://")
	return strings.TrimSuffix(h, "/")
}

// partial renders one shared partial template (templates/partials/*.html)
// to HTML, for page sections assembled by handlers. data is usually a
// dict with "L" (the locale), "Account" and the section's own values.
func (s *Server) partial(name string, data any) (template.HTML, error) {
	var t *pageTemplate // any page: every page holds the partials
	for _, p := range s.pages {
		t = p
		break
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("render partial %s: %w", name, err)
	}
	return template.HTML(buf.String()), nil //nolint:gosec // output of html/template
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
	w.Header().Set("Vary", "Accept, Accept-Language, Cookie")
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

// isoTime is the machine-readable form of t, for <time datetime>.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// percent is n of total in whole percent, 0 when total is 0.
func percent(n, total int) int {
	if total <= 0 {
		return 0
	}
	return n * 100 / total
}

// qs escapes a value for a URL query; templ escapes attributes for HTML
// but, unlike html/template, does not percent-encode inside URLs.
func qs(v string) string { return url.QueryEscape(v) }

// sortedKeys are m's keys in order, for stable pages (text/template
// ranged over maps in key order).
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

// renderHTML renders a component to HTML that another page embeds as it
// is (a space page's sections, a page's comment thread).
func renderHTML(ctx context.Context, c templ.Component) (template.HTML, error) {
	var b strings.Builder
	if err := c.Render(ctx, &b); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil //nolint:gosec // templ escaped it
}
