package web

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// Editing a petition's update (its author, or a moderator) and its
// official response (its addressee while they may still answer): a form
// page each, and the same two calls in the API (petition_api.go).

func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			r.Get("/pe/{id}/updates/{uid}/edit", s.petitionUpdateEditForm)
			r.Post("/pe/{id}/updates/{uid}/edit", s.petitionUpdateEdit)
			r.Get("/pe/{id}/response/edit", s.petitionResponseEditForm)
			r.Post("/pe/{id}/response/edit", s.petitionResponseEdit)
		})
	})
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			r.Patch("/petitions/{id}/updates/{uid}", s.apiEditPetitionUpdate)
			r.Patch("/petitions/{id}/response", s.apiEditPetitionResponse)
		})
	})
}

// petitionEditForm is the edit form of an update (Update set) or of the
// response.
type petitionEditForm struct {
	Petition *models.Petition
	Update   *models.PetitionUpdate // nil: the response
	Body     string
	Errors   map[string]string
	Edit     editVersion // of the update, or of the response
}

func (f *petitionEditForm) setErrors(e map[string]string) { f.Errors = e }

// field is the form's one field: "body" (an update) or "response".
func (f *petitionEditForm) field() string {
	if f.Update != nil {
		return "body"
	}
	return "response"
}

// action is where the form posts.
func (f *petitionEditForm) action() string {
	if f.Update != nil {
		return "/pe/" + strconv.FormatInt(f.Petition.ID, 10) + "/updates/" + strconv.FormatInt(f.Update.ID, 10) + "/edit"
	}
	return "/pe/" + strconv.FormatInt(f.Petition.ID, 10) + "/response/edit"
}

// back is the petition page, at what is edited.
func (f *petitionEditForm) back() string {
	if f.Update != nil {
		return "/pe/" + strconv.FormatInt(f.Petition.ID, 10) + "#update-" + strconv.FormatInt(f.Update.ID, 10)
	}
	return "/pe/" + strconv.FormatInt(f.Petition.ID, 10) + "#response-h"
}

func (f *petitionEditForm) titleKey() string {
	if f.Update != nil {
		return "petition.edit_update"
	}
	return "petition.edit_response"
}

// uidParam is the update id of the URL.
func uidParam(r *http.Request) (int64, error) {
	uid, err := strconv.ParseInt(chi.URLParam(r, "uid"), 10, 64)
	if err != nil || uid <= 0 {
		return 0, models.ErrNotFound
	}
	return uid, nil
}

// petitionEditTarget loads the visible petition of the URL and, with an
// update id, that update of it; it reports false after answering r.
func (s *Server) petitionEditTarget(w http.ResponseWriter, r *http.Request, withUpdate bool) (*petitionEditForm, bool) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return nil, false
	}
	p, err := s.store.PetitionByID(r.Context(), id)
	if err == nil && p.HiddenAt != nil {
		err = models.ErrNotFound
	}
	if err != nil {
		s.error(w, r, err)
		return nil, false
	}
	f := &petitionEditForm{Petition: p, Body: p.Response, Edit: editVersion{Version: p.ResponseVersion}}
	if withUpdate {
		uid, err := uidParam(r)
		if err == nil {
			f.Update, err = s.store.PetitionUpdateByID(r.Context(), p.ID, uid)
		}
		if err != nil {
			s.error(w, r, err)
			return nil, false
		}
		f.Body, f.Edit.Version = f.Update.Body, f.Update.Version
	}
	return f, true
}

func (s *Server) petitionUpdateEditForm(w http.ResponseWriter, r *http.Request) {
	f, ok := s.petitionEditTarget(w, r, true)
	if !ok {
		return
	}
	if !models.UpdateEditable(currentAccount(r.Context()), f.Petition, f.Update) {
		s.error(w, r, models.ErrForbidden)
		return
	}
	s.render(w, r, http.StatusOK, petitionEditPage(s.page(r, s.localeFor(r).T(f.titleKey())), f))
}

