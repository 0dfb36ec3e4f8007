package web

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Get("/p/{id}", s.proposalPage)
		r.Get("/s/{name}/proposals", s.proposalList)
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			r.Get("/s/{name}/proposals/new", s.proposalNewForm)
			r.Post("/s/{name}/proposals/new", s.proposalCreate)
			r.Get("/p/{id}/edit", s.proposalEditForm)
			r.Post("/p/{id}/edit", s.proposalEdit)
			r.Post("/p/{id}/withdraw", s.proposalAction("proposal.withdrawn", s.withdrawProposal))
			r.Post("/p/{id}/support", s.proposalAction("proposal.supported", s.supportProposal))
			r.Post("/p/{id}/unsupport", s.proposalAction("proposal.unsupported", s.unsupportProposal))
			// Moderators' form: the role before the form is read (models
			// checks it again).
			r.With(s.requireModerator).Post("/p/{id}/status", s.proposalStatus)
		})
	})
	// Both civic sections are registered here so the space page shows
	// proposals before petitions whatever the order of file inits.
	spaceSections = append(spaceSections, proposalSection, petitionSection)
}

// pathID reads the {id} URL parameter; a malformed id is ErrNotFound.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, models.ErrNotFound
	}
	return id, nil
}

// hiddenFrom reports whether moderation hides an object from acc:
// moderators still see hidden proposals and petitions, others get 410.
func hiddenFrom(acc *models.Account, hiddenAt *time.Time) bool {
	return hiddenAt != nil && !acc.IsModerator()
}

// splitTags reads the comma-separated tags of a form.
func splitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// proposalPageData is the proposal page: the proposal as the viewer sees
// it, what the viewer may do, and the moderators' status form.
type proposalPageData struct {
	V           *models.ProposalView
	Comments    templ.Component
	SignedIn    bool
	CanSupport  bool // signed in, supportable and not yet supported
	CanEdit     bool
	CanWithdraw bool
	Moderator   bool
	Hidden      bool // hidden by moderation (shown to moderators only)
	Threshold   int  // the space's support threshold, 0 for none
	Statuses    []string
	Status      string // status form values, kept on errors
	Answer      string
	Errors      map[string]string
	// Refusal is why the proposal's consultation refuses supports now,
	// though the proposal takes them (nil: it does, or belongs to none).
	Refusal *models.PhaseError
	// Consultation is the consultation it belongs to (nil: none).
	Consultation *models.ConsultationContext
}

// proposalData loads what the proposal page shows; it reports false after
// answering r itself (not found, or hidden from this viewer).
func (s *Server) proposalData(w http.ResponseWriter, r *http.Request, id int64) (*proposalPageData, bool) {
	acc := currentAccount(r.Context())
	v, err := s.store.ViewProposal(r.Context(), id, acc)
	if err != nil {
		s.error(w, r, err)
		return nil, false
	}
	if hiddenFrom(acc, v.HiddenAt) {
		s.renderHidden(w, r)
		return nil, false
	}
	d := &proposalPageData{V: v, SignedIn: acc != nil, Moderator: acc.IsModerator() && v.Local, Hidden: v.HiddenAt != nil,
		Statuses: []string{models.ProposalAnswered, models.ProposalAccepted, models.ProposalRejected}, Status: v.Status}
	if d.Consultation, err = s.store.ConsultationContextOf(r.Context(), v.ConsultationRef()); err != nil {
		s.error(w, r, err)
		return nil, false
	}
	if v.Supportable() {
		d.Refusal = d.Consultation.Refusal(models.ActionVote)
	}
	if acc != nil && acc.Actor != nil {
		mine := acc.Actor.ID == v.AuthorID
		d.CanSupport = v.Supportable() && !v.Supported && d.Refusal == nil
		d.CanEdit, d.CanWithdraw = mine && v.Editable(), mine && v.Withdrawable()
		if d.CanEdit || d.CanWithdraw { // both follow the "propose" column of the phases
			refused := d.Consultation.Refusal(models.ActionPropose)
			d.CanEdit, d.CanWithdraw = d.CanEdit && refused == nil, d.CanWithdraw && refused == nil
		}
	}
	if v.Space != nil && v.Local {
		d.Threshold = v.Space.SupportThreshold
	}
	if d.Comments, err = s.commentSection(r, models.ObjectTypeProposal, id); err != nil {
		s.error(w, r, err)
		return nil, false
	}
	return d, true
}

// proposalPage is a proposal's permalink, or its ActivityStreams form.
func (s *Server) proposalPage(w http.ResponseWriter, r *http.Request) {
	if s.wantsActivity(r) {
		s.opts.Federation.ServeObject(w, r, "proposal", chi.URLParam(r, "id"))
		return
	}
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	d, ok := s.proposalData(w, r, id)
	if !ok {
		return
	}
	p := s.page(r, d.V.Title)
	p.Alternate = d.V.URI
	s.render(w, r, http.StatusOK, proposalShowPage(p, d))
}

