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
		r.Get("/spaces/{name}/petitions", s.apiPetitions)
		r.Get("/petitions/{id}", s.apiPetition)
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			r.Post("/spaces/{name}/petitions", s.apiCreatePetition)
			r.Post("/petitions/{id}/signatures", s.apiSign)
			r.Post("/petitions/{id}/updates", s.apiPetitionUpdate)
			r.Post("/petitions/{id}/response", s.apiPetitionResponse)
			r.Post("/petitions/{id}/addressee", s.apiPetitionReaddress)
			r.Post("/petitions/{id}/close", s.apiPetitionClose)
		})
	})
}

// apiPetitionJSON is a petition in the API. State is open, closed (past
// its deadline) or answered.
type apiPetitionJSON struct {
	apiObject
	Space     string    `json:"space,omitempty"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	BodyHTML  string    `json:"body_html"`
	Addressee *apiActor `json:"addressee,omitempty"`
	// AddresseeDeleted: the addressee's account was deleted; their name
	// is no longer shown (addressee is absent), as on the page.
	AddresseeDeleted bool       `json:"addressee_deleted,omitempty"`
	Author           *apiActor  `json:"author"`
	Goal             int        `json:"goal"`
	Signatures       int        `json:"signatures"`
	Percent          int        `json:"percent"`
	State            string     `json:"state"`
	ClosesAt         *time.Time `json:"closes_at,omitempty"`
	// ClosedBy: "author" or "moderator" when the petition was closed
	// before its deadline (closes_at is then the moment of the close).
	ClosedBy     string     `json:"closed_by,omitempty"`
	Response     string     `json:"response,omitempty"`
	ResponseHTML string     `json:"response_html,omitempty"`
	RespondedAt  *time.Time `json:"responded_at,omitempty"`
	// ResponseEditedAt: when the addressee last edited the response.
	ResponseEditedAt *time.Time `json:"response_edited_at,omitempty"`
	// ResponseETag: the entity tag of the response, for the If-Match of
	// PATCH /petitions/{id}/response; with a response only.
	ResponseETag string `json:"response_etag,omitempty"`
	// ReaddressedAt: when a moderator last gave the petition a new
	// addressee (its former one could no longer answer).
	ReaddressedAt *time.Time `json:"readdressed_at,omitempty"`
	Consultation  string     `json:"consultation,omitempty"`
	Theme         string     `json:"theme,omitempty"`
	Hidden        bool       `json:"hidden,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	// Present on GET /petitions/{id} only.
	Milestones       []apiMilestone `json:"milestones,omitempty"`
	Updates          []apiUpdate    `json:"updates,omitempty"`
	PublicSignatures *int           `json:"public_signatures,omitempty"`
	Signed           *bool          `json:"signed,omitempty"` // with a token
	// ParticipationClosed: the consultation's phase refuses signatures now.
	ParticipationClosed *apiPhaseRefusal `json:"participation_closed,omitempty"`
}

type apiMilestone struct {
	Percent    int       `json:"percent"`
	Signatures int       `json:"signatures"`
	ReachedAt  time.Time `json:"reached_at"`
}

type apiUpdate struct {
	ID        string    `json:"id"`
	URI       string    `json:"uri"`
	Body      string    `json:"body"`
	BodyHTML  string    `json:"body_html"`
	CreatedAt time.Time `json:"created_at"`
	// EditedAt: when it was last edited (by its author or a moderator).
	EditedAt *time.Time `json:"edited_at,omitempty"`
	// ETag: its entity tag, for the If-Match of its PATCH (it has no GET
	// of its own to send it as a header).
	ETag string `json:"etag"`
}

func updateJSON(u *models.PetitionUpdate) apiUpdate {
	return apiUpdate{ID: strconv.FormatInt(u.ID, 10), URI: u.URI, Body: u.Body, BodyHTML: u.BodyHTML, CreatedAt: u.CreatedAt, EditedAt: u.EditedAt,
		ETag: etag(u.Version)}
}

