package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.Get("/spaces/{name}/consultations", s.apiConsultations)
		r.Get("/consultations/{id}", s.apiConsultation)
		r.Get("/consultations/{id}/synthesis", s.apiSynthesis)
		r.Get("/consultations/{id}/workshop-contributions", s.apiWorkshops)
		r.Get("/spaces/{name}/news", s.apiNews)
		r.Get("/news/{id}", s.apiNewsItem)
		r.Group(func(r chi.Router) {
			// Moderators' (models checks again), refused before the
			// body is read.
			r.Use(s.requireAccount, s.requireModerator)
			r.Post("/spaces/{name}/consultations", s.apiCreateConsultation)
			r.Post("/consultations/{id}/workshop-contributions", s.apiCreateWorkshop)
			r.Post("/consultations/{id}/synthesis", s.apiPublishSynthesis)
			r.Post("/spaces/{name}/news", s.apiCreateNews)
		})
	})
}

// apiConsultationJSON is a consultation in the API (DESIGN.md §8).
type apiConsultationJSON struct {
	apiObject
	Space     string         `json:"space"`
	Title     string         `json:"title"`
	Summary   string         `json:"summary"`
	Body      string         `json:"body"`
	BodyHTML  string         `json:"body_html"`
	Phase     string         `json:"phase"`
	Allowed   []string       `json:"allowed"`
	Phases    []models.Phase `json:"phases"`
	Banner    *apiBanner     `json:"banner,omitempty"`
	Map       bool           `json:"map"`
	Themes    []apiThemeJSON `json:"themes"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// apiThemeJSON is a consultation's theme in the API. Its id is a string,
// as every id of the API (it was a number until the API said so).
type apiThemeJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Position    int    `json:"position"`
}

type apiBanner struct {
	URL string `json:"url"`
	Alt string `json:"alt"`
}

func (s *Server) consultationJSON(r *http.Request, c *models.Consultation, spaceName string, withThemes bool) (apiConsultationJSON, error) {
	now := s.now()
	out := apiConsultationJSON{
		apiObject: apiObject{ID: strconv.FormatInt(c.ID, 10), URI: c.URI, URL: s.opts.BaseURL + consultationURL(c)},
		Space:     spaceName, Title: c.Title, Summary: c.Summary, Body: c.Body, BodyHTML: c.BodyHTML,
		Phase: c.PhaseAt(now), Allowed: c.Allowed(now), Phases: c.Phases(), Map: c.MapEnabled,
		Themes: []apiThemeJSON{}, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if out.Allowed == nil {
		out.Allowed = []string{}
	}
	if c.Banner != nil {
		out.Banner = &apiBanner{URL: s.opts.BaseURL + c.Banner.Path(), Alt: c.BannerAlt}
	}
	if withThemes {
		themes, err := s.store.Themes(r.Context(), c.ID)
		if err != nil {
			return out, err
		}
		for _, t := range themes {
			out.Themes = append(out.Themes, apiThemeJSON{ID: strconv.FormatInt(t.ID, 10), Name: t.Name, Description: t.Description, Position: t.Position})
		}
	}
	return out, nil
}

func (s *Server) apiConsultations(w http.ResponseWriter, r *http.Request) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	cursor, limit := pageParams(r)
	before, err := idCursor(cursor)
	if err != nil {
		s.error(w, r, err)
		return
	}
	f := models.ConsultationFilter{Limit: 100, Current: r.URL.Query().Get("current") == "true"}
	all, err := s.store.ListConsultations(r.Context(), sp.ID, f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := list[apiConsultationJSON]{Items: []apiConsultationJSON{}}
	for _, c := range all {
		if before != 0 && c.ID >= before {
			continue
		}
		if len(out.Items) == limit {
			out.NextCursor = out.Items[len(out.Items)-1].ID
			break
		}
		j, err := s.consultationJSON(r, c, sp.Name, false)
		if err != nil {
			s.error(w, r, err)
			return
		}
		out.Items = append(out.Items, j)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiConsultation(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	sp, err := s.store.SpaceByID(r.Context(), c.SpaceID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	j, err := s.consultationJSON(r, c, sp.Name, true)
	if err != nil {
		s.error(w, r, err)
		return
	}
	setETag(w, c.Version)
	writeJSON(w, http.StatusOK, j)
}

// apiConsultationIn is the body of POST /spaces/{name}/consultations.
type apiConsultationIn struct {
	Title     string         `json:"title"`
	Summary   string         `json:"summary"`
	Body      string         `json:"body"`
	Phases    []models.Phase `json:"phases"`
	Map       bool           `json:"map"`
	BannerID  *int64         `json:"banner_id"`
	BannerAlt string         `json:"banner_alt"`
}

func (s *Server) apiCreateConsultation(w http.ResponseWriter, r *http.Request) {
	var body apiConsultationIn
	if err := decodeJSON(w, r, &body); err != nil {
		s.error(w, r, err)
		return
	}
	in := models.ConsultationInput{Title: body.Title, Summary: body.Summary, Body: body.Body, MapEnabled: body.Map, BannerID: body.BannerID, BannerAlt: body.BannerAlt}
	if err := in.PhasesToInput(body.Phases); err != nil {
		s.error(w, r, err)
		return
	}
	name := chi.URLParam(r, "name")
	c, err := s.store.CreateConsultation(r.Context(), currentAccount(r.Context()), name, in)
	if err != nil {
		s.error(w, r, err)
		return
	}
	j, err := s.consultationJSON(r, c, name, true)
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", s.opts.BaseURL+"/api/v1/consultations/"+j.ID)
	writeJSON(w, http.StatusCreated, j)
}

// apiWorkshopJSON is a workshop contribution in the API.
type apiWorkshopJSON struct {
	apiObject
	Consultation string    `json:"consultation"`
	Title        string    `json:"title"`
	Body         string    `json:"body"`
	BodyHTML     string    `json:"body_html"`
	HeldAt       time.Time `json:"held_at"`
	Place        string    `json:"place"`
	Participants int       `json:"participants"`
	Theme        string    `json:"theme,omitempty"`
	Lat          *float64  `json:"lat,omitempty"`
	Lon          *float64  `json:"lon,omitempty"`
	Sheet        string    `json:"sheet,omitempty"`
	Workshop     bool      `json:"workshop"`
	CreatedAt    time.Time `json:"created_at"`
}

func (s *Server) workshopJSON(wc *models.WorkshopContribution) apiWorkshopJSON {
	out := apiWorkshopJSON{apiObject: apiObject{ID: strconv.FormatInt(wc.ID, 10), URI: wc.URI, URL: wc.URI},
		Consultation: strconv.FormatInt(wc.ConsultationID, 10), Title: wc.Title, Body: wc.Body, BodyHTML: wc.BodyHTML,
		HeldAt: wc.HeldAt, Place: wc.Place, Participants: wc.Participants, Lat: wc.Lat, Lon: wc.Lon,
		Workshop: true, CreatedAt: wc.CreatedAt}
	if wc.ThemeID != nil {
		out.Theme = idString(*wc.ThemeID)
	}
	if wc.Sheet != nil {
		out.Sheet = s.opts.BaseURL + wc.Sheet.Path()
	}
	return out
}

func (s *Server) apiWorkshops(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	ws, err := s.store.WorkshopContributions(r.Context(), c.ID, 0)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := list[apiWorkshopJSON]{Items: []apiWorkshopJSON{}}
	for _, wc := range ws {
		out.Items = append(out.Items, s.workshopJSON(wc))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiCreateWorkshop(w http.ResponseWriter, r *http.Request) {
	var in struct {
		models.WorkshopInput
		Theme idInput `json:"theme"` // a string, as ids are (a number too)
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	v := &models.ValidationError{}
	if in.ThemeID = in.Theme.ref(v, "theme"); v.Err() != nil {
		s.error(w, r, v.Err())
		return
	}
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	wc, err := s.store.RecordWorkshopContribution(r.Context(), currentAccount(r.Context()), id, in.WorkshopInput)
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", wc.URI)
	writeJSON(w, http.StatusCreated, s.workshopJSON(wc))
}

// apiSynthesisJSON is a synthesis in the API.
type apiSynthesisJSON struct {
	apiObject
	Consultation string     `json:"consultation"`
	Body         string     `json:"body"`
	BodyHTML     string     `json:"body_html"`
	PublishedAt  *time.Time `json:"published_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

func (s *Server) synthesisJSON(syn *models.Synthesis) apiSynthesisJSON {
	return apiSynthesisJSON{apiObject: apiObject{ID: strconv.FormatInt(syn.ID, 10), URI: syn.URI,
		URL: s.opts.BaseURL + "/consultations/" + strconv.FormatInt(syn.ConsultationID, 10) + "#synthesis"},
		Consultation: strconv.FormatInt(syn.ConsultationID, 10), Body: syn.Body, BodyHTML: syn.BodyHTML,
		PublishedAt: syn.PublishedAt, UpdatedAt: syn.UpdatedAt}
}

func (s *Server) apiSynthesis(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var syn *models.Synthesis
	if err == nil {
		syn, err = s.store.SynthesisOf(r.Context(), id, currentAccount(r.Context()).IsModerator())
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.synthesisJSON(syn))
}

// apiPublishSynthesis publishes {body}; {"body": …, "draft": true} only
// saves a draft.
func (s *Server) apiPublishSynthesis(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Body  string `json:"body"`
		Draft bool   `json:"draft"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var syn *models.Synthesis
	if in.Draft {
		syn, err = s.store.SaveSynthesis(r.Context(), currentAccount(r.Context()), id, in.Body)
	} else {
		syn, err = s.store.PublishSynthesis(r.Context(), currentAccount(r.Context()), id, in.Body)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.synthesisJSON(syn))
}

// apiNewsJSON is a news post in the API.
type apiNewsJSON struct {
	apiObject
	Space        string    `json:"space"`
	Consultation string    `json:"consultation,omitempty"`
	Title        string    `json:"title"`
	Body         string    `json:"body"`
	BodyHTML     string    `json:"body_html"`
	PublishedAt  time.Time `json:"published_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func (s *Server) newsJSON(n *models.News, space string) apiNewsJSON {
	out := apiNewsJSON{apiObject: apiObject{ID: strconv.FormatInt(n.ID, 10), URI: n.URI, URL: s.opts.BaseURL + "/news/" + strconv.FormatInt(n.ID, 10)},
		Space: space, Title: n.Title, Body: n.Body, BodyHTML: n.BodyHTML, PublishedAt: n.PublishedAt, UpdatedAt: n.UpdatedAt}
	if n.ConsultationID != nil {
		out.Consultation = strconv.FormatInt(*n.ConsultationID, 10)
	}
	return out
}

func (s *Server) apiNews(w http.ResponseWriter, r *http.Request) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	cursor, limit := pageParams(r)
	before, err := idCursor(cursor)
	if err != nil {
		s.error(w, r, err)
		return
	}
	news, err := s.store.ListNews(r.Context(), sp.ID, models.NewsFilter{Before: before, Limit: limit})
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := list[apiNewsJSON]{Items: []apiNewsJSON{}}
	for _, n := range news {
		out.Items = append(out.Items, s.newsJSON(n, sp.Name))
	}
	if len(news) == limit {
		out.NextCursor = out.Items[len(out.Items)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiCreateNews(w http.ResponseWriter, r *http.Request) {
	var in struct {
		models.NewsInput
		Consultation idInput `json:"consultation"` // a string, as ids are (a number too)
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	v := &models.ValidationError{}
	if in.NewsInput.Consultation = in.Consultation.ref(v, "consultation"); v.Err() != nil {
		s.error(w, r, v.Err())
		return
	}
	name := chi.URLParam(r, "name")
	n, err := s.store.PublishNews(r.Context(), currentAccount(r.Context()), name, in.NewsInput)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.newsJSON(n, name))
}

// apiNewsItem is one news post (the page's /news/{id}).
func (s *Server) apiNewsItem(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var n *models.News
	if err == nil {
		n, err = s.store.NewsByID(r.Context(), id)
	}
	var sp *models.Space
	if err == nil {
		sp, err = s.store.SpaceByID(r.Context(), n.SpaceID)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	setETag(w, n.Version)
	writeJSON(w, http.StatusOK, s.newsJSON(n, sp.Name))
}

// apiPhaseRefusal is why the consultation of a debate, proposal or
// petition refuses votes, supports and signatures now (GET of one of
// them): what such an action would get as a 409, before trying.
type apiPhaseRefusal struct {
	Reason  string     `json:"reason"`             // the refusal's sentence (English)
	Phase   string     `json:"phase"`              // the consultation's phase
	OpensAt *time.Time `json:"opens_at,omitempty"` // when they open, if they will
}

// participationClosed is the apiPhaseRefusal of the consultation ref
// names now (an object's own, or a copy's origin's), nil when its phase
// takes votes (or there is no consultation: no read).
func (s *Server) participationClosed(r *http.Request, ref models.ConsultationRef) (*apiPhaseRefusal, error) {
	pe, err := s.store.PhaseRefusal(r.Context(), ref, models.ActionVote)
	if pe == nil || err != nil {
		return nil, err
	}
	out := &apiPhaseRefusal{Reason: pe.Error(), Phase: pe.Phase}
	if !pe.Next.IsZero() {
		t := pe.Next.UTC()
		out.OpensAt = &t
	}
	return out, nil
}
