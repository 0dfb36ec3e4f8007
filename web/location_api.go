package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// A contribution's place on its consultation's map, as on the map page
// (consultation_map.go's consultationLocate): its author, or a
// moderator, places an attached proposal, debate or petition, or takes
// it off the map (models.LocateContribution).
func init() {
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		// One route per kind, as comments: chi prefers static segments.
		for kind, typ := range commentKinds {
			r.With(s.requireAccount).Post("/"+kind+"/{id}/location", s.apiLocate(typ))
			r.With(s.requireAccount).Delete("/"+kind+"/{id}/location", s.apiUnlocate(typ))
		}
	})
}

// apiLocationIn is a point: both coordinates, in decimal degrees.
type apiLocationIn struct {
	Lat *float64 `json:"lat"`
	Lon *float64 `json:"lon"`
}

// apiLocate answers POST /api/v1/{kind}/{id}/location with {"lat",
// "lon"}: the contribution is placed there (replacing its former place).
func (s *Server) apiLocate(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err == nil {
			// Who first: a member who may not place it learns nothing of
			// the input (nor whether it may be placed).
			err = s.store.MayLocateContribution(r.Context(), currentAccount(r.Context()), typ, id)
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		var in apiLocationIn
		if err := decodeJSON(w, r, &in); err != nil {
			s.error(w, r, err)
			return
		}
		ve := &models.ValidationError{}
		if in.Lat == nil {
			ve.Add("lat", "is required")
		}
		if in.Lon == nil {
			ve.Add("lon", "is required")
		}
		if err := ve.Err(); err != nil {
			s.error(w, r, err)
			return
		}
		s.locate(w, r, typ, id, in.Lat, in.Lon)
	}
}

// apiUnlocate answers DELETE /api/v1/{kind}/{id}/location: the
// contribution is no longer on the map (nothing changes if it was not).
func (s *Server) apiUnlocate(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			s.error(w, r, err)
			return
		}
		s.locate(w, r, typ, id, nil, nil)
	}
}

func (s *Server) locate(w http.ResponseWriter, r *http.Request, typ string, id int64, lat, lon *float64) {
	if err := s.store.LocateContribution(r.Context(), currentAccount(r.Context()), typ, id, lat, lon); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