// proposalListData is the list page with its filters.
type proposalListData struct {
	List     *models.ProposalList
	Q        models.ProposalQuery
	Statuses []string
	Sorts    []string
	Next     string // URL of the next page, "" on the last
	Random   bool
}

// proposalList lists a space's proposals. ?sort=random without a seed
// redirects to a URL with a fresh seed, so every random list has a
// permalink anyone can reproduce.
func (s *Server) proposalList(w http.ResponseWriter, r *http.Request) {
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
	pq := models.ProposalQuery{Space: chi.URLParam(r, "name"), Tag: q.Get("tag"), Status: q.Get("status"),
		Search: q.Get("q"), Sort: q.Get("sort"), Seed: seed, Cursor: q.Get("cursor"), Limit: 20}
	list, err := s.store.ListProposals(r.Context(), pq)
	if err != nil {
		s.error(w, r, err)
		return
	}
	d := &proposalListData{List: list, Q: pq, Statuses: models.ProposalStatuses, Random: pq.Sort == models.SortRandom,
		Sorts: []string{models.SortNewest, models.SortSupports, models.SortRandom}, Next: nextPageURL(r, list.NextCursor)}
	s.render(w, r, http.StatusOK, proposalListPage(s.page(r, s.localeFor(r).T("proposals.title", list.Space.Title)), d))
}

// listQuery returns the query of a list URL, or the URL to redirect to
// when a random order lacks its seed.
func listQuery(r *http.Request) (url.Values, string) {
	q := r.URL.Query()
	if q.Get("sort") != models.SortRandom || q.Get("seed") != "" {
		return q, ""
	}
	q.Set("seed", strconv.FormatUint(newSeed(), 10))
	q.Del("cursor")
	return nil, r.URL.Path + "?" + q.Encode()
}

// newSeed draws a random seed small enough to read aloud (1..999999).
func newSeed() uint64 {
	var b [8]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails
	return binary.BigEndian.Uint64(b[:])%999_999 + 1
}

// nextPageURL is the current URL with the next cursor, "" for none.
func nextPageURL(r *http.Request, cursor string) string {
	if cursor == "" {
		return ""
	}
	q := r.URL.Query()
	q.Set("cursor", cursor)
	return r.URL.Path + "?" + q.Encode()
}

// proposalForm is the new and edit form.
type proposalForm struct {
	Space string
	// SpaceTitle names the space in the new-proposal form's way back.
	SpaceTitle string
	ID         int64 // 0 when creating
	Input      models.ProposalInput
	Tags       string
	Errors     map[string]string
	Limits     map[string]int
	Editing    bool
	Dropped    bool // a refused consultation or theme was left out
	// Consultation is the consultation the new proposal will join, nil
	// for none.
	Consultation *formConsultation
	Edit         editVersion // editing
}

// setErrors leaves out a refused consultation or theme: they travel in
// hidden inputs the author cannot change, so the form shown again would
// be refused at each try. Left out, it goes through without them, and the
// page says so beside the error (Dropped).
func (f *proposalForm) setErrors(e map[string]string) {
	f.Errors = e
	if e["consultation"] != "" { // and its theme with it
		f.Input.Consultation, f.Dropped = 0, true
	}
	if e["theme"] != "" || e["consultation"] != "" {
		f.Input.Theme, f.Dropped = 0, true
	}
}

func newProposalForm(space string, id int64, in models.ProposalInput) *proposalForm {
	return &proposalForm{Space: space, ID: id, Input: in, Tags: strings.Join(in.Tags, ", "), Editing: id != 0, Edit: editVersion{Version: in.IfVersion},
		Limits: map[string]int{"MinTitle": models.MinTitleLen, "MaxTitle": models.MaxTitleLen, "MaxBody": models.MaxBodyLen, "MaxTags": models.MaxTags}}
}

// proposalInputFromForm reads the form, a consultation or theme that is
// not an id (a tampered hidden input) becoming a field error in v.
func proposalInputFromForm(r *http.Request, v *models.ValidationError) models.ProposalInput {
	in := models.ProposalInput{Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), Tags: splitTags(r.PostFormValue("tags"))}
	in.Consultation = models.ParseRef(v, "consultation", r.PostFormValue("consultation"))
	in.Theme = models.ParseRef(v, "theme", r.PostFormValue("theme"))
	return in
}

func (s *Server) proposalNewForm(w http.ResponseWriter, r *http.Request) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	v, q := &models.ValidationError{}, r.URL.Query()
	in := models.ProposalInput{Consultation: models.ParseRef(v, "consultation", q.Get("consultation"))}
	in.Theme = models.ParseRef(v, "theme", q.Get("theme"))
	if err := v.Err(); err != nil {
		s.error(w, r, err)
		return
	}
	f := newProposalForm(sp.Name, 0, in)
	f.SpaceTitle = sp.Title
	if f.Consultation, err = s.formConsultationOf(r, in.Consultation, in.Theme); err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, proposalFormPage(s.page(r, s.localeFor(r).T("proposal.new")), f))
}

