package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Get("/pe/{id}", s.petitionPage)
		r.Get("/s/{name}/petitions", s.petitionList)
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			r.Get("/s/{name}/petitions/new", s.petitionNewForm)
			r.Post("/s/{name}/petitions/new", s.petitionCreate)
			r.Post("/pe/{id}/sign", s.petitionSign)
			r.Post("/pe/{id}/updates", s.petitionUpdate)
			r.Post("/pe/{id}/response", s.petitionRespond)
			// Moderators' form: the role before the form is read
			// (models checks it again).
			r.With(s.requireModerator).Post("/pe/{id}/addressee", s.petitionReaddress)
			r.Post("/pe/{id}/close", s.petitionClose) // GET: its confirmation (confirm.go)
		})
	})
}

// petitionPageData is the petition page: the petition as the viewer sees
// it, what the viewer may do, and the author's and addressee's forms.
type petitionPageData struct {
	V           *models.PetitionView
	Comments    templ.Component
	SignedIn    bool
	CanSign     bool // signed in, open and not yet signed
	IsAuthor    bool // may post updates
	IsAddressee bool // may respond
	Moderator   bool
	Hidden      bool   // hidden by moderation (shown to moderators only)
	Update      string // form values, kept on errors
	Response    string
	Errors      map[string]string
	// Refusal is why the petition's consultation refuses signatures now,
	// though the petition is open (nil: it takes them, or belongs to none).
	Refusal *models.PhaseError
	// Consultation is the consultation it belongs to (nil: none).
	Consultation *models.ConsultationContext
	// CanReaddress: a moderator, on a local petition not answered whose
	// addressee can no longer answer (models.AddresseeCanAnswer), who may
	// choose a new one among Deciders.
	CanReaddress bool
	// CanClose: the author or a moderator, on a local petition still open
	// (models.PetitionClosable), who may close it before its deadline.
	CanClose  bool
	Deciders  []*models.Account
	Addressee string // the chosen addressee, kept on errors
	// CanEditResponse: the addressee, on an answered petition, while
	// they may still answer (models.ResponseEditable).
	CanEditResponse bool
	// EditableUpdates are the updates the viewer may edit (their author,
	// or a moderator: models.UpdateEditable).
	EditableUpdates map[int64]bool
}

// petitionData loads what the petition page shows; it reports false after
// answering r itself.
func (s *Server) petitionData(w http.ResponseWriter, r *http.Request, id int64) (*petitionPageData, bool) {
	acc := currentAccount(r.Context())
	v, err := s.store.ViewPetition(r.Context(), id, acc)
	if err != nil {
		s.error(w, r, err)
		return nil, false
	}
	if hiddenFrom(acc, v.HiddenAt) {
		s.renderHidden(w, r)
		return nil, false
	}
	d := &petitionPageData{V: v, SignedIn: acc != nil, Moderator: acc.IsModerator(), Hidden: v.HiddenAt != nil}
	if d.Consultation, err = s.store.ConsultationContextOf(r.Context(), v.ConsultationRef()); err != nil {
		s.error(w, r, err)
		return nil, false
	}
	if v.State == models.PetitionOpen {
		d.Refusal = d.Consultation.Refusal(models.ActionVote)
	}
	if acc != nil && acc.Actor != nil {
		d.CanSign = v.State == models.PetitionOpen && !v.Signed && d.Refusal == nil
		d.IsAuthor = v.Local && acc.Actor.ID == v.AuthorID
		d.IsAddressee = v.Local && acc.Actor.ID == v.AddresseeID && v.Status != models.PetitionAnswered && v.AddresseeCanAnswer
		d.CanEditResponse = models.ResponseEditable(acc, v.Petition, v.AddresseeCanAnswer)
		for i := range v.Updates {
			if models.UpdateEditable(acc, v.Petition, &v.Updates[i]) {
				if d.EditableUpdates == nil {
					d.EditableUpdates = map[int64]bool{}
				}
				d.EditableUpdates[v.Updates[i].ID] = true
			}
		}
	}
	d.CanClose = models.PetitionClosable(acc, v.Petition, s.store.Now())
	d.CanReaddress = d.Moderator && v.Local && v.Status != models.PetitionAnswered && !v.AddresseeCanAnswer
	if d.CanReaddress {
		if d.Deciders, err = s.store.Deciders(r.Context()); err != nil {
			s.error(w, r, err)
			return nil, false
		}
	}
	if d.Comments, err = s.commentSection(r, models.ObjectTypePetition, id); err != nil {
		s.error(w, r, err)
		return nil, false
	}
	return d, true
}

