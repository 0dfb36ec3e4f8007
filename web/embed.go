package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// Embeddable widgets: small standalone pages that a town site or an
// association blog shows in an <iframe>. securityHeaders lets any site
// frame /embed/ (frame-ancestors *); the pages have no form, no script
// and no session, so framing them grants nothing (no clickjacking
// target).
func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Get("/embed/petitions/{id}", s.embedPetition)
		r.Get("/embed/debates/{id}", s.embedDebate)
	})
}

// embedView is what a widget shows.
type embedView struct {
	URL      string // the full page, opened in a new tab
	Petition *models.Petition
	State    string
	Debate   *models.Debate
	Results  *models.Results
	// Refusal stands in for the Sign or Vote button while the phase of
	// the object's consultation refuses them, as on its page.
	Refusal *models.PhaseError
}

func embedID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	return id, err == nil
}

// embedPetition shows a petition's counter and progress to its goal.
func (s *Server) embedPetition(w http.ResponseWriter, r *http.Request) {
	id, ok := embedID(r)
	if !ok {
		s.embedError(w, r, models.ErrNotFound)
		return
	}
	version, cacheable := s.embedVersion(r) // before anything the widget shows is read
	p, err := s.store.PetitionByID(r.Context(), id)
	if err == nil && p.HiddenAt != nil {
		err = models.ErrNotFound
	}
	var cc *models.ConsultationContext
	if err == nil {
		cc, err = s.store.ConsultationContextOf(r.Context(), p.ConsultationRef())
	}
	if err != nil {
		s.embedError(w, r, err)
		return
	}
	state := p.State(s.now())
	key := pageKey{id: id, path: r.URL.Path, locale: s.localeFor(r), phase: state + " " + phaseOf(cc)}
	s.serveEmbed(w, r, key, version, cacheable, func() (templ.Component, error) {
		v := &embedView{URL: s.opts.BaseURL + "/pe/" + strconv.FormatInt(id, 10), Petition: p, State: state}
		if !p.Local && p.URL != "" {
			v.URL = p.URL
		}
		if state == models.PetitionOpen {
			v.Refusal = cc.Refusal(models.ActionVote)
		}
		return embedPetitionPage(s.page(r, p.Title), v), nil
	})
}

// embedDebate shows a debate's results once they are public, or its
// question and state before.
func (s *Server) embedDebate(w http.ResponseWriter, r *http.Request) {
	id, ok := embedID(r)
	if !ok {
		s.embedError(w, r, models.ErrNotFound)
		return
	}
	version, cacheable := s.embedVersion(r) // before anything the widget shows is read
	d, err := s.store.DebateByID(r.Context(), id)
	if err == nil && (d.HiddenAt != nil || d.Current == models.DebateDraft) {
		err = models.ErrNotFound
	}
	var cc *models.ConsultationContext
	if err == nil {
		cc, err = s.store.ConsultationContextOf(r.Context(), d.ConsultationRef())
	}
	if err != nil {
		s.embedError(w, r, err)
		return
	}
	key := pageKey{id: id, path: r.URL.Path, locale: s.localeFor(r), phase: d.Current + " " + phaseOf(cc)}
	s.serveEmbed(w, r, key, version, cacheable, func() (templ.Component, error) {
		v := &embedView{URL: s.opts.BaseURL + "/d/" + strconv.FormatInt(id, 10), Debate: d}
		if !d.Local && d.URL != "" {
			v.URL = d.URL
		}
		if d.IsOpen() {
			v.Refusal = cc.Refusal(models.ActionVote)
		}
		if d.ResultsVisible(nil) {
			var err error
			if v.Results, err = s.store.Results(r.Context(), id); err != nil {
				return nil, err
			}
		}
		return embedDebatePage(s.page(r, d.Question), v), nil
	})
}

// phaseOf is the phase of an object's consultation at the instant cc was
// read, "" for none.
func phaseOf(cc *models.ConsultationContext) string {
	if cc == nil {
		return ""
	}
	return cc.Phase
}

// Widgets are framed by other sites, for visitors who will not reload
// them: they used to be kept 60 s by browsers and shared caches, so a
// debate closed early, or a consultation whose dates were moved or whose
// next phase began, showed the old phase, and its Vote or Sign button,
// for up to a minute. Now caches keep a widget but ask again on every
// view (no-cache), with its ETag (a hash of the page): unchanged, the
// answer is a 304 without a body. To keep that answer cheap, the server
// keeps rendered widgets in a pageCache, as the anonymous debate page
// (debate_cache.go): the key carries the phase now of the object and of
// its consultation (what the clock changes without a write), and an entry
// serves while ChangeVersion says nothing was committed since it was read
// (a vote, a date moved…). A view of an unchanged widget then reads the
// object and its consultation, not its results, and renders nothing.
// PostgreSQL has no such version: widgets are rendered on every view,
// the ETag still saves the body.

// embedVersion is the database's ChangeVersion, read before the widget's
// data, when the widget may be served from s.embeds: not for a URL with a
// query (kept out, as for debate pages, so that nothing a query could
// change is ever shared).
func (s *Server) embedVersion(r *http.Request) (int64, bool) {
	if r.URL.RawQuery != "" {
		return 0, false
	}
	return s.store.ChangeVersion(r.Context())
}

// serveEmbed answers the widget kept under key when it was rendered at
// version, else renders build's, keeps it (when cacheable) and answers it.
func (s *Server) serveEmbed(w http.ResponseWriter, r *http.Request, key pageKey, version int64, cacheable bool, build func() (templ.Component, error)) {
	page, ok := s.cachedBody(w, r, &s.embeds, key, version, cacheable, build, func(err error) { s.embedError(w, r, err) })
	if ok {
		writeEmbedBody(w, r, http.StatusOK, page)
	}
}

func (s *Server) embedError(w http.ResponseWriter, r *http.Request, err error) {
	status, key := statusOf(err)
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "internal error", "request_id", requestIDOf(r.Context()), "path", r.URL.Path, "err", err)
	}
	if body, ok := s.renderBytes(w, r, embedError(s.page(r, s.localeFor(r).T(key)))); ok {
		writeEmbedBody(w, r, status, cachedPage{body: body})
	}
}

// writeEmbedBody writes a widget page: its own small document, not the
// site layout (no navigation in a frame), which caches must check again
// before showing it again; a widget (status 200) has an ETag, and a 304
// answers a cache whose copy has it.
func writeEmbedBody(w http.ResponseWriter, r *http.Request, status int, page cachedPage) {
	h := w.Header()
	h.Set("Cache-Control", "public, no-cache")
	h.Add("Vary", varyLanguage)
	if status == http.StatusOK {
		sum := sha256.Sum256(page.body)
		// Weak: the same page gzipped or not (compressResponses).
		etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
		h.Set("ETag", etag)
		if etagMatches(r.Header.Get("If-None-Match"), etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	page.write(w, r, status)
}

// etagMatches reports whether an If-None-Match header names etag (weak
// comparison, RFC 9110 13.1.2).
func etagMatches(header, etag string) bool {
	etag = strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