func (s *Server) proposalCreate(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	v := &models.ValidationError{}
	name, in := chi.URLParam(r, "name"), proposalInputFromForm(r, v)
	var p *models.Proposal
	err := withRules(v, in.Validate)
	if err == nil {
		p, err = s.store.CreateProposal(r.Context(), currentAccount(r.Context()).Actor, name, in)
	}
	f := newProposalForm(name, 0, in)
	if err != nil {
		if sp, e := s.store.SpaceByName(r.Context(), name); e == nil {
			f.SpaceTitle = sp.Title
		}
		f.Consultation, _ = s.formConsultationOf(r, in.Consultation, in.Theme) // nil on error: the form without it
	}
	if formError(s, w, r, err, "proposal.new", f, proposalFormPage) {
		return
	}
	redirect(w, r, "/p/"+strconv.FormatInt(p.ID, 10), "proposal.created")
}

func (s *Server) proposalEditForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.store.ProposalByID(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if p.AuthorID != currentAccount(r.Context()).Actor.ID || !p.Local {
		s.error(w, r, models.ErrForbidden)
		return
	}
	if err := p.EditError(); err != nil {
		s.error(w, r, err)
		return
	}
	in := models.ProposalInput{Title: p.Title, Body: p.Body, Tags: p.Tags, IfVersion: p.Version}
	f := newProposalForm("", id, in)
	s.render(w, r, http.StatusOK, proposalFormPage(s.page(r, s.localeFor(r).T("proposal.edit")), f))
}

func (s *Server) proposalEdit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	// Who first, then the form (as the API: authorise.go).
	if err := s.store.MayEditProposal(r.Context(), currentAccount(r.Context()).Actor, id); err != nil {
		s.error(w, r, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	v := &models.ValidationError{}
	in := proposalInputFromForm(r, v)
	in.IfVersion = formVersion(r)
	if err = withRules(v, in.Validate); err == nil {
		_, err = s.store.UpdateProposal(r.Context(), currentAccount(r.Context()).Actor, id, in)
	}
	f := newProposalForm("", id, in)
	if editConflict(s, w, r, err, "proposal.edit", f, &f.Edit, "/p/"+strconv.FormatInt(id, 10), proposalFormPage) {
		return
	}
	if formError(s, w, r, err, "proposal.edit", f, proposalFormPage) {
		return
	}
	redirect(w, r, "/p/"+strconv.FormatInt(id, 10), "proposal.updated")
}

// proposalAction runs one participation call on the proposal of the URL
// and goes back to its page with a flash message.
func (s *Server) proposalAction(flash string, do func(r *http.Request, by *models.Actor, id int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			s.error(w, r, err)
			return
		}
		msg := flash // per request: flash is the route's, shared by all
		err = do(r, currentAccount(r.Context()).Actor, id)
		if again := proposalSentAgain(err); again != "" {
			msg, err = again, nil
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		redirect(w, r, "/p/"+strconv.FormatInt(id, 10), msg)
	}
}

func (s *Server) withdrawProposal(r *http.Request, by *models.Actor, id int64) error {
	_, err := s.store.WithdrawProposal(r.Context(), by, id)
	return err
}

func (s *Server) supportProposal(r *http.Request, by *models.Actor, id int64) error {
	_, err := s.store.Support(r.Context(), by, id)
	return err
}

func (s *Server) unsupportProposal(r *http.Request, by *models.Actor, id int64) error {
	_, err := s.store.Unsupport(r.Context(), by, id)
	return err
}

// proposalStatus is the moderators' form: a status and an official
// answer. Invalid input re-renders the proposal page with the errors.
func (s *Server) proposalStatus(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	status, answer := r.PostFormValue("status"), r.PostFormValue("answer")
	_, err = s.store.SetProposalStatus(r.Context(), currentAccount(r.Context()), id, status, answer)
	if err == nil {
		redirect(w, r, "/p/"+strconv.FormatInt(id, 10), "proposal.status_set")
		return
	}
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		s.error(w, r, err)
		return
	}
	d, ok := s.proposalData(w, r, id)
	if !ok {
		return
	}
	d.Status, d.Answer, d.Errors = status, answer, ve.Fields
	s.render(w, r, http.StatusUnprocessableEntity, proposalShowPage(s.page(r, d.V.Title), d))
}

// proposalSection is the space page's block of latest proposals.
func proposalSection(s *Server, r *http.Request, sp *models.Space) (templ.Component, error) {
	list, err := s.store.ListProposals(r.Context(), models.ProposalQuery{Space: sp.Name, Limit: 5})
	if err != nil {
		return nil, err
	}
	return proposalSectionBlock(s.localeFor(r), currentAccount(r.Context()), sp, list.Items), nil
}

// proposalSentAgain words a support or its withdrawal sent a second time (a
// double click, a form sent again from the history or from a stale page):
// what the member wants already holds, so they go back to the page with
// a message saying so, not to an error page. "" for any other outcome.
func proposalSentAgain(err error) string {
	switch {
	case errors.Is(err, models.ErrDuplicate):
		return "proposal.already_supported"
	case errors.Is(err, models.ErrNothingToWithdraw):
		return "proposal.not_supported"
	}
	return ""
}
