package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.Get("/spaces/{name}/proposals", s.apiProposals)
		r.Get("/proposals/{id}", s.apiProposal)
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			r.Post("/spaces/{name}/proposals", s.apiCreateProposal)
			r.Patch("/proposals/{id}", s.apiUpdateProposal)
			r.Post("/proposals/{id}/support", s.apiSupport)
			r.Delete("/proposals/{id}/support", s.apiUnsupport)
			r.Post("/proposals/{id}/withdraw", s.apiWithdrawProposal)
			r.With(s.requireModerator).Post("/proposals/{id}/status", s.apiProposalStatus)
		})
	})
}

// apiActor names an author, addressee or answerer.
type apiActor struct {
	URI    string `json:"uri"`
	Handle string `json:"handle"`
	Name   string `json:"name"`
	URL    string `json:"url,omitempty"`
}

// actorJSON is a's name in the API; nil for nobody and for a deleted
// account, whose name is no longer shown (as on the pages and in the
// open-data exports).
func actorJSON(a *models.Actor) *apiActor {
	if a == nil || a.Erased() {
		return nil
	}
	return &apiActor{URI: a.URI, Handle: a.Handle(), Name: a.DisplayName(), URL: a.URL}
}

// apiProposalJSON is a proposal in the API.
type apiProposalJSON struct {
	apiObject
	Space              string     `json:"space,omitempty"`
	Title              string     `json:"title"`
	Body               string     `json:"body"`
	BodyHTML           string     `json:"body_html"`
	Tags               []string   `json:"tags"`
	Status             string     `json:"status"`
	Supports           int        `json:"supports"`
	ThresholdReachedAt *time.Time `json:"threshold_reached_at,omitempty"`
	Answer             string     `json:"answer,omitempty"`
	AnswerHTML         string     `json:"answer_html,omitempty"`
	AnsweredAt         *time.Time `json:"answered_at,omitempty"`
	AnsweredBy         *apiActor  `json:"answered_by,omitempty"`
	Author             *apiActor  `json:"author"`
	Consultation       string     `json:"consultation,omitempty"`
	Theme              string     `json:"theme,omitempty"`
	Hidden             bool       `json:"hidden,omitempty"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	// Supported is present when a token is given: whether its account supports it.
	Supported *bool `json:"supported,omitempty"`
	// ParticipationClosed (GET of one proposal): the consultation's phase
	// refuses supports now.
	ParticipationClosed *apiPhaseRefusal `json:"participation_closed,omitempty"`
}

// civicObject builds the common API fields: url is our permalink for
// local objects and the origin's page for remote ones.
func civicObject(id int64, uri, htmlURL string, local bool, origin string) apiObject {
	o := apiObject{ID: strconv.FormatInt(id, 10), URI: uri, URL: htmlURL}
	if !local {
		o.Origin = origin
	}
	return o
}

func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func proposalJSON(p *models.Proposal) apiProposalJSON {
	out := apiProposalJSON{
		apiObject: civicObject(p.ID, p.URI, p.URL, p.Local, p.Origin),
		Title:     p.Title, Body: p.Body, BodyHTML: p.BodyHTML, Tags: p.Tags, Status: p.Status, Supports: p.SupportsCount,
		ThresholdReachedAt: p.ThresholdReachedAt, Answer: p.Answer, AnswerHTML: p.AnswerHTML, AnsweredAt: p.AnsweredAt,
		AnsweredBy: actorJSON(p.Answerer), Author: actorJSON(p.Author), Consultation: idString(p.ConsultationID),
		Theme: idString(p.ThemeID), Hidden: p.HiddenAt != nil, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if p.Space != nil {
		out.Space = p.Space.Name
	}
	return out
}

// apiProposalList is a page of proposals; Seed echoes the seed of a
// random order so the caller can ask for the next pages in the same order.
type apiProposalList struct {
	list[apiProposalJSON]
	Seed *uint64 `json:"seed,omitempty"`
}

// apiProposals lists a space's proposals: ?tag= ?status= ?q= ?sort=
// (newest, supports, random) ?seed= ?cursor= ?limit=. A random order
// without a seed gets a fresh one, returned in "seed".
func (s *Server) apiProposals(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cursor, limit := pageParams(r)
	pq := models.ProposalQuery{Space: chi.URLParam(r, "name"), Tag: q.Get("tag"), Status: q.Get("status"),
		Search: q.Get("q"), Sort: q.Get("sort"), Cursor: cursor, Limit: limit}
	seed, err := parseSeed(q.Get("sort"), q.Get("seed"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	pq.Seed = seed
	page, err := s.store.ListProposals(r.Context(), pq)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := apiProposalList{list: list[apiProposalJSON]{Items: []apiProposalJSON{}, NextCursor: page.NextCursor}}
	for _, p := range page.Items {
		p.Space = page.Space
		out.Items = append(out.Items, proposalJSON(p))
	}
	if pq.Sort == models.SortRandom {
		out.Seed = &seed
	}
	writeJSON(w, http.StatusOK, out)
}

// parseSeed reads the seed of a random order, drawing one when absent.
func parseSeed(sort, seed string) (uint64, error) {
	if seed == "" {
		if sort == models.SortRandom {
			return newSeed(), nil
		}
		return 0, nil
	}
	n, err := strconv.ParseUint(seed, 10, 64)
	if err != nil {
		return 0, models.Invalid("seed", "The seed must be a whole number.")
	}
	return n, nil
}

func (s *Server) apiProposal(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	acc := currentAccount(r.Context())
	v, err := s.store.ViewProposal(r.Context(), id, acc)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if hiddenFrom(acc, v.HiddenAt) {
		s.renderHidden(w, r)
		return
	}
	out := proposalJSON(v.Proposal)
	if acc != nil {
		out.Supported = &v.Supported
	}
	if out.ParticipationClosed, err = s.participationClosed(r, v.ConsultationRef()); err != nil {
		s.error(w, r, err)
		return
	}
	setETag(w, v.Version)
	writeJSON(w, http.StatusOK, out)
}

// apiProposalInput is the body of POST /spaces/{name}/proposals.
type apiProposalInput struct {
	Title        string   `json:"title"`
	Body         string   `json:"body"`
	Tags         []string `json:"tags"`
	Consultation idInput  `json:"consultation"`
	Theme        idInput  `json:"theme"`
}

// consultationRefs parses the optional consultation and theme ids of the
// API as the forms do.
func consultationRefs(consultation, theme idInput) (int64, int64, error) {
	v := &models.ValidationError{}
	c, t := consultation.ref(v, "consultation"), theme.ref(v, "theme")
	return c, t, v.Err()
}

func (s *Server) apiCreateProposal(w http.ResponseWriter, r *http.Request) {
	var in apiProposalInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	cid, tid, err := consultationRefs(in.Consultation, in.Theme)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.store.CreateProposal(r.Context(), currentAccount(r.Context()).Actor, chi.URLParam(r, "name"),
		models.ProposalInput{Title: in.Title, Body: in.Body, Tags: in.Tags, Consultation: cid, Theme: tid})
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", s.opts.BaseURL+"/api/v1/proposals/"+strconv.FormatInt(p.ID, 10))
	writeJSON(w, http.StatusCreated, proposalJSON(p))
}

// apiUpdateProposal is the author's edit (the page's /p/{id}/edit): the
// fields sent replace the proposal's, the others stay; models.UpdateProposal
// says while it may change (open, no support) and refuses another
// consultation or theme.
func (s *Server) apiUpdateProposal(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		// Who first: a member who may not edit learns nothing of the input.
		err = s.store.MayEditProposal(r.Context(), currentAccount(r.Context()).Actor, id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	want, err := ifMatch(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.store.ProposalByID(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	body, err := readJSON(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	err = remerge(want, p.Version, func() (int64, error) {
		var err error
		if p, err = s.store.ProposalByID(r.Context(), id); err != nil {
			return 0, err
		}
		return p.Version, nil
	}, func(ifVersion int64) error {
		in := apiProposalInput{Title: p.Title, Body: p.Body, Tags: p.Tags,
			Consultation: idInput(idString(p.ConsultationID)), Theme: idInput(idString(p.ThemeID))}
		if err := decodeJSONBytes(body, &in); err != nil {
			return err
		}
		cid, tid, err := consultationRefs(in.Consultation, in.Theme)
		if err != nil {
			return err
		}
		updated, err := s.store.UpdateProposal(r.Context(), currentAccount(r.Context()).Actor, id,
			models.ProposalInput{Title: in.Title, Body: in.Body, Tags: in.Tags, Consultation: cid, Theme: tid, IfVersion: ifVersion})
		if err == nil {
			p = updated
		}
		return err
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	setETag(w, p.Version)
	writeJSON(w, http.StatusOK, proposalJSON(p))
}

// apiSupports is the answer of support calls.
type apiSupports struct {
	Supports int `json:"supports"`
}

func (s *Server) apiSupport(w http.ResponseWriter, r *http.Request) {
	s.apiSupportCall(w, r, s.store.Support)
}

func (s *Server) apiUnsupport(w http.ResponseWriter, r *http.Request) {
	s.apiSupportCall(w, r, s.store.Unsupport)
}

func (s *Server) apiSupportCall(w http.ResponseWriter, r *http.Request, call func(ctx context.Context, by *models.Actor, id int64) (int, error)) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	n, err := call(r.Context(), currentAccount(r.Context()).Actor, id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiSupports{Supports: n})
}

func (s *Server) apiWithdrawProposal(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.store.WithdrawProposal(r.Context(), currentAccount(r.Context()).Actor, id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, proposalJSON(p))
}

// apiStatusInput is the body of POST /proposals/{id}/status.
type apiStatusInput struct {
	Status string `json:"status"`
	Answer string `json:"answer"`
}

func (s *Server) apiProposalStatus(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in apiStatusInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.store.SetProposalStatus(r.Context(), currentAccount(r.Context()), id, in.Status, in.Answer)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, proposalJSON(p))
}
