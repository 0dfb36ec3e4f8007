package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			r.Get("/report", s.reportForm)
			r.Post("/report", s.reportCreate)
			r.Get("/moderation", s.moderationQueue)
			r.Get("/moderation/audit", s.moderationAudit)
			r.Group(func(r chi.Router) {
				// Moderators' forms: the role before the form is read
				// (models checks it again).
				r.Use(s.requireModerator)
				r.Post("/moderation/reports/{id}/dismiss", s.reportDismiss)
				r.Post("/moderation/reports/{id}/forward", s.reportForward)
				r.Post("/moderation/hide", s.moderationHide(true))
				r.Post("/moderation/restore", s.moderationHide(false))
				r.Post("/moderation/accounts/{name}/disable", s.moderationDisable(true))
				r.Post("/moderation/accounts/{name}/enable", s.moderationDisable(false))
			})
		})
	})
}

// reportFormView is the report form's data.
type reportFormView struct {
	Input  models.ReportInput
	Back   string
	Origin string // the server a report may be forwarded to; "" for local content
	Errors map[string]string
}

func (s *Server) reportForm(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
	typ := r.URL.Query().Get("type")
	back, err := s.store.ReportedURL(r.Context(), typ, id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	f := &reportFormView{Input: models.ReportInput{ObjectType: typ, ObjectID: id}, Back: back}
	if f.Origin, err = s.store.ReportOrigin(r.Context(), typ, id); err != nil {
		s.error(w, r, err)
		return
	}
	s.renderReportForm(w, r, http.StatusOK, f)
}

func (s *Server) renderReportForm(w http.ResponseWriter, r *http.Request, status int, f *reportFormView) {
	s.render(w, r, status, moderationReportPage(s.page(r, s.localeFor(r).T("moderation.report_title")), f))
}

func (s *Server) reportCreate(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	f := &reportFormView{Input: models.ReportInput{ObjectType: r.PostFormValue("type"), Reason: r.PostFormValue("reason"),
		Forward: r.PostFormValue("forward") != ""}}
	f.Input.ObjectID, _ = strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	flash := "moderation.reported"
	_, err := s.store.CreateReport(r.Context(), currentAccount(r.Context()).Actor, f.Input)
	if errors.Is(err, models.ErrDuplicate) {
		flash, err = "moderation.already_reported", nil // the moderators have it
	}
	if err != nil {
		var ve *models.ValidationError
		if errors.As(err, &ve) {
			f.Errors = ve.Fields
			f.Back, _ = s.store.ReportedURL(r.Context(), f.Input.ObjectType, f.Input.ObjectID)
			f.Origin, _ = s.store.ReportOrigin(r.Context(), f.Input.ObjectType, f.Input.ObjectID)
			s.renderReportForm(w, r, http.StatusUnprocessableEntity, f)
			return
		}
		s.error(w, r, err)
		return
	}
	back := s.opts.BaseURL + "/"
	if u, err := s.store.ReportedURL(r.Context(), f.Input.ObjectType, f.Input.ObjectID); err == nil && isLocalURL(s.opts.BaseURL, u) {
		back = u
	}
	redirect(w, r, back[len(s.opts.BaseURL):], flash)
}

// isLocalURL reports whether u is on this instance.
func isLocalURL(base, u string) bool {
	return len(u) > len(base) && u[:len(base)] == base && u[len(base)] == '/'
}

// reportStatuses are the queue's tabs.
var reportStatuses = []string{models.ReportOpen, models.ReportActioned, models.ReportDismissed}

func (s *Server) moderationQueue(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = models.ReportOpen
	} else if status == "all" {
		status = ""
	}
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	list, err := s.store.ListReports(r.Context(), currentAccount(r.Context()), models.ReportFilter{Status: status, Before: before, Limit: 50})
	if err != nil {
		s.error(w, r, err)
		return
	}
	var next int64
	if len(list) == 50 {
		next = list[len(list)-1].ID
	}
	v := &moderationView{Reports: list, Status: status, Statuses: reportStatuses, Next: next}
	s.render(w, r, http.StatusOK, moderationPage(s.page(r, s.localeFor(r).T("moderation.title")), v))
}

func (s *Server) moderationAudit(w http.ResponseWriter, r *http.Request) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	list, err := s.store.AuditPage(r.Context(), currentAccount(r.Context()), before, 100)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var next int64
	if len(list) == 100 {
		next = list[len(list)-1].ID
	}
	v := &moderationAuditView{Entries: list, Next: next}
	s.render(w, r, http.StatusOK, moderationAuditPage(s.page(r, s.localeFor(r).T("moderation.audit")), v))
}

func (s *Server) reportDismiss(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.store.DismissReport(r.Context(), currentAccount(r.Context()), id, r.PostFormValue("note")); err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/moderation", "moderation.dismissed")
}

// reportForward sends a report on to its content's server, then goes
// back to the queue's tab the moderator came from.
func (s *Server) reportForward(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.store.ForwardReport(r.Context(), currentAccount(r.Context()), id, r.PostFormValue("comment")); err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/moderation?status="+qs(r.PostFormValue("status")), "moderation.forwarded_done")
}

// moderationHide hides or restores an object, then goes back to the
// page the moderator came from.
func (s *Server) moderationHide(hide bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			s.badForm(w, r, err)
			return
		}
		typ, reason := r.PostFormValue("type"), r.PostFormValue("reason")
		id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
		acc := currentAccount(r.Context())
		var err error
		flash := "moderation.restored"
		if hide {
			err, flash = s.store.HideObject(r.Context(), acc, typ, id, reason), "moderation.hidden_done"
		} else {
			err = s.store.RestoreObject(r.Context(), acc, typ, id, reason)
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		back := r.PostFormValue("back")
		if back == "" {
			back = "/moderation"
		}
		redirect(w, r, back, flash)
	}
}

// moderationDisable disables or re-enables a reported account from the
// queue; disabling closes its open reports (models.Store.SetDisabled).
func (s *Server) moderationDisable(disable bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r); err != nil {
			s.badForm(w, r, err)
			return
		}
		err := s.store.SetDisabled(r.Context(), currentAccount(r.Context()), chi.URLParam(r, "name"), disable, r.PostFormValue("reason"))
		if err != nil {
			s.error(w, r, err)
			return
		}
		flash := "moderation.enabled_done"
		if disable {
			flash = "moderation.disabled_done"
		}
		redirect(w, r, "/moderation?status="+qs(r.PostFormValue("status")), flash)
	}
}
