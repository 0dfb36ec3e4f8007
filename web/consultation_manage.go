package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// manageView is the moderators' page of a consultation: themes, banner,
// documents (sheets, files, FAQ).
type manageView struct {
	*consultationView
	Themes    []*models.Theme
	Documents []*models.Document
	Errors    map[string]string
	Doc       models.DocumentInput
	ThemeIn   models.ThemeInput
	Kinds     []string
}

func (v *manageView) setErrors(e map[string]string) { v.Errors = e }

func (s *Server) manageData(r *http.Request, c *models.Consultation) (*manageView, error) {
	head, err := s.consultationHeader(r, c)
	if err != nil {
		return nil, err
	}
	v := &manageView{consultationView: head, Kinds: []string{models.DocSheet, models.DocFile, models.DocFAQ}, Doc: models.DocumentInput{Kind: models.DocSheet}}
	if v.Themes, err = s.store.Themes(r.Context(), c.ID); err != nil {
		return nil, err
	}
	v.Documents, err = s.store.Documents(r.Context(), c.ID, "")
	return v, err
}

// moderatorConsultation loads the consultation for a moderator-only page.
func (s *Server) moderatorConsultation(w http.ResponseWriter, r *http.Request) (*models.Consultation, bool) {
	if !currentAccount(r.Context()).IsModerator() {
		s.error(w, r, models.ErrForbidden)
		return nil, false
	}
	return s.consultationFromURL(w, r)
}

func (s *Server) consultationManage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.moderatorConsultation(w, r)
	if !ok {
		return
	}
	v, err := s.manageData(r, c)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, consultationManagePage(s.page(r, s.localeFor(r).T("consultation.manage")), v))
}

// manageFormError re-renders the manage page with the input kept.
func (s *Server) manageFormError(w http.ResponseWriter, r *http.Request, c *models.Consultation, err error, keep func(v *manageView)) bool {
	if err == nil {
		return false
	}
	v, lerr := s.manageData(r, c)
	if lerr != nil {
		s.error(w, r, lerr)
		return true
	}
	keep(v)
	return formError(s, w, r, err, "consultation.manage", v, consultationManagePage)
}

func (s *Server) themeAdd(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	c, ok := s.moderatorConsultation(w, r)
	if !ok {
		return
	}
	in := models.ThemeInput{Name: r.PostFormValue("name"), Description: r.PostFormValue("description"), Position: formInt(r, "position", 0)}
	_, err := s.store.AddTheme(r.Context(), currentAccount(r.Context()), c.ID, in)
	if s.manageFormError(w, r, c, err, func(v *manageView) { v.ThemeIn = in }) {
		return
	}
	redirect(w, r, manageURL(c), "theme.added")
}

func (s *Server) themeDelete(w http.ResponseWriter, r *http.Request) {
	c, ok := s.moderatorConsultation(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "theme"), 10, 64)
	var t *models.Theme
	if err == nil {
		t, err = s.store.ThemeByID(r.Context(), id)
	}
	if err != nil || t.ConsultationID != c.ID {
		s.error(w, r, models.ErrNotFound)
		return
	}
	if err := s.store.DeleteTheme(r.Context(), currentAccount(r.Context()), t.ID); err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, manageURL(c), "theme.deleted")
}

func (s *Server) documentAdd(w http.ResponseWriter, r *http.Request) {
	c, ok := s.moderatorConsultation(w, r)
	if !ok {
		return
	}
	err := parseUploadForm(w, r)
	if errors.Is(err, errBadForm) {
		s.badForm(w, r, err)
		return
	}
	in := models.DocumentInput{Kind: r.PostFormValue("kind"), Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), Position: formInt(r, "position", 0)}
	var u *models.Upload
	if err == nil && in.Kind == models.DocFile {
		if u, err = s.saveFormFile(r, "file", c.SpaceID); u != nil {
			in.UploadID = &u.ID
		}
		if ve, ok := errors.AsType[*models.ValidationError](err); ok {
			err = ve.Join(in.Validate()) // the other fields' problems with the file's
		}
	}
	if err == nil {
		_, err = s.store.AddDocument(r.Context(), currentAccount(r.Context()), c.ID, in)
	}
	if err != nil {
		s.dropUnattached(r, u)
	}
	if s.manageFormError(w, r, c, err, func(v *manageView) { v.Doc = in }) {
		return
	}
	redirect(w, r, manageURL(c), "document.added")
}

func (s *Server) documentDelete(w http.ResponseWriter, r *http.Request) {
	c, ok := s.moderatorConsultation(w, r)
	if !ok {
		return
	}
	d, ok := s.documentOf(w, r, c)
	if !ok {
		return
	}
	if err := s.store.DeleteDocument(r.Context(), currentAccount(r.Context()), d.ID); err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, manageURL(c), "document.deleted")
}

// documentOf is the document {doc} of the path, if it is c's; otherwise
// it answers 404 (a document of another consultation is not found there).
func (s *Server) documentOf(w http.ResponseWriter, r *http.Request, c *models.Consultation) (*models.Document, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, "doc"), 10, 64)
	var d *models.Document
	if err == nil {
		d, err = s.store.DocumentByID(r.Context(), id)
	}
	if err != nil || d.ConsultationID != c.ID {
		s.error(w, r, models.ErrNotFound)
		return nil, false
	}
	return d, true
}

