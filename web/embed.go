package web

import (
	"bytes"
	"net/http"
	"strconv"

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
	p, err := s.store.PetitionByID(r.Context(), id)
	if err == nil && p.HiddenAt != nil {
		err = models.ErrNotFound
	}
	if err != nil {
		s.embedError(w, r, err)
		return
	}
	v := &embedView{URL: s.opts.BaseURL + "/pe/" + strconv.FormatInt(id, 10), Petition: p, State: p.State(s.now())}
	if !p.Local && p.URL != "" {
		v.URL = p.URL
	}
	if v.State == models.PetitionOpen {
		if v.Refusal, err = s.store.PhaseRefusal(r.Context(), p.ConsultationRef(), models.ActionVote); err != nil {
			s.embedError(w, r, err)
			return
		}
	}
	s.writeEmbed(w, r, http.StatusOK, embedPetitionPage(s.page(r, p.Title), v))
}

// embedDebate shows a debate's results once they are public, or its
// question and state before.
func (s *Server) embedDebate(w http.ResponseWriter, r *http.Request) {
	id, ok := embedID(r)
	if !ok {
		s.embedError(w, r, models.ErrNotFound)
		return
	}
	d, err := s.store.DebateByID(r.Context(), id)
	if err == nil && (d.HiddenAt != nil || d.Current == models.DebateDraft) {
		err = models.ErrNotFound
	}
	if err != nil {
		s.embedError(w, r, err)
		return
	}
	v := &embedView{URL: s.opts.BaseURL + "/d/" + strconv.FormatInt(id, 10), Debate: d}
	if !d.Local && d.URL != "" {
		v.URL = d.URL
	}
	if d.IsOpen() {
		if v.Refusal, err = s.store.PhaseRefusal(r.Context(), d.ConsultationRef(), models.ActionVote); err != nil {
			s.embedError(w, r, err)
			return
		}
	}
	if d.ResultsVisible(nil) {
		if v.Results, err = s.store.Results(r.Context(), id); err != nil {
			s.embedError(w, r, err)
			return
		}
	}
	s.writeEmbed(w, r, http.StatusOK, embedDebatePage(s.page(r, d.Question), v))
}

func (s *Server) embedError(w http.ResponseWriter, r *http.Request, err error) {
	status, key := statusOf(err)
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "internal error", "request_id", requestIDOf(r.Context()), "path", r.URL.Path, "err", err)
	}
	s.writeEmbed(w, r, status, embedError(s.page(r, s.localeFor(r).T(key))))
}

// writeEmbed writes a widget page: its own small document, not the site
// layout (no navigation in a frame), cached briefly by browsers.
func (s *Server) writeEmbed(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		s.log.ErrorContext(r.Context(), "render", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=60")
	h.Set("Vary", "Accept-Language")
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck // client gone
}
