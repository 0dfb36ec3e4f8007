package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
)

// The administrators' dead letters, as on /admin/federation
// (admin_federation.go): list the deliveries that gave up, and put one
// back in the queue. Others get 403 before anything is read.
func init() {
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount, s.requireAdmin)
			r.Get("/deliveries/dead", s.apiDeadDeliveries)
			r.Post("/deliveries/{id}/retry", s.apiRetryDelivery)
		})
	})
}

// apiDeliveryJSON is a delivery job: an activity sent to a remote inbox.
type apiDeliveryJSON struct {
	ID         string    `json:"id"`
	ActivityID string    `json:"activity_id"`
	Inbox      string    `json:"inbox"`
	Host       string    `json:"host"`
	State      string    `json:"state"`
	Attempts   int       `json:"attempts"`
	LastStatus int       `json:"last_status"`
	LastError  string    `json:"last_error"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// apiDeadDeliveries answers GET /api/v1/deliveries/dead: a page of the
// dead letters (?cursor=, ?limit=), newest first, as the page lists them.
func (s *Server) apiDeadDeliveries(w http.ResponseWriter, r *http.Request) {
	cursor, limit := pageParams(r)
	before, err := idCursor(cursor)
	if err != nil {
		s.error(w, r, err)
		return
	}
	dead, err := s.store.DeadDeliveries(r.Context(), before, limit)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := list[apiDeliveryJSON]{Items: []apiDeliveryJSON{}}
	for _, d := range dead {
		out.Items = append(out.Items, apiDeliveryJSON{ID: strconv.FormatInt(d.ID, 10), ActivityID: d.ActivityID, Inbox: d.Inbox, Host: d.Host,
			State: d.State, Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt})
	}
	if len(dead) == limit {
		out.NextCursor = strconv.FormatInt(dead[len(dead)-1].ID, 10)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// apiRetryDelivery answers POST /api/v1/deliveries/{id}/retry: the dead
// letter is queued again (models.RetryDeadDelivery; 404 for a delivery
// that is not dead).
func (s *Server) apiRetryDelivery(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = s.store.RetryDeadDelivery(r.Context(), currentAccount(r.Context()), id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