// bannerUpload stores a banner image and sets it with its alt text.
func (s *Server) bannerUpload(w http.ResponseWriter, r *http.Request) {
	c, ok := s.moderatorConsultation(w, r)
	if !ok {
		return
	}
	err := parseUploadForm(w, r)
	if errors.Is(err, errBadForm) {
		s.badForm(w, r, err)
		return
	}
	in := bannerInput(c, c.BannerID, strings.TrimSpace(r.PostFormValue("banner_alt")))
	var u *models.Upload
	if r.PostFormValue("remove") == "true" {
		in.BannerID, in.BannerAlt = nil, ""
	} else if err == nil {
		if u, err = s.saveBanner(r, c, in.BannerAlt); u != nil {
			in.BannerID = &u.ID
		}
	}
	if err == nil {
		_, err = s.store.UpdateConsultation(r.Context(), currentAccount(r.Context()), c.ID, in)
	}
	if err != nil {
		s.dropUnattached(r, u)
	}
	if s.manageFormError(w, r, c, err, func(*manageView) {}) {
		return
	}
	redirect(w, r, manageURL(c), "consultation.updated")
}

// bannerInput is c unchanged but for its banner (nil: none) and the
// banner's text alternative alt.
func bannerInput(c *models.Consultation, banner *int64, alt string) models.ConsultationInput {
	return models.ConsultationInput{Title: c.Title, Summary: c.Summary, Body: c.Body, OpensAt: c.OpensAt, ContributionAt: c.ContributionAt,
		SynthesisAt: c.SynthesisAt, ClosesAt: c.ClosesAt, BannerID: banner, BannerAlt: alt, MapEnabled: c.MapEnabled}
}

// saveBanner stores the image of the part "banner" for c's space (nil
// without one), once its text alternative alt is known, as the page and
// the API take a banner.
func (s *Server) saveBanner(r *http.Request, c *models.Consultation, alt string) (*models.Upload, error) {
	if alt == "" {
		return nil, models.Invalid("banner_alt", "A banner image needs a text alternative.")
	}
	u, err := s.saveFormFile(r, "banner", c.SpaceID)
	if err == nil && u != nil && !u.IsImage() {
		err = models.Invalid("banner", "The banner must be an image uploaded to this space.")
	}
	return u, err
}

func manageURL(c *models.Consultation) string {
	return "/consultations/" + strconv.FormatInt(c.ID, 10) + "/manage"
}

func consultationURL(c *models.Consultation) string {
	return "/consultations/" + strconv.FormatInt(c.ID, 10)
}

// workshopFormView is the form recording a workshop contribution.
type workshopFormView struct {
	*consultationView
	Themes []*models.Theme
	Input  models.WorkshopInput
	HeldAt string
	Lat    string
	Lon    string
	Errors map[string]string
}

func (v *workshopFormView) setErrors(e map[string]string) { v.Errors = e }

func (s *Server) workshopFormData(r *http.Request, c *models.Consultation) (*workshopFormView, error) {
	head, err := s.consultationHeader(r, c)
	if err != nil {
		return nil, err
	}
	v := &workshopFormView{consultationView: head, Input: models.WorkshopInput{Participants: 1}}
	v.Themes, err = s.store.Themes(r.Context(), c.ID)
	return v, err
}

func (s *Server) workshopForm(w http.ResponseWriter, r *http.Request) {
	c, ok := s.moderatorConsultation(w, r)
	if !ok {
		return
	}
	v, err := s.workshopFormData(r, c)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v.HeldAt = s.now().UTC().Format(formTimeLayout)
	s.render(w, r, http.StatusOK, consultationWorkshopPage(s.page(r, s.localeFor(r).T("workshop.record")), v))
}

func (s *Server) workshopCreate(w http.ResponseWriter, r *http.Request) {
	c, ok := s.moderatorConsultation(w, r)
	if !ok {
		return
	}
	err := parseUploadForm(w, r)
	if errors.Is(err, errBadForm) {
		s.badForm(w, r, err)
		return
	}
	v, lerr := s.workshopFormData(r, c)
	if lerr != nil {
		s.error(w, r, lerr)
		return
	}
	v.HeldAt, v.Lat, v.Lon = r.PostFormValue("held_at"), r.PostFormValue("lat"), r.PostFormValue("lon")
	v.Input = models.WorkshopInput{Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), Place: r.PostFormValue("place"),
		Participants: formInt(r, "participants", 0)}
	ve := &models.ValidationError{}
	v.Input.ThemeID = models.ParseRef(ve, "theme", r.PostFormValue("theme"))
	if t := formTime(ve, "held_at", v.HeldAt); t != nil {
		v.Input.HeldAt = *t
	}
	v.Input.Lat, v.Input.Lon = formFloat(ve, "lat", v.Lat), formFloat(ve, "lon", v.Lon)
	if err == nil {
		// The fields the form could not read and the rules' problems are
		// shown together, before any sheet is stored.
		err = ve.Join(v.Input.Validate(s.now()))
	}
	var wc *models.WorkshopContribution
	var u *models.Upload
	if err == nil {
		if u, err = s.saveFormFile(r, "sheet", c.SpaceID); u != nil {
			v.Input.SheetID = &u.ID
		}
	}
	if err == nil {
		wc, err = s.store.RecordWorkshopContribution(r.Context(), currentAccount(r.Context()), c.ID, v.Input)
	}
	if err != nil {
		s.dropUnattached(r, u)
	}
	if formError(s, w, r, err, "workshop.record", v, consultationWorkshopPage) {
		return
	}
	redirect(w, r, "/w/"+strconv.FormatInt(wc.ID, 10), "workshop.recorded")
}

