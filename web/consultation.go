package web

import (
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
		r.Get("/s/{name}/consultations", s.consultationList)
		r.Get("/consultations/{id}", s.consultationPage)
		r.Get("/consultations/{id}/sheets/{doc}", s.consultationSheet)
		r.Get("/consultations/{id}/print", s.consultationPrint)
		r.Get("/consultations/{id}/stats", s.statsPage)
		r.Get("/consultations/{id}/stats.csv", s.statsCSV)
		r.Get("/consultations/{id}/stats.json", s.statsJSON)
		r.Get("/consultations/{id}/map", s.consultationMap)
		r.Get("/w/{id}", s.workshopPage)
		r.Get("/consultations/{id}/synthesis", s.synthesisPage)
		r.Group(func(r chi.Router) {
			// The moderators' forms check the role before the form is
			// read (requireModerator; models checks it again), so that
			// a member gets 403, not 400 for a form they may not send.
			// Placing a contribution on the map (its author's too) is
			// checked in the handler.
			r.Use(s.requireAccount)
			r.Get("/s/{name}/consultations/new", s.consultationNewForm)
			r.With(s.requireModerator).Post("/s/{name}/consultations/new", s.consultationCreate)
			r.Get("/consultations/{id}/edit", s.consultationEditForm)
			r.With(s.requireModerator).Post("/consultations/{id}/edit", s.consultationEdit)
			r.With(s.requireModerator).Post("/consultations/{id}/delete", s.consultationDelete)
			r.Get("/consultations/{id}/manage", s.consultationManage)
			r.With(s.requireModerator).Post("/consultations/{id}/themes", s.themeAdd)
			r.With(s.requireModerator).Post("/consultations/{id}/themes/{theme}/delete", s.themeDelete)
			r.With(s.requireModerator).Post("/consultations/{id}/documents", s.documentAdd)
			r.With(s.requireModerator).Post("/consultations/{id}/documents/{doc}/delete", s.documentDelete)
			r.With(s.requireModerator).Post("/consultations/{id}/banner", s.bannerUpload)
			r.Get("/consultations/{id}/workshop", s.workshopForm)
			r.With(s.requireModerator).Post("/consultations/{id}/workshop", s.workshopCreate)
			r.With(s.requireModerator).Post("/w/{id}/delete", s.workshopDelete)
			r.With(s.requireModerator).Post("/consultations/{id}/synthesis", s.synthesisSave)
			r.Post("/consultations/{id}/map", s.consultationLocate)
		})
	})
	spaceSections = append(spaceSections, consultationSection)
}

// consultationFromURL loads the consultation of the {id} parameter; it
// reports false after answering r itself.
func (s *Server) consultationFromURL(w http.ResponseWriter, r *http.Request) (*models.Consultation, bool) {
	id, err := pathID(r)
	if err == nil {
		var c *models.Consultation
		if c, err = s.store.ConsultationByID(r.Context(), id); err == nil {
			return c, true
		}
	}
	s.error(w, r, err)
	return nil, false
}

// consultationView is what every consultation page shows at its top.
type consultationView struct {
	C         *models.Consultation
	Space     *models.Space
	Phase     string
	Phases    []phaseView
	Allowed   []string
	Moderator bool
	Now       time.Time
}

type phaseView struct {
	models.Phase
	Current bool
	Past    bool
	Skipped bool
}