func (s *Server) petitionResponseEditForm(w http.ResponseWriter, r *http.Request) {
	f, ok := s.petitionEditTarget(w, r, false)
	if !ok {
		return
	}
	can, err := s.store.AddresseeCanAnswer(r.Context(), f.Petition)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if !models.ResponseEditable(currentAccount(r.Context()), f.Petition, can) {
		s.error(w, r, models.ErrForbidden)
		return
	}
	s.render(w, r, http.StatusOK, petitionEditPage(s.page(r, s.localeFor(r).T(f.titleKey())), f))
}

func (s *Server) petitionUpdateEdit(w http.ResponseWriter, r *http.Request) {
	s.petitionEditPost(w, r, true, "petition.update_edited", func(f *petitionEditForm) error {
		_, err := s.store.EditPetitionUpdate(r.Context(), currentAccount(r.Context()), f.Petition.ID, f.Update.ID, f.Body, f.Edit.Version)
		return err
	})
}

func (s *Server) petitionResponseEdit(w http.ResponseWriter, r *http.Request) {
	s.petitionEditPost(w, r, false, "petition.response_edited", func(f *petitionEditForm) error {
		_, err := s.store.EditPetitionResponse(r.Context(), currentAccount(r.Context()), f.Petition.ID, f.Body, f.Edit.Version)
		return err
	})
}

// petitionEditPost makes one models call with the posted text, then goes
// back to the petition, or shows the form again with its error.
func (s *Server) petitionEditPost(w http.ResponseWriter, r *http.Request, withUpdate bool, flash string, do func(*petitionEditForm) error) {
	f, ok := s.petitionEditTarget(w, r, withUpdate)
	if !ok {
		return
	}
	// Who first, then the form (as the API: authorise.go).
	acc := currentAccount(r.Context())
	var err error
	if withUpdate {
		err = s.store.MayWritePetitionUpdate(r.Context(), acc, f.Petition.ID, f.Update.ID)
	} else {
		err = s.store.MayRespondPetition(r.Context(), acc, f.Petition.ID)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	f.Body, f.Edit.Version = r.PostFormValue(f.field()), formVersion(r)
	err = do(f)
	if editConflict(s, w, r, err, f.titleKey(), f, &f.Edit, f.back(), petitionEditPage) {
		return
	}
	if formError(s, w, r, err, f.titleKey(), f, petitionEditPage) {
		return
	}
	redirect(w, r, f.back(), flash)
}

// apiEditPetitionUpdate changes an update's text, {"body"}: its author or
// a moderator.
func (s *Server) apiEditPetitionUpdate(w http.ResponseWriter, r *http.Request) {
	uid, err := uidParam(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	may := func(id int64) error {
		return s.store.MayWritePetitionUpdate(r.Context(), currentAccount(r.Context()), id, uid)
	}
	s.apiPetitionText(w, r, http.StatusOK, may, func(id int64, body string) (any, error) {
		want, err := ifMatch(r)
		if err != nil {
			return nil, err
		}
		u, err := s.store.EditPetitionUpdate(r.Context(), currentAccount(r.Context()), id, uid, body, want)
		if err != nil {
			return nil, err
		}
		setETag(w, u.Version)
		return updateJSON(u), nil
	})
}

// apiEditPetitionResponse changes the official response, {"body"}: the
// addressee while they may still answer.
func (s *Server) apiEditPetitionResponse(w http.ResponseWriter, r *http.Request) {
	s.apiPetitionText(w, r, http.StatusOK, s.mayRespond(r), func(id int64, body string) (any, error) {
		want, err := ifMatch(r)
		if err != nil {
			return nil, err
		}
		p, err := s.store.EditPetitionResponse(r.Context(), currentAccount(r.Context()), id, body, want)
		if err != nil {
			return nil, err
		}
		setETag(w, p.ResponseVersion)
		return petitionJSON(p, s.store.Now()), nil
	})
}