// formFloat parses an optional decimal field ("48.85" or "48,85").
func formFloat(ve *models.ValidationError, field, v string) *float64 {
	v = strings.ReplaceAll(strings.TrimSpace(v), ",", ".")
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		ve.Add(field, "Enter a decimal number such as 48.8566.")
		return nil
	}
	return &f
}

func (s *Server) workshopPage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var wc *models.WorkshopContribution
	if err == nil {
		wc, err = s.store.WorkshopContributionByID(r.Context(), id)
	}
	var c *models.Consultation
	if err == nil {
		c, err = s.store.ConsultationByID(r.Context(), wc.ConsultationID)
	}
	var head *consultationView
	if err == nil {
		head, err = s.consultationHeader(r, c)
	}
	var theme *models.Theme
	if err == nil && wc.ThemeID != nil {
		theme, err = s.store.ThemeByID(r.Context(), *wc.ThemeID)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := &consultationWorkshopView{Head: head, W: wc, Theme: theme}
	s.render(w, r, http.StatusOK, workshopPage(s.page(r, wc.Title), v))
}

func (s *Server) workshopDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var wc *models.WorkshopContribution
	if err == nil {
		wc, err = s.store.WorkshopContributionByID(r.Context(), id)
	}
	if err == nil {
		err = s.store.DeleteWorkshopContribution(r.Context(), currentAccount(r.Context()), id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/consultations/"+strconv.FormatInt(wc.ConsultationID, 10), "workshop.deleted")
}

// synthesisView is the synthesis editor.
type synthesisView struct {
	*consultationView
	Body      string
	Synthesis *models.Synthesis
	Errors    map[string]string
}

func (v *synthesisView) setErrors(e map[string]string) { v.Errors = e }

func (s *Server) synthesisData(r *http.Request, c *models.Consultation) (*synthesisView, error) {
	head, err := s.consultationHeader(r, c)
	if err != nil {
		return nil, err
	}
	v := &synthesisView{consultationView: head}
	syn, err := s.store.SynthesisOf(r.Context(), c.ID, true)
	switch {
	case err == nil:
		v.Synthesis, v.Body = syn, syn.Body
	case err != models.ErrNotFound:
		return nil, err
	}
	return v, nil
}

// synthesisPage is the synthesis' ActivityPub id: fediverse servers get
// the Note, moderators the editing form, everyone else the consultation
// page where the published synthesis is shown.
func (s *Server) synthesisPage(w http.ResponseWriter, r *http.Request) {
	switch {
	case s.wantsActivity(r):
		s.opts.Federation.ServeObject(w, r, "synthesis", chi.URLParam(r, "id"))
	case currentAccount(r.Context()).IsModerator():
		s.synthesisForm(w, r)
	default:
		http.Redirect(w, r, "/consultations/"+chi.URLParam(r, "id")+"#synthesis", http.StatusSeeOther)
	}
}

func (s *Server) synthesisForm(w http.ResponseWriter, r *http.Request) {
	c, ok := s.moderatorConsultation(w, r)
	if !ok {
		return
	}
	v, err := s.synthesisData(r, c)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, consultationSynthesisPage(s.page(r, s.localeFor(r).T("synthesis.edit")), v))
}

func (s *Server) synthesisSave(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	c, ok := s.moderatorConsultation(w, r)
	if !ok {
		return
	}
	body, publish := r.PostFormValue("body"), r.PostFormValue("publish") == "true"
	var err error
	if publish {
		_, err = s.store.PublishSynthesis(r.Context(), currentAccount(r.Context()), c.ID, body)
	} else {
		_, err = s.store.SaveSynthesis(r.Context(), currentAccount(r.Context()), c.ID, body)
	}
	var pe *models.PhaseError
	if errors.As(err, &pe) {
		err = models.Invalid("body", "The synthesis is published from the synthesis phase on; save it as a draft until then.")
	}
	if err != nil {
		v, lerr := s.synthesisData(r, c)
		if lerr != nil {
			s.error(w, r, lerr)
			return
		}
		v.Body = body
		formError(s, w, r, err, "synthesis.edit", v, consultationSynthesisPage)
		return
	}
	if publish {
		redirect(w, r, consultationURL(c)+"#synthesis", "synthesis.published")
		return
	}
	redirect(w, r, consultationURL(c)+"/synthesis", "synthesis.saved")
}