// petitionPage is a petition's permalink, or its ActivityStreams form.
func (s *Server) petitionPage(w http.ResponseWriter, r *http.Request) {
	if s.wantsActivity(r) {
		s.opts.Federation.ServeObject(w, r, "petition", chi.URLParam(r, "id"))
		return
	}
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	d, ok := s.petitionData(w, r, id)
	if !ok {
		return
	}
	p := s.page(r, d.V.Title)
	p.Alternate = d.V.URI
	s.render(w, r, http.StatusOK, petitionShowPage(p, d))
}

// petitionListData is the list page with its filters.
type petitionListData struct {
	List   *models.PetitionList
	Q      models.PetitionQuery
	States []string
	Sorts  []string
	Next   string
	Random bool
	Now    time.Time
}

func (s *Server) petitionList(w http.ResponseWriter, r *http.Request) {
	q, redirectTo := listQuery(r)
	if redirectTo != "" {
		http.Redirect(w, r, redirectTo, http.StatusSeeOther)
		return
	}
	seed, err := parseSeed(q.Get("sort"), q.Get("seed"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	pq := models.PetitionQuery{Space: chi.URLParam(r, "name"), State: q.Get("state"), Search: q.Get("q"),
		Sort: q.Get("sort"), Seed: seed, Cursor: q.Get("cursor"), Limit: 20}
	list, err := s.store.ListPetitions(r.Context(), pq)
	if err != nil {
		s.error(w, r, err)
		return
	}
	d := &petitionListData{List: list, Q: pq, States: models.PetitionStates, Random: pq.Sort == models.SortRandom,
		Sorts: []string{models.SortNewest, models.SortSignatures, models.SortRandom}, Next: nextPageURL(r, list.NextCursor), Now: s.store.Now()}
	s.render(w, r, http.StatusOK, petitionListPage(s.page(r, s.localeFor(r).T("petitions.title", list.Space.Title)), d))
}

// petitionForm is the new-petition form; numbers and dates stay text so
// a wrong entry is shown back as typed.
type petitionForm struct {
	Space      string
	SpaceTitle string // names the space in the form's way back
	Title      string
	Body       string
	Addressee  string
	Goal       string
	ClosesOn   string // YYYY-MM-DD; signatures close at 23:59:59 UTC that day
	Consult    string // consultation id, from ?consultation=
	Theme      string // theme id, from ?theme=
	Deciders   []*models.Account
	Errors     map[string]string
	Dropped    bool // a refused consultation or theme was left out
	// Consultation is the consultation the new petition will join, nil
	// for none.
	Consultation *formConsultation
}

// setErrors leaves out a refused consultation or theme, as
// proposalForm.setErrors does.
func (f *petitionForm) setErrors(e map[string]string) {
	f.Errors = e
	if e["consultation"] != "" { // and its theme with it
		f.Consult, f.Dropped = "", true
	}
	if e["theme"] != "" || e["consultation"] != "" {
		f.Theme, f.Dropped = "", true
	}
}

// input converts the form, reporting a malformed date, consultation or
// theme as a field error in v (a malformed goal becomes 0, which models
// refuses).
func (f *petitionForm) input(v *models.ValidationError) models.PetitionInput {
	in := models.PetitionInput{Title: f.Title, Body: f.Body, Addressee: f.Addressee}
	in.Goal, _ = strconv.Atoi(strings.TrimSpace(f.Goal)) // 0 when malformed: models refuses it
	if d := strings.TrimSpace(f.ClosesOn); d != "" {
		day, err := time.Parse(time.DateOnly, d)
		if err != nil {
			v.Add("closes_at", "The deadline must be a date such as 2027-03-31.")
		} else {
			end := day.Add(24*time.Hour - time.Second) // 23:59:59 UTC that day
			in.ClosesAt = &end
		}
	}
	in.Consultation = models.ParseRef(v, "consultation", f.Consult)
	in.Theme = models.ParseRef(v, "theme", f.Theme)
	return in
}

func (s *Server) petitionNewForm(w http.ResponseWriter, r *http.Request) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	f := &petitionForm{Space: sp.Name, SpaceTitle: sp.Title, Goal: "1000", Consult: r.URL.Query().Get("consultation"), Theme: r.URL.Query().Get("theme")}
	// A link's consultation or theme that is not an id is refused now,
	// as the proposal form does, not once the form is filled in.
	v := &models.ValidationError{}
	in := f.input(v)
	if err := v.Err(); err != nil {
		s.error(w, r, err)
		return
	}
	if f.Consultation, err = s.formConsultationOf(r, in.Consultation, in.Theme); err != nil {
		s.error(w, r, err)
		return
	}
	if f.Deciders, err = s.store.Deciders(r.Context()); err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, petitionFormPage(s.page(r, s.localeFor(r).T("petition.new")), f))
}

