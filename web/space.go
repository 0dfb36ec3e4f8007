package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func (s *Server) spaceRoutes(r chi.Router) {
	r.Get("/s", s.spaceList)
	r.Get("/s/{name}", s.spacePage)
	r.Get("/@{name}", s.userPage)
	r.Group(func(r chi.Router) {
		r.Use(s.requireAccount)
		r.Get("/new-space", s.spaceForm)
		// Administrators' forms: the role before the form is read
		// (models checks it again).
		r.With(s.requireAdmin).Post("/new-space", s.spaceCreate)
		r.Get("/s/{name}/edit", s.spaceEditForm)
		r.With(s.requireAdmin).Post("/s/{name}/edit", s.spaceEdit)
	})
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	spaces, err := s.store.ListSpaces(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	_, demoErr := s.store.SpaceByName(r.Context(), "ville")
	v := &homeView{Spaces: spaces, Demo: demoErr == nil, DemoPassword: models.DemoPassword}
	s.render(w, r, http.StatusOK, homePage(s.page(r, s.localeFor(r).T("home.title")), v))
}

// homeView is what the home page shows.
type homeView struct {
	Spaces       []*models.Space
	Demo         bool // the demo space exists: show the demo accounts' password
	DemoPassword string
}

// spaceListView is what the list of spaces shows.
type spaceListView struct {
	Spaces []*models.Space
}

func (s *Server) spaceList(w http.ResponseWriter, r *http.Request) {
	spaces, err := s.store.ListSpaces(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := &spaceListView{Spaces: spaces}
	s.render(w, r, http.StatusOK, spacesPage(s.page(r, s.localeFor(r).T("spaces.title")), v))
}

// spacePage shows a space, or its Group actor to fediverse servers.
func (s *Server) spacePage(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	if s.wantsActivity(r) {
		s.opts.Federation.ServeObject(w, r, "space", name)
		return
	}
	sp, err := s.store.SpaceByName(r.Context(), name)
	if err != nil {
		s.error(w, r, err)
		return
	}
	view := &spaceView{Space: sp}
	for _, section := range spaceSections {
		html, err := section(s, r, sp)
		if err != nil {
			s.error(w, r, err)
			return
		}
		view.Sections = append(view.Sections, html)
	}
	p := s.page(r, sp.Title)
	p.Alternate = sp.Actor.URI
	s.render(w, r, http.StatusOK, spacePage(p, view))
}

// spaceView is a space page's data; feature files add sections.
type spaceView struct {
	Space    *models.Space
	Sections []templ.Component
}

// spaceSections render the blocks of a space page (proposals, debates,
// petitions, consultations…); each feature file appends its own in init,
// usually through s.partial.
var spaceSections []func(s *Server, r *http.Request, sp *models.Space) (templ.Component, error)

// userPage shows a local user's public profile, or its Person actor.
func (s *Server) userPage(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	if s.wantsActivity(r) {
		s.opts.Federation.ServeObject(w, r, "user", name)
		return
	}
	acc, err := s.store.AccountByUsername(r.Context(), name)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p := s.page(r, "@"+acc.Username)
	p.Alternate = acc.Actor.URI
	s.render(w, r, http.StatusOK, userPage(p, acc))
}

// wantsActivity reports whether r asks for ActivityStreams and federation
// is on to answer it.
func (s *Server) wantsActivity(r *http.Request) bool {
	return s.opts.Federation != nil && s.opts.Federation.WantsActivity(r)
}

type spaceForm struct {
	Input   models.SpaceInput
	Hosts   string
	Editing bool
	Errors  map[string]string
	Kinds   []string
	Policy  []string
	Licence []string
	Edit    editVersion // editing
}

func newSpaceForm(in models.SpaceInput, editing bool) *spaceForm {
	return &spaceForm{Input: in, Hosts: strings.Join(in.AllowedHosts, ", "), Editing: editing, Edit: editVersion{Version: in.IfVersion},
		Kinds:  []string{models.KindCity, models.KindAssociation, models.KindCollective},
		Policy: []string{models.PolicyOpen, models.PolicyNetwork, models.PolicyLocal}, Licence: models.Licences}
}

func (s *Server) spaceForm(w http.ResponseWriter, r *http.Request) {
	if !currentAccount(r.Context()).IsAdmin() {
		s.error(w, r, models.ErrForbidden)
		return
	}
	f := newSpaceForm(models.SpaceInput{Kind: models.KindCity, Policy: models.PolicyOpen, Licence: models.DefaultLicence}, false)
	s.render(w, r, http.StatusOK, spaceFormPage(s.page(r, s.localeFor(r).T("space.new")), f))
}

func spaceInputFromForm(r *http.Request) models.SpaceInput {
	return models.SpaceInput{
		Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Title: r.PostFormValue("title"),
		Description: r.PostFormValue("description"), Policy: r.PostFormValue("policy"),
		AllowedHosts: strings.Split(r.PostFormValue("allowed_hosts"), ","), Licence: r.PostFormValue("licence"),
		SupportThreshold: formInt(r, "support_threshold", 0),
	}
}

func (s *Server) spaceCreate(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	in := spaceInputFromForm(r)
	sp, err := s.store.CreateSpace(r.Context(), currentAccount(r.Context()), in)
	if formError(s, w, r, err, "space.new", newSpaceForm(in, false), spaceFormPage) {
		return
	}
	redirect(w, r, "/s/"+sp.Name, "space.created")
}

func (s *Server) spaceEditForm(w http.ResponseWriter, r *http.Request) {
	if !currentAccount(r.Context()).IsAdmin() {
		s.error(w, r, models.ErrForbidden)
		return
	}
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	in := spaceInputOf(sp)
	in.IfVersion = sp.Version
	f := newSpaceForm(in, true)
	s.render(w, r, http.StatusOK, spaceFormPage(s.page(r, s.localeFor(r).T("space.edit")), f))
}

// spaceInputOf is sp as an edit starts from: the form's values, the
// API's fields left out.
func spaceInputOf(sp *models.Space) models.SpaceInput {
	return models.SpaceInput{Name: sp.Name, Kind: sp.Kind, Title: sp.Title, Description: sp.Description, Policy: sp.Policy,
		AllowedHosts: sp.Hosts(), SupportThreshold: sp.SupportThreshold, Licence: sp.Licence}
}

func (s *Server) spaceEdit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	in := spaceInputFromForm(r)
	in.Name, in.IfVersion = chi.URLParam(r, "name"), formVersion(r)
	sp, err := s.store.UpdateSpace(r.Context(), currentAccount(r.Context()), in.Name, in)
	f := newSpaceForm(in, true)
	if editConflict(s, w, r, err, "space.edit", f, &f.Edit, "/s/"+url.PathEscape(in.Name), spaceFormPage) {
		return
	}
	if formError(s, w, r, err, "space.edit", f, spaceFormPage) {
		return
	}
	redirect(w, r, "/s/"+sp.Name, "space.updated")
}

func (f *spaceForm) setErrors(e map[string]string) { f.Errors = e }
