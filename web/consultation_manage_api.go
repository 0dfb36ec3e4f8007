package web

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// The moderators' management of consultations, as on their pages
// (consultation.go, consultation_manage.go, news.go): edit and withdraw a
// consultation, add and remove its themes, remove a workshop contribution
// recorded by mistake, edit and withdraw a news item. Moderators only: others get
// 403 before their body is read (models checks the role again).
func init() {
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount, s.requireModerator)
			r.Patch("/consultations/{id}", s.apiUpdateConsultation)
			r.Delete("/consultations/{id}", s.apiDeleteConsultation)
			r.Post("/consultations/{id}/themes", s.apiAddTheme)
			r.Delete("/consultations/{id}/themes/{theme}", s.apiDeleteTheme)
			r.Delete("/workshop-contributions/{id}", s.apiDeleteWorkshop)
			r.Delete("/news/{id}", s.apiDeleteNews)
			r.Patch("/news/{id}", s.apiUpdateNews)
		})
	})
}

// apiUpdateConsultation is the moderators' edit (the page's
// /consultations/{id}/edit): the fields sent replace the consultation's,
// the others stay; phases, when sent, give all its dates again (as at
// creation), and a null banner_id removes its banner.
func (s *Server) apiUpdateConsultation(w http.ResponseWriter, r *http.Request) {
	want, err := ifMatch(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	raw, err := readJSON(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	id := c.ID
	err = remerge(want, c.Version, func() (int64, error) {
		var err error
		if c, err = s.store.ConsultationByID(r.Context(), id); err != nil {
			return 0, err
		}
		return c.Version, nil
	}, func(ifVersion int64) error {
		body := apiConsultationIn{Title: c.Title, Summary: c.Summary, Body: c.Body, Map: c.MapEnabled, BannerID: c.BannerID, BannerAlt: c.BannerAlt}
		if err := decodeJSONBytes(raw, &body); err != nil {
			return err
		}
		in := models.ConsultationInput{Title: body.Title, Summary: body.Summary, Body: body.Body, MapEnabled: body.Map, BannerID: body.BannerID,
			BannerAlt: body.BannerAlt, OpensAt: c.OpensAt, ContributionAt: c.ContributionAt, SynthesisAt: c.SynthesisAt, ClosesAt: c.ClosesAt,
			IfVersion: ifVersion}
		if body.Phases != nil {
			if err := in.PhasesToInput(body.Phases); err != nil {
				return err
			}
		}
		updated, err := s.store.UpdateConsultation(r.Context(), currentAccount(r.Context()), id, in)
		if err == nil {
			c = updated
		}
		return err
	})
	if err != nil {
		s.error(w, r, err)
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

// apiDeleteConsultation withdraws a consultation (moderators; the page's
// /consultations/{id}/delete): what was attached to it stays, read-only.
func (s *Server) apiDeleteConsultation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.store.DeleteConsultation(r.Context(), currentAccount(r.Context()), id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiAddTheme adds a theme to the consultation (the page's
// /consultations/{id}/themes); its id is what contributions name.
func (s *Server) apiAddTheme(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in models.ThemeInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	t, err := s.store.AddTheme(r.Context(), currentAccount(r.Context()), id, in)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiThemeJSON{ID: strconv.FormatInt(t.ID, 10), Name: t.Name, Description: t.Description, Position: t.Position})
}

// apiDeleteTheme removes a theme of the consultation (the page's
// /consultations/{id}/themes/{theme}/delete): what was filed under it
// becomes unthemed. A theme of another consultation is not found there.
func (s *Server) apiDeleteTheme(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r) // a withdrawn one's themes stay, as the rest
	if !ok {
		return
	}
	themeID, err := strconv.ParseInt(chi.URLParam(r, "theme"), 10, 64)
	if err != nil {
		s.error(w, r, models.ErrNotFound)
		return
	}
	t, err := s.store.ThemeByID(r.Context(), themeID)
	if err == nil && t.ConsultationID != c.ID {
		err = models.ErrNotFound
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.store.DeleteTheme(r.Context(), currentAccount(r.Context()), t.ID); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiDeleteWorkshop removes a workshop contribution recorded by mistake
// (the page's /w/{id}/delete).
func (s *Server) apiDeleteWorkshop(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.store.DeleteWorkshopContribution(r.Context(), currentAccount(r.Context()), id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiDeleteNews withdraws a news post (moderators; the page's
// /news/{id}/delete); its id answers 410 to peers from then on.
func (s *Server) apiDeleteNews(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.store.DeleteNews(r.Context(), currentAccount(r.Context()), id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiUpdateNews edits a news post (moderators; the page's
// /news/{id}/edit): the fields sent, title and body, replace the post's,
// the others stay; its consultation does not change (an unknown field is
// refused). Followers of the space get the Article's Update.
func (s *Server) apiUpdateNews(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	want, err := ifMatch(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	n, err := s.store.NewsByID(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	body, err := readJSON(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	err = remerge(want, n.Version, func() (int64, error) {
		var err error
		if n, err = s.store.NewsByID(r.Context(), id); err != nil {
			return 0, err
		}
		return n.Version, nil
	}, func(ifVersion int64) error {
		in := struct {
			Title string `json:"title"`
			Body  string `json:"body"`
		}{Title: n.Title, Body: n.Body}
		if err := decodeJSONBytes(body, &in); err != nil {
			return err
		}
		updated, err := s.store.UpdateNews(r.Context(), currentAccount(r.Context()), id, models.NewsInput{Title: in.Title, Body: in.Body, IfVersion: ifVersion})
		if err == nil {
			n = updated
		}
		return err
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	sp, err := s.store.SpaceByID(r.Context(), n.SpaceID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	setETag(w, n.Version)
	writeJSON(w, http.StatusOK, s.newsJSON(n, sp.Name))
}
