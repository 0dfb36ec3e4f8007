package web

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			r.Get("/follow", s.followPage)
			r.Post("/follow", s.followSubmit)
			r.Post("/unfollow", s.unfollowSubmit)
		})
	})
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.With(s.requireAccount).Get("/follows", s.apiFollowing)
		r.With(s.requireAccount).Post("/follows", s.apiFollow)
		r.With(s.requireAccount).Delete("/follows", s.apiUnfollow)
		r.With(s.requireAccount).Get("/lookup", s.apiLookup)
	})
}

// apiFollowActor is an actor in the API.
type apiFollowActor struct {
	URI    string `json:"uri"`
	URL    string `json:"url"`
	Handle string `json:"handle"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Local  bool   `json:"local"`
}

func followActorJSON(a *models.Actor) apiFollowActor {
	return apiFollowActor{URI: a.URI, URL: a.URL, Handle: a.Handle(), Type: a.Type, Name: a.DisplayName(), Local: a.Local}
}

type apiFollowJSON struct {
	URI    string         `json:"uri"`
	State  string         `json:"state"`
	Target apiFollowActor `json:"target"`
}

type followView struct {
	Following []*models.Actor
	Pending   []*models.Actor
	Handle    string
	Errors    map[string]string
}

// followPage lists whom the user follows, with a box to follow a remote
// account or space by name@host or URL.
func (s *Server) followPage(w http.ResponseWriter, r *http.Request) {
	s.renderFollow(w, r, http.StatusOK, &followView{})
}

func (s *Server) renderFollow(w http.ResponseWriter, r *http.Request, status int, v *followView) {
	acc := currentAccount(r.Context())
	page, err := s.store.Following(r.Context(), acc.Actor.ID, 0, 100)
	if err != nil {
		s.error(w, r, err)
		return
	}
	pending, err := s.store.PendingFollowing(r.Context(), acc.Actor.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v.Following, v.Pending = page.Actors, pending
	s.render(w, r, status, followPage(s.page(r, s.localeFor(r).T("follow.title")), v))
}

func (s *Server) followSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	handle := r.PostForm.Get("handle")
	_, err := s.store.FollowHandle(r.Context(), currentAccount(r.Context()), handle)
	if err != nil {
		v := &followView{Handle: handle, Errors: map[string]string{"handle": "follow.not_found"}}
		if ve, ok := err.(*models.ValidationError); ok {
			v.Errors = ve.Fields
		} else if status, _ := statusOf(err); status >= 500 {
			s.error(w, r, err)
			return
		}
		s.renderFollow(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	redirect(w, r, "/follow", "follow.requested")
}

func (s *Server) unfollowSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	if err := s.store.UnfollowHandle(r.Context(), currentAccount(r.Context()), r.PostForm.Get("uri")); err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/follow", "follow.stopped")
}

// apiFollowing lists the accounts and spaces the user follows.
func (s *Server) apiFollowing(w http.ResponseWriter, r *http.Request) {
	acc := currentAccount(r.Context())
	page, err := s.store.Following(r.Context(), acc.Actor.ID, 0, 100)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := list[apiFollowActor]{Items: []apiFollowActor{}}
	for _, a := range page.Actors {
		out.Items = append(out.Items, followActorJSON(a))
	}
	writeJSON(w, http.StatusOK, out)
}

// apiFollow follows {"handle": "name@host" or URL}: 201 with the follow,
// "pending" until a remote peer accepts.
func (s *Server) apiFollow(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Handle string `json:"handle"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	acc := currentAccount(r.Context())
	f, err := s.store.FollowHandle(r.Context(), acc, in.Handle)
	if err != nil {
		s.error(w, r, err)
		return
	}
	target, err := s.store.ActorByID(r.Context(), f.FolloweeID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiFollowJSON{URI: f.URI, State: f.State, Target: followActorJSON(target)})
}

// apiUnfollow stops following ?handle= (name@host or URL): 204.
func (s *Server) apiUnfollow(w http.ResponseWriter, r *http.Request) {
	if err := s.store.UnfollowHandle(r.Context(), currentAccount(r.Context()), r.URL.Query().Get("handle")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiLookup resolves ?uri= (a handle or URL), fetching it from its
// instance when needed.
func (s *Server) apiLookup(w http.ResponseWriter, r *http.Request) {
	res, err := s.store.Lookup(r.Context(), r.URL.Query().Get("uri"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := map[string]any{"kind": res.Kind, "uri": res.URI}
	if res.ObjectID != 0 {
		out["id"] = strconv.FormatInt(res.ObjectID, 10) // the local copy of a proposal, debate or petition
	}
	if res.Actor != nil {
		out["actor"] = followActorJSON(res.Actor)
	}
	writeJSON(w, http.StatusOK, out)
}
