package web

import (
	"encoding/xml"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// Atom feeds (RFC 4287) per space, per kind and per petition's updates.
// Hidden, deleted and draft content never appears (models.SpaceFeed).
func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Get("/s/{name}/feed.atom", s.spaceFeed(""))
		r.Get("/s/{name}/proposals.atom", s.spaceFeed(models.ObjectTypeProposal))
		r.Get("/s/{name}/debates.atom", s.spaceFeed(models.ObjectTypeDebate))
		r.Get("/s/{name}/petitions.atom", s.spaceFeed(models.ObjectTypePetition))
		r.Get("/pe/{id}/updates.atom", s.petitionFeed)
	})
}

const atomNS = "http://www.w3.org/2005/Atom"

type atomFeed struct {
	XMLName  xml.Name    `xml:"feed"`
	NS       string      `xml:"xmlns,attr"`
	Lang     string      `xml:"xml:lang,attr,omitempty"`
	ID       string      `xml:"id"`
	Title    string      `xml:"title"`
	Subtitle string      `xml:"subtitle,omitempty"`
	Updated  string      `xml:"updated"`
	Links    []atomLink  `xml:"link"`
	Author   *atomPerson `xml:"author,omitempty"`
	Rights   string      `xml:"rights,omitempty"`
	Gen      atomGen     `xml:"generator"`
	Entries  []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomGen struct {
	Version string `xml:"version,attr,omitempty"`
	Name    string `xml:",chardata"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Links     []atomLink `xml:"link"`
	Published string     `xml:"published"`
	Updated   string     `xml:"updated"`
	Author    atomPerson `xml:"author"`
	Category  *struct {
		Term string `xml:"term,attr"`
	} `xml:"category,omitempty"`
	Content atomText `xml:"content"`
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s *Server) spaceFeed(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, err := s.store.SpaceFeed(r.Context(), chi.URLParam(r, "name"), kind)
		if err != nil {
			s.error(w, r, err)
			return
		}
		l := s.localeFor(r)
		title := f.Space.Title
		if kind != "" {
			title = l.T("feed."+kind+"s") + " · " + f.Space.Title
		}
		s.writeAtom(w, r, f, title, s.opts.BaseURL+"/s/"+f.Space.Name)
	}
}

func (s *Server) petitionFeed(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		s.error(w, r, models.ErrNotFound)
		return
	}
	f, err := s.store.PetitionFeed(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.writeAtom(w, r, f, s.localeFor(r).T("feed.petition_updates", f.Title), s.opts.BaseURL+"/pe/"+strconv.FormatInt(id, 10))
}

// writeAtom renders a feed; the feed's own URL is its id.
func (s *Server) writeAtom(w http.ResponseWriter, r *http.Request, f *models.Feed, title, alternate string) {
	self := s.opts.BaseURL + r.URL.Path
	lic := models.LicenceOf(f.Space.Licence)
	out := atomFeed{NS: atomNS, Lang: s.localeFor(r).Lang, ID: self, Title: title, Subtitle: f.Space.Title,
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: self}, {Rel: "alternate", Type: "text/html", Href: alternate},
			{Rel: "license", Href: lic.URL}},
		Rights: lic.Name + " (" + lic.ID + ")", Gen: atomGen{Name: "odn", Version: s.opts.Version},
		Updated: atomTime(f.Space.CreatedAt)}
	var newest time.Time
	for _, e := range f.Entries {
		author := e.Author
		if author == "" {
			author = s.localeFor(r).T("feed.deleted_author")
		}
		ae := atomEntry{ID: e.URI, Title: e.Title, Links: []atomLink{{Rel: "alternate", Type: "text/html", Href: e.URL}},
			Published: atomTime(e.Published), Updated: atomTime(e.Updated), Author: atomPerson{Name: author},
			Content: atomText{Type: "html", Body: e.HTML}}
		ae.Category = &struct {
			Term string `xml:"term,attr"`
		}{Term: e.Kind}
		out.Entries = append(out.Entries, ae)
		if e.Updated.After(newest) {
			newest = e.Updated
		}
	}
	if !newest.IsZero() {
		out.Updated = atomTime(newest)
	}
	s.sendAtom(w, r, out)
}

// sendAtom writes an Atom feed with the headers every feed has: readable
// from any origin, cached five minutes, worded in the reader's language.
func (s *Server) sendAtom(w http.ResponseWriter, r *http.Request, out atomFeed) {
	body, err := xml.MarshalIndent(out, "", " ")
	if err != nil {
		s.error(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/atom+xml; charset=utf-8")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "public, max-age=300")
	h.Add("Vary", varyLanguage)
	w.Write([]byte(xml.Header)) //nolint:errcheck // client gone
	w.Write(body)               //nolint:errcheck // client gone
}

// feedLink is one <link rel="alternate" type="application/atom+xml">.
type feedLink struct{ Title, Href string }

var (
	spacePathRE    = regexp.MustCompile(`^/s/([a-z0-9_]+)(?:/(proposals|debates|petitions)?.*)?$`)
	petitionPathRE = regexp.MustCompile(`^/pe/([0-9]+)$`)
)

// atomFeeds returns the feeds a page advertises, from its path, so every
// space, list and petition page links its feeds without each page
// knowing about them (layout.templ).
func atomFeeds(l *Locale, path string) []feedLink {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if m := petitionPathRE.FindStringSubmatch(path); m != nil {
		return []feedLink{{Title: l.T("feed.petition_updates_short"), Href: "/pe/" + m[1] + "/updates.atom"}}
	}
	m := spacePathRE.FindStringSubmatch(path)
	if m == nil {
		return nil
	}
	out := []feedLink{{Title: l.T("feed.all"), Href: "/s/" + m[1] + "/feed.atom"}}
	if m[2] != "" {
		out = append(out, feedLink{Title: l.T("feed." + m[2]), Href: "/s/" + m[1] + "/" + m[2] + ".atom"})
	}
	return out
}