func (s *Server) consultationHeader(r *http.Request, c *models.Consultation) (*consultationView, error) {
	sp, err := s.store.SpaceByID(r.Context(), c.SpaceID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	v := &consultationView{C: c, Space: sp, Phase: c.PhaseAt(now), Allowed: c.Allowed(now), Now: now,
		Moderator: currentAccount(r.Context()).IsModerator()}
	for _, p := range c.Phases() {
		pv := phaseView{Phase: p, Current: p.Name == v.Phase, Past: p.EndsAt != nil && !p.EndsAt.After(now)}
		pv.Skipped = p.EndsAt != nil && p.EndsAt.Equal(p.StartsAt)
		v.Phases = append(v.Phases, pv)
	}
	return v, nil
}

// consultationPageData is the consultation page.
type consultationPageData struct {
	*consultationView
	Themes    []themeView
	Theme     int64 // the theme filter, 0: all
	Sheets    []*models.Document
	Files     []*models.Document
	FAQ       []*models.Document
	Items     []models.ConsultationItem
	Workshops []*models.WorkshopContribution
	Synthesis *models.Synthesis
	News      []*models.News
	ThemeName map[int64]string
}

type themeView struct {
	*models.Theme
	Count models.ThemeCount
}

func (s *Server) consultationPage(w http.ResponseWriter, r *http.Request) {
	if s.wantsActivity(r) {
		s.opts.Federation.ServeObject(w, r, "consultation", chi.URLParam(r, "id"))
		return
	}
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	d, err := s.consultationData(r, c)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p := s.page(r, c.Title)
	p.Alternate = c.URI
	s.render(w, r, http.StatusOK, consultationPage(p, d))
}

func (s *Server) consultationData(r *http.Request, c *models.Consultation) (*consultationPageData, error) {
	ctx := r.Context()
	head, err := s.consultationHeader(r, c)
	if err != nil {
		return nil, err
	}
	d := &consultationPageData{consultationView: head, ThemeName: map[int64]string{}}
	// A theme filter that is not one of the consultation's themes is
	// refused, as other lists refuse an unknown status or tag, rather
	// than listing every theme under a filter that looks applied.
	v := &models.ValidationError{}
	if d.Theme = models.ParseRef(v, "theme", r.URL.Query().Get("theme")); v.Err() != nil {
		return nil, v.Err()
	}
	if err := s.store.CheckTheme(ctx, c.ID, d.Theme); err != nil {
		return nil, err
	}
	themes, err := s.store.Themes(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	st, err := s.store.ConsultationStatistics(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	counts := map[int64]models.ThemeCount{}
	for _, tc := range st.ByTheme {
		counts[tc.ThemeID] = tc
	}
	for _, t := range themes {
		d.Themes = append(d.Themes, themeView{Theme: t, Count: counts[t.ID]})
		d.ThemeName[t.ID] = t.Name
	}
	docs, err := s.store.Documents(ctx, c.ID, "")
	if err != nil {
		return nil, err
	}
	for _, doc := range docs {
		switch doc.Kind {
		case models.DocSheet:
			d.Sheets = append(d.Sheets, doc)
		case models.DocFile:
			d.Files = append(d.Files, doc)
		case models.DocFAQ:
			d.FAQ = append(d.FAQ, doc)
		}
	}
	if d.Items, err = s.store.ConsultationItems(ctx, c.ID, d.Theme, 100); err != nil {
		return nil, err
	}
	if d.Workshops, err = s.store.WorkshopContributions(ctx, c.ID, d.Theme); err != nil {
		return nil, err
	}
	if syn, err := s.store.SynthesisOf(ctx, c.ID, false); err == nil {
		d.Synthesis = syn
	} else if err != models.ErrNotFound {
		return nil, err
	}
	d.News, err = s.store.ListNews(ctx, c.SpaceID, models.NewsFilter{Consultation: c.ID, Limit: 5})
	return d, err
}

func (s *Server) consultationList(w http.ResponseWriter, r *http.Request) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	list, err := s.store.ListConsultations(r.Context(), sp.ID, models.ConsultationFilter{Limit: 100})
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := &consultationListView{Space: sp, Consultations: list, Now: s.now(), Moderator: currentAccount(r.Context()).IsModerator()}
	s.render(w, r, http.StatusOK, consultationsPage(s.page(r, s.localeFor(r).T("consultations.title", sp.Title)), v))
}

// consultationSection shows a space's current consultations and its
// latest news on the space page.
func consultationSection(s *Server, r *http.Request, sp *models.Space) (templ.Component, error) {
	list, err := s.store.ListConsultations(r.Context(), sp.ID, models.ConsultationFilter{Current: true, Limit: 6})
	if err != nil {
		return nil, err
	}
	news, err := s.store.ListNews(r.Context(), sp.ID, models.NewsFilter{Limit: 3})
	if err != nil {
		return nil, err
	}
	acc := currentAccount(r.Context())
	v := &consultationSpaceView{Space: sp, Consultations: list, News: news, Now: s.now(), Moderator: acc.IsModerator()}
	return consultationSpaceSection(s.localeFor(r), v), nil
}

// consultationForm is the create/edit form of a consultation.
type consultationForm struct {
	Space   *models.Space
	ID      int64
	Input   models.ConsultationInput
	Dates   map[string]string // datetime-local values by field
	Errors  map[string]string
	Editing bool
	Edit    editVersion // editing
}

func (f *consultationForm) setErrors(e map[string]string) { f.Errors = e }

func newConsultationForm(sp *models.Space, in models.ConsultationInput) *consultationForm {
	f := &consultationForm{Space: sp, Input: in, Dates: map[string]string{}}
	for k, t := range consultationDates(&in) {
		if !t.IsZero() {
			f.Dates[k] = t.UTC().Format(formTimeLayout)
		}
	}
	return f
}

// consultationInputFromForm reads the form; date errors go to ve.
func consultationInputFromForm(r *http.Request, ve *models.ValidationError) (models.ConsultationInput, map[string]string) {
	in := models.ConsultationInput{Title: r.PostFormValue("title"), Summary: r.PostFormValue("summary"), Body: r.PostFormValue("body"),
		BannerAlt: r.PostFormValue("banner_alt"), MapEnabled: r.PostFormValue("map") == "true"}
	dates := map[string]string{}
	for field, dst := range map[string]*time.Time{"opens_at": &in.OpensAt, "contribution_at": &in.ContributionAt, "synthesis_at": &in.SynthesisAt, "closes_at": &in.ClosesAt} {
		dates[field] = r.PostFormValue(field)
		if t := formTime(ve, field, dates[field]); t != nil {
			*dst = *t
		}
	}
	if b, err := strconv.ParseInt(r.PostFormValue("banner_id"), 10, 64); err == nil && b > 0 {
		in.BannerID = &b
	}
	return in, dates
}

// consultationFormErrors joins the rules' problems to the dates the form
// could not read (ve), so that all are shown at once. When every missing
// date is one the form could not read, the rules' "every phase needs a
// start date" (the only phases problem they find with a date missing) is
// left out: each date's own message says it better.
func consultationFormErrors(ve *models.ValidationError, in *models.ConsultationInput) error {
	if ve.Err() == nil {
		return nil // the models call checks the rest
	}
	missing, unexplained := false, false
	for field, t := range consultationDates(in) {
		if t.IsZero() {
			missing = true
			unexplained = unexplained || ve.Fields[field] == ""
		}
	}
	err := withRules(ve, in.Validate)
	if missing && !unexplained {
		delete(ve.Fields, "phases")
	}
	return err
}

// consultationDates are the phase boundaries of in by form field.
func consultationDates(in *models.ConsultationInput) map[string]time.Time {
	return map[string]time.Time{"opens_at": in.OpensAt, "contribution_at": in.ContributionAt, "synthesis_at": in.SynthesisAt, "closes_at": in.ClosesAt}
}

func (s *Server) consultationNewForm(w http.ResponseWriter, r *http.Request) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	if !currentAccount(r.Context()).IsModerator() {
		s.error(w, r, models.ErrForbidden)
		return
	}
	day := 24 * time.Hour
	t0 := s.now().UTC().Truncate(day).Add(day + 9*time.Hour)
	in := models.ConsultationInput{OpensAt: t0, ContributionAt: t0.Add(14 * day), SynthesisAt: t0.Add(45 * day), ClosesAt: t0.Add(60 * day)}
	f := newConsultationForm(sp, in)
	s.render(w, r, http.StatusOK, consultationFormPage(s.page(r, s.localeFor(r).T("consultation.new")), f))
}

func (s *Server) consultationCreate(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	ve := &models.ValidationError{}
	in, dates := consultationInputFromForm(r, ve)
	f := newConsultationForm(sp, in)
	f.Dates = dates
	var c *models.Consultation
	if err = consultationFormErrors(ve, &in); err == nil {
		c, err = s.store.CreateConsultation(r.Context(), currentAccount(r.Context()), sp.Name, in)
	}
	if formError(s, w, r, err, "consultation.new", f, consultationFormPage) {
		return
	}
	redirect(w, r, "/consultations/"+strconv.FormatInt(c.ID, 10)+"/manage", "consultation.created")
}

func (s *Server) consultationEditForm(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	if !currentAccount(r.Context()).IsModerator() {
		s.error(w, r, models.ErrForbidden)
		return
	}
	sp, err := s.store.SpaceByID(r.Context(), c.SpaceID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	f := newConsultationForm(sp, models.ConsultationInput{Title: c.Title, Summary: c.Summary, Body: c.Body, OpensAt: c.OpensAt,
		ContributionAt: c.ContributionAt, SynthesisAt: c.SynthesisAt, ClosesAt: c.ClosesAt, BannerID: c.BannerID, BannerAlt: c.BannerAlt, MapEnabled: c.MapEnabled})
	f.ID, f.Editing, f.Edit.Version = c.ID, true, c.Version
	s.render(w, r, http.StatusOK, consultationFormPage(s.page(r, s.localeFor(r).T("consultation.edit")), f))
}

func (s *Server) consultationEdit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	sp, err := s.store.SpaceByID(r.Context(), c.SpaceID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ve := &models.ValidationError{}
	in, dates := consultationInputFromForm(r, ve)
	in.IfVersion = formVersion(r)
	f := newConsultationForm(sp, in)
	f.Dates, f.ID, f.Editing, f.Edit.Version = dates, c.ID, true, in.IfVersion
	if err = consultationFormErrors(ve, &in); err == nil {
		_, err = s.store.UpdateConsultation(r.Context(), currentAccount(r.Context()), c.ID, in)
	}
	if editConflict(s, w, r, err, "consultation.edit", f, &f.Edit, "/consultations/"+strconv.FormatInt(c.ID, 10), consultationFormPage) {
		return
	}
	if formError(s, w, r, err, "consultation.edit", f, consultationFormPage) {
		return
	}
	redirect(w, r, "/consultations/"+strconv.FormatInt(c.ID, 10), "consultation.updated")
}

func (s *Server) consultationDelete(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	sp, err := s.store.SpaceByID(r.Context(), c.SpaceID)
	if err == nil {
		err = s.store.DeleteConsultation(r.Context(), currentAccount(r.Context()), c.ID)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/s/"+sp.Name+"/consultations", "consultation.deleted")
}

func (s *Server) consultationSheet(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	docID, err := strconv.ParseInt(chi.URLParam(r, "doc"), 10, 64)
	if err != nil {
		s.error(w, r, models.ErrNotFound)
		return
	}
	doc, err := s.store.DocumentByID(r.Context(), docID)
	if err == nil && (doc.ConsultationID != c.ID || doc.Kind != models.DocSheet) {
		err = models.ErrNotFound
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	head, err := s.consultationHeader(r, c)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := &consultationSheetView{Head: head, Doc: doc}
	s.render(w, r, http.StatusOK, consultationSheetPage(s.page(r, doc.Title), v))
}

// consultationPrint is the printable workshop kit: the question, the
// information sheets, the FAQ and a form to fill by hand.
func (s *Server) consultationPrint(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	d, err := s.consultationData(r, c)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, consultationPrintPage(s.page(r, s.localeFor(r).T("print.title", c.Title)), d))
}

// ThemeOf names the theme of a workshop contribution ("" for none).
func (d *consultationPageData) ThemeOf(id *int64) string {
	if id == nil {
		return ""
	}
	return d.ThemeName[*id]
}

// CanPropose reports whether the current phase takes new proposals.
func (v *consultationView) CanPropose() bool {
	return models.PhaseAllows(v.Phase, models.ActionPropose)
}

// consultationAllowedText says what the current phase allows, or that
// the consultation is read only.
func consultationAllowedText(l *Locale, allowed []string) string {
	if len(allowed) == 0 {
		return l.T("consultation.read_only")
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = l.T("consultation.action." + a)
	}
	return l.T("consultation.allowed_now") + " " + strings.Join(names, ", ")
}

// consultationPrintPhases is the printed kit's calendar: each phase that
// is not skipped and the day it starts.
func consultationPrintPhases(l *Locale, phases []phaseView) string {
	var b strings.Builder
	for _, p := range phases {
		if p.Skipped {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(" · ")
		}
		b.WriteString(l.T("consultation.phase."+p.Name) + " " + fmtDate(l, p.StartsAt))
	}
	return b.String()
}

// consultationCardDate is the date a consultation's card gives beside its
// phase, with its words: when an upcoming one opens, when the current
// phase ends ("Contribution · jusqu'au" the start of the synthesis, not
// the close, weeks later), when a closed one closed.
func consultationCardDate(c *models.Consultation, now time.Time) (key string, when time.Time) {
	phase := c.PhaseAt(now)
	switch phase {
	case models.PhaseUpcoming:
		return "consultation.opens_on", c.OpensAt
	case models.PhaseClosed:
		return "consultation.closed_on", c.ClosesAt
	}
	for _, p := range c.Phases() {
		if p.Name == phase && p.EndsAt != nil {
			return "consultation.until", *p.EndsAt
		}
	}
	return "consultation.until", c.ClosesAt
}

// consultationProposeURL is the form of a new item of kind ("proposals",
// "petitions", "debates") in a consultation, in the chosen theme when
// there is one (debates take none yet).
func consultationProposeURL(sp *models.Space, c *models.Consultation, kind string, theme int64) string {
	u := "/s/" + sp.Name + "/" + kind + "/new?consultation=" + strconv.FormatInt(c.ID, 10)
	if theme != 0 {
		u += "&theme=" + strconv.FormatInt(theme, 10)
	}
	return u
}
