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
			r.Use(s.requireAccount, s.requireAdmin)
			r.Get("/admin/federation", s.adminFederation)
			r.Post("/admin/federation/blocks", s.adminBlockAdd)
			r.Post("/admin/federation/blocks/remove", s.adminBlockRemove)
			r.Post("/admin/federation/deliveries/{id}/retry", s.adminDeliveryRetry)
		})
	})
}

// requireAdmin answers 403 to signed-in non-admins.
func (s *Server) requireAdmin(next http.Handler) http.Handler {
	return s.requireRole(next, (*models.Account).IsAdmin)
}

// requireModerator is requireAdmin for moderators (and administrators).
func (s *Server) requireModerator(next http.Handler) http.Handler {
	return s.requireRole(next, (*models.Account).IsModerator)
}

// requireRole answers 403 unless the signed-in account passes has: the
// role check before a handler reads its input, so that a member learns
// nothing from validation errors. Models checks the role again.
func (s *Server) requireRole(next http.Handler, has func(*models.Account) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !has(currentAccount(r.Context())) {
			s.error(w, r, models.ErrForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type adminFederationView struct {
	Blocks []models.DomainBlock
	Dead   []models.Delivery
	// DeadBefore is the page's ?before= (0: the newest dead letters);
	// DeadNext, the cursor of the older ones ("" on the last page).
	DeadBefore int64
	DeadNext   string
	Hosts      []models.RemoteHost
	Counts     map[string]int
	Domain     string
	Reason     string
	Errors     map[string]string
}

// adminDeadPage is how many dead letters the page lists at once.
const adminDeadPage = 100

// adminFederation shows domain blocks, the delivery queue's state, a
// page of the dead letters (?before=, as the API's cursor) and the peers
// whose circuit is open.
func (s *Server) adminFederation(w http.ResponseWriter, r *http.Request) {
	before, err := idCursor(r.URL.Query().Get("before"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.renderAdminFederation(w, r, http.StatusOK, &adminFederationView{DeadBefore: before})
}

func (s *Server) renderAdminFederation(w http.ResponseWriter, r *http.Request, status int, v *adminFederationView) {
	ctx := r.Context()
	var err error
	if v.Blocks, err = s.store.DomainBlocks(ctx); err == nil {
		if v.Dead, err = s.store.DeadDeliveries(ctx, v.DeadBefore, adminDeadPage); err == nil {
			if v.Hosts, err = s.store.RemoteHosts(ctx); err == nil {
				v.Counts, err = s.store.DeliveryCounts(ctx)
			}
		}
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	if len(v.Dead) == adminDeadPage {
		v.DeadNext = strconv.FormatInt(v.Dead[len(v.Dead)-1].ID, 10)
	}
	s.render(w, r, status, adminFederationPage(s.page(r, s.localeFor(r).T("fedadmin.title")), v))
}

func (s *Server) adminBlockAdd(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.error(w, r, err)
		return
	}
	domain, reason := r.PostForm.Get("domain"), r.PostForm.Get("reason")
	if _, err := s.store.BlockDomain(r.Context(), currentAccount(r.Context()), domain, reason); err != nil {
		if ve, ok := err.(*models.ValidationError); ok {
			s.renderAdminFederation(w, r, http.StatusUnprocessableEntity, &adminFederationView{Domain: domain, Reason: reason, Errors: ve.Fields})
			return
		}
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/admin/federation", "fedadmin.blocked")
}

func (s *Server) adminBlockRemove(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.store.UnblockDomain(r.Context(), currentAccount(r.Context()), r.PostForm.Get("domain")); err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/admin/federation", "fedadmin.unblocked")
}

func (s *Server) adminDeliveryRetry(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		s.error(w, r, models.ErrNotFound)
		return
	}
	if err := s.store.RetryDeadDelivery(r.Context(), currentAccount(r.Context()), id); err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/admin/federation", "fedadmin.retried")
}
