package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// The administrators' account roles, as on /admin (admin.go): what a
// member may do (member, moderator, admin) and whether they answer
// petitions as a decision-maker. Disabling is moderation_api.go's. As on
// the page, others get 403 before their input is read.
func init() {
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount, s.requireAdmin)
			r.Post("/accounts/{name}/role", s.apiSetRole)
			r.Post("/accounts/{name}/decider", s.apiSetDecider)
		})
	})
}

// apiSetRole is {"role": "member"|"moderator"|"admin"} (models.SetRole:
// administrators, not for themselves).
func (s *Server) apiSetRole(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Role string `json:"role"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.store.SetRole(r.Context(), currentAccount(r.Context()), chi.URLParam(r, "name"), in.Role); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiSetDecider is {"decider": true|false} (models.SetDecider:
// administrators): whether petitions may be addressed to the account.
func (s *Server) apiSetDecider(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Decider *bool `json:"decider"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if in.Decider == nil {
		s.error(w, r, models.Invalid("decider", "must be true or false"))
		return
	}
	if err := s.store.SetDecider(r.Context(), currentAccount(r.Context()), chi.URLParam(r, "name"), *in.Decider); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