func (s *Server) petitionCreate(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	f := &petitionForm{Space: chi.URLParam(r, "name"), Title: r.PostFormValue("title"), Body: r.PostFormValue("body"),
		Addressee: r.PostFormValue("addressee"), Goal: r.PostFormValue("goal"), ClosesOn: r.PostFormValue("closes_on"),
		Consult: r.PostFormValue("consultation"), Theme: r.PostFormValue("theme")}
	v := &models.ValidationError{}
	in := f.input(v)
	var p *models.Petition
	err := withRules(v, func() error { return in.Validate(s.now()) })
	if err == nil {
		p, err = s.store.CreatePetition(r.Context(), currentAccount(r.Context()).Actor, f.Space, in)
	}
	if err != nil {
		f.Deciders, _ = s.store.Deciders(r.Context())
		if sp, e := s.store.SpaceByName(r.Context(), f.Space); e == nil {
			f.SpaceTitle = sp.Title
		}
		f.Consultation, _ = s.formConsultationOf(r, in.Consultation, in.Theme) // nil on error: the form without it
	}
	if formError(s, w, r, err, "petition.new", f, petitionFormPage) {
		return
	}
	redirect(w, r, "/pe/"+strconv.FormatInt(p.ID, 10), "petition.created")
}

func (s *Server) petitionSign(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	flash := "petition.signed"
	_, _, err = s.store.Sign(r.Context(), currentAccount(r.Context()).Actor, id, r.PostFormValue("public") == "1")
	if errors.Is(err, models.ErrDuplicate) {
		flash, err = "petition.already_signed", nil // sent again: the signature holds
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/pe/"+strconv.FormatInt(id, 10), flash)
}

// petitionPost handles the author's update, the addressee's response and
// a moderator's choice of a new addressee: one models call, then back to
// the page, or the page again with the field error.
func (s *Server) petitionPost(w http.ResponseWriter, r *http.Request, field, flash string, may func(id int64) error,
	do func(id int64, text string) error) {
	id, err := pathID(r)
	if err == nil {
		err = may(id) // who first, then the form (as the API: authorise.go)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	text := r.PostFormValue(field)
	err = do(id, text)
	if err == nil {
		redirect(w, r, "/pe/"+strconv.FormatInt(id, 10), flash)
		return
	}
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		s.error(w, r, err)
		return
	}
	d, ok := s.petitionData(w, r, id)
	if !ok {
		return
	}
	d.Errors = ve.Fields
	switch field {
	case "response":
		d.Response = text
	case "addressee":
		d.Addressee = text
	default:
		d.Update = text
	}
	s.render(w, r, http.StatusUnprocessableEntity, petitionShowPage(s.page(r, d.V.Title), d))
}

func (s *Server) petitionUpdate(w http.ResponseWriter, r *http.Request) {
	may := func(id int64) error {
		return s.store.MayWritePetitionUpdate(r.Context(), currentAccount(r.Context()), id, 0)
	}
	s.petitionPost(w, r, "body", "petition.update_posted", may, func(id int64, text string) error {
		_, err := s.store.PostPetitionUpdate(r.Context(), currentAccount(r.Context()).Actor, id, text)
		return err
	})
}

func (s *Server) petitionRespond(w http.ResponseWriter, r *http.Request) {
	s.petitionPost(w, r, "response", "petition.responded", s.mayRespond(r), func(id int64, text string) error {
		_, err := s.store.RespondPetition(r.Context(), currentAccount(r.Context()), id, text)
		return err
	})
}

// petitionReaddress is a moderator's choice of a new addressee for a
// petition whose addressee can no longer answer.
func (s *Server) petitionReaddress(w http.ResponseWriter, r *http.Request) {
	may := func(int64) error { return models.MayReaddressPetition(currentAccount(r.Context())) }
	s.petitionPost(w, r, "addressee", "petition.readdressed", may, func(id int64, name string) error {
		_, err := s.store.ReaddressPetition(r.Context(), currentAccount(r.Context()), id, name)
		return err
	})
}

// petitionClose closes a petition before its deadline, for its author or a
// moderator, after the confirmation page (confirmPetitionClose).
func (s *Server) petitionClose(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := s.store.ClosePetition(r.Context(), currentAccount(r.Context()), id); err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/pe/"+strconv.FormatInt(id, 10), "petition.closed_flash")
}

// petitionSection is the space page's block of open petitions.
func petitionSection(s *Server, r *http.Request, sp *models.Space) (templ.Component, error) {
	list, err := s.store.ListPetitions(r.Context(), models.PetitionQuery{Space: sp.Name, State: models.PetitionOpen, Limit: 5})
	if err != nil {
		return nil, err
	}
	return petitionSectionBlock(s.localeFor(r), currentAccount(r.Context()), sp, list.Items, s.store.Now()), nil
}
