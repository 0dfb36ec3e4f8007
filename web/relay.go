package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// Relays: a moderator relays a debate (or proposal, petition) of another
// instance into one of this instance's spaces, which announces it to its
// followers; members then take part here and their participation goes to
// the origin (a shared consultation between towns).
func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			r.Get("/relays/new", s.relayPage)
			// Moderators' form: the role before the form is read (models
			// checks it again).
			r.With(s.requireModerator).Post("/relays", s.relaySubmit)
		})
	})
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.Get("/spaces/{name}/relays", s.apiRelays)
		r.With(s.requireAccount, s.requireModerator).Post("/spaces/{name}/relays", s.apiRelay)
	})
}

// apiRelayJSON is a relay in the API.
type apiRelayJSON struct {
	Kind      string    `json:"kind"`
	ID        string    `json:"id"`
	URI       string    `json:"uri"`
	Space     string    `json:"space"`
	CreatedAt time.Time `json:"created_at"`
}

func relayJSON(rl *models.Relay, space string) apiRelayJSON {
	return apiRelayJSON{Kind: rl.ObjectType, ID: strconv.FormatInt(rl.ObjectID, 10), URI: rl.ObjectURI, Space: space, CreatedAt: rl.CreatedAt}
}

// apiRelay relays {"uri"} into the space (moderators): 201 with the relay.
func (s *Server) apiRelay(w http.ResponseWriter, r *http.Request) {
	var in struct {
		URI string `json:"uri"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	name := chi.URLParam(r, "name")
	rl, err := s.store.RelayObject(r.Context(), currentAccount(r.Context()), name, in.URI)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, relayJSON(rl, name))
}

// apiRelays lists what a space relays.
func (s *Server) apiRelays(w http.ResponseWriter, r *http.Request) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	rls, err := s.store.Relays(r.Context(), sp.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := list[apiRelayJSON]{Items: []apiRelayJSON{}}
	for i := range rls {
		out.Items = append(out.Items, relayJSON(&rls[i], sp.Name))
	}
	writeJSON(w, http.StatusOK, out)
}

type relayView struct {
	URI    string
	Space  string
	Spaces []*models.Space
	Errors map[string]string
}

func (v *relayView) setErrors(e map[string]string) { v.Errors = e }

// relayPage asks a moderator which space relays ?uri=.
func (s *Server) relayPage(w http.ResponseWriter, r *http.Request) {
	s.renderRelay(w, r, http.StatusOK, &relayView{URI: r.URL.Query().Get("uri")})
}

func (s *Server) renderRelay(w http.ResponseWriter, r *http.Request, status int, v *relayView) {
	if !currentAccount(r.Context()).IsModerator() {
		s.error(w, r, models.ErrForbidden)
		return
	}
	spaces, err := s.store.ListSpaces(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	v.Spaces = spaces
	s.render(w, r, status, relayFormPage(s.page(r, s.localeFor(r).T("relay.title")), v))
}

func (s *Server) relaySubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	v := &relayView{URI: r.PostForm.Get("uri"), Space: r.PostForm.Get("space")}
	if _, err := s.store.RelayObject(r.Context(), currentAccount(r.Context()), v.Space, v.URI); err != nil {
		if ve, ok := err.(*models.ValidationError); ok {
			v.Errors = ve.Fields
			s.renderRelay(w, r, http.StatusUnprocessableEntity, v)
			return
		}
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/s/"+v.Space, "relay.done")
}
