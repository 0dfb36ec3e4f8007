package web

import (
	"bytes"
	"net/http"

	"github.com/a-h/templ"

	"github.com/opendemocracynow/odn/models"
)

// The anonymous debate page is the same for every visitor who is not
// signed in (no ballot, no moderator tools, no edit links), yet with
// thousands of comments and votes it cost ~16–40 ms of queries and
// template work per view (docs/BENCHMARKS.md debate_page). The rendered
// page is kept and served again only while the database has not changed
// at all since it was rendered:
//
//   - key: debate id, path, locale and the phases now of the debate and
//     of its consultation, if any (a copy's: its origin's), the only
//     inputs that time changes without a write (opens_at/closes_at, a
//     consultation's phase boundaries passing);
//   - validity: models.Store.ChangeVersion, read BEFORE the debate and
//     everything the page shows is read, and compared on every hit: any
//     commit to the database, by this process or another (an admin
//     command), from any feature (a vote, a comment, a hidden comment, an
//     author renamed or erased, a space edited), makes every copy stale;
//   - only GET without a query string (no cursors, no flash), no
//     signed-in account, no ActivityStreams negotiation;
//   - SQLite only: PostgreSQL has no cheap global version, ChangeVersion
//     says so and nothing is cached.
//
// Nothing is invalidated by hand, so no code path can forget to. The
// copies are kept in a pageCache (page_cache.go).

// anonymousDebatePage serves the debate page from the cache or renders
// and keeps it; false when the request is not one the cache may answer
// (the caller renders as usual). It answers errors (unknown, hidden,
// draft debate) itself, as debatePage does.
func (s *Server) anonymousDebatePage(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet || r.URL.RawQuery != "" || currentAccount(r.Context()) != nil {
		return false
	}
	version, ok := s.store.ChangeVersion(r.Context())
	if !ok {
		return false
	}
	// Everything below is read after version.
	d := s.debateFromURL(w, r)
	if d == nil {
		return true
	}
	// Its consultation's phase moves with the clock, which writes nothing
	// the version would see: it is part of the key, read once for the
	// key and the page (a page rendered across a boundary is kept under
	// the earlier phase, which no later view asks for).
	cc, err := s.store.ConsultationContextOf(r.Context(), d.ConsultationRef())
	if err != nil {
		s.error(w, r, err)
		return true
	}
	key := pageKey{id: d.ID, path: r.URL.Path, locale: s.localeFor(r), phase: d.Current + " " + phaseOf(cc)}
	page, ok := s.cachedBody(w, r, &s.debatePages, key, version, true, func() (templ.Component, error) {
		v, err := s.debateViewIn(r, d, cc)
		if err != nil {
			return nil, err
		}
		p := s.page(r, d.Question)
		p.Alternate = d.URI
		return debateDetailPage(p, v), nil
	}, func(err error) { s.error(w, r, err) })
	if ok {
		writeHTML(w, r, http.StatusOK, page)
	}
	return true
}

// renderDebatePage renders the debate page the ordinary way.
func (s *Server) renderDebatePage(w http.ResponseWriter, r *http.Request, d *models.Debate) {
	v, err := s.debateView(r, d)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p := s.page(r, d.Question)
	p.Alternate = d.URI
	s.render(w, r, http.StatusOK, debateDetailPage(p, v))
}

// renderBytes renders a page component like render, into bytes; on an
// error it answers 500 itself and returns false.
func (s *Server) renderBytes(w http.ResponseWriter, r *http.Request, c templ.Component) ([]byte, bool) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		s.log.ErrorContext(r.Context(), "render", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return nil, false
	}
	return buf.Bytes(), true
}

// writeHTML writes a rendered page with render's headers.
func writeHTML(w http.ResponseWriter, r *http.Request, status int, page cachedPage) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Add("Vary", "Accept, Accept-Language, Cookie")
	page.write(w, r, status)
}