func petitionJSON(p *models.Petition, now time.Time) apiPetitionJSON {
	out := apiPetitionJSON{
		apiObject: civicObject(p.ID, p.URI, p.URL, p.Local, p.Origin),
		Title:     p.Title, Body: p.Body, BodyHTML: p.BodyHTML, Addressee: actorJSON(p.Addressee), AddresseeDeleted: p.Addressee.Erased(), Author: actorJSON(p.Author),
		Goal: p.Goal, Signatures: p.SignaturesCount, Percent: p.Percent(), State: p.State(now), ClosesAt: p.ClosesAt, ClosedBy: p.ClosedBy,
		Response: p.Response, ResponseHTML: p.ResponseHTML, RespondedAt: p.RespondedAt, ResponseEditedAt: p.ResponseEditedAt,
		ReaddressedAt: p.ReaddressedAt, Consultation: idString(p.ConsultationID),
		Theme: idString(p.ThemeID), Hidden: p.HiddenAt != nil, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
	if p.Space != nil {
		out.Space = p.Space.Name
	}
	if p.Response != "" {
		out.ResponseETag = etag(p.ResponseVersion)
	}
	return out
}

// apiPetitionList is a page of petitions (see apiProposalList for Seed).
type apiPetitionList struct {
	list[apiPetitionJSON]
	Seed *uint64 `json:"seed,omitempty"`
}

// apiPetitions lists a space's petitions: ?state= (open, closed,
// answered) ?q= ?sort= (newest, signatures, random) ?seed= ?cursor= ?limit=.
func (s *Server) apiPetitions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cursor, limit := pageParams(r)
	seed, err := parseSeed(q.Get("sort"), q.Get("seed"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	pq := models.PetitionQuery{Space: chi.URLParam(r, "name"), State: q.Get("state"), Search: q.Get("q"),
		Sort: q.Get("sort"), Seed: seed, Cursor: cursor, Limit: limit}
	page, err := s.store.ListPetitions(r.Context(), pq)
	if err != nil {
		s.error(w, r, err)
		return
	}
	now := s.store.Now()
	out := apiPetitionList{list: list[apiPetitionJSON]{Items: []apiPetitionJSON{}, NextCursor: page.NextCursor}}
	for _, p := range page.Items {
		p.Space = page.Space
		out.Items = append(out.Items, petitionJSON(p, now))
	}
	if pq.Sort == models.SortRandom {
		out.Seed = &seed
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiPetition(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	acc := currentAccount(r.Context())
	v, err := s.store.ViewPetition(r.Context(), id, acc)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if hiddenFrom(acc, v.HiddenAt) {
		s.renderHidden(w, r)
		return
	}
	out := petitionJSON(v.Petition, s.store.Now())
	out.Milestones, out.Updates, out.PublicSignatures = []apiMilestone{}, []apiUpdate{}, &v.PublicCount
	for _, m := range v.Milestones {
		out.Milestones = append(out.Milestones, apiMilestone{Percent: m.Percent, Signatures: m.Signatures, ReachedAt: m.ReachedAt})
	}
	for i := range v.Updates {
		out.Updates = append(out.Updates, updateJSON(&v.Updates[i]))
	}
	if acc != nil {
		out.Signed = &v.Signed
	}
	if out.ParticipationClosed, err = s.participationClosed(r, v.ConsultationRef()); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// apiPetitionInput is the body of POST /spaces/{name}/petitions; the
// addressee is the user name of a decision-maker.
type apiPetitionInput struct {
	Title        string     `json:"title"`
	Body         string     `json:"body"`
	Goal         int        `json:"goal"`
	Addressee    string     `json:"addressee"`
	ClosesAt     *time.Time `json:"closes_at"`
	Consultation idInput    `json:"consultation"`
	Theme        idInput    `json:"theme"`
}

func (s *Server) apiCreatePetition(w http.ResponseWriter, r *http.Request) {
	var in apiPetitionInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	cid, tid, err := consultationRefs(in.Consultation, in.Theme)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.store.CreatePetition(r.Context(), currentAccount(r.Context()).Actor, chi.URLParam(r, "name"), models.PetitionInput{
		Title: in.Title, Body: in.Body, Goal: in.Goal, Addressee: in.Addressee, ClosesAt: in.ClosesAt, Consultation: cid, Theme: tid})
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", s.opts.BaseURL+"/api/v1/petitions/"+strconv.FormatInt(p.ID, 10))
	writeJSON(w, http.StatusCreated, petitionJSON(p, s.store.Now()))
}

// apiSignatures is the answer of POST /petitions/{id}/signatures.
type apiSignatures struct {
	Signatures int `json:"signatures"`
	Goal       int `json:"goal"`
}

// apiSign signs a petition; the body {"public": true} is optional (an
// empty body signs anonymously).
func (s *Server) apiSign(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in struct {
		Public bool `json:"public"`
	}
	if err := decodeOptionalJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	n, goal, err := s.store.Sign(r.Context(), currentAccount(r.Context()).Actor, id, in.Public)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiSignatures{Signatures: n, Goal: goal})
}

// apiText is the body of update and response calls.
type apiText struct {
	Body string `json:"body"`
}

func (s *Server) apiPetitionUpdate(w http.ResponseWriter, r *http.Request) {
	may := func(id int64) error {
		return s.store.MayWritePetitionUpdate(r.Context(), currentAccount(r.Context()), id, 0)
	}
	s.apiPetitionText(w, r, http.StatusCreated, may, func(id int64, body string) (any, error) {
		u, err := s.store.PostPetitionUpdate(r.Context(), currentAccount(r.Context()).Actor, id, body)
		if err != nil {
			return nil, err
		}
		return updateJSON(u), nil
	})
}

func (s *Server) apiPetitionResponse(w http.ResponseWriter, r *http.Request) {
	s.apiPetitionText(w, r, http.StatusOK, s.mayRespond(r), func(id int64, body string) (any, error) {
		p, err := s.store.RespondPetition(r.Context(), currentAccount(r.Context()), id, body)
		if err != nil {
			return nil, err
		}
		return petitionJSON(p, s.store.Now()), nil
	})
}

// mayRespond asks whether the caller is the {id} petition's addressee.
func (s *Server) mayRespond(r *http.Request) func(id int64) error {
	return func(id int64) error { return s.store.MayRespondPetition(r.Context(), currentAccount(r.Context()), id) }
}

// apiPetitionText answers a call of {"body"} on the {id} petition: may
// says whether the caller may make it, before the body is read (a member
// who may not learns nothing of the input); call does the work and gives
// the answer, sent with status.
func (s *Server) apiPetitionText(w http.ResponseWriter, r *http.Request, status int, may func(id int64) error,
	call func(id int64, body string) (any, error)) {
	id, err := pathID(r)
	if err == nil {
		err = may(id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in apiText
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	out, err := call(id, in.Body)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, status, out)
}

// apiPetitionReaddress gives a petition whose addressee can no longer
// answer a new one, {"addressee": "user name"}; moderators only.
func (s *Server) apiPetitionReaddress(w http.ResponseWriter, r *http.Request) {
	// Who first: a member learns nothing of the input (nor of the petition).
	err := models.MayReaddressPetition(currentAccount(r.Context()))
	var id int64
	if err == nil {
		id, err = pathID(r)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in struct {
		Addressee string `json:"addressee"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.store.ReaddressPetition(r.Context(), currentAccount(r.Context()), id, in.Addressee)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, petitionJSON(p, s.store.Now()))
}

// apiPetitionClose closes a petition before its deadline; its author or
// a moderator only.
func (s *Server) apiPetitionClose(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.store.ClosePetition(r.Context(), currentAccount(r.Context()), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, petitionJSON(p, s.store.Now()))
}
