package web

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// The moderation API: the report queue and the moderators' actions, the
// same models calls as the /moderation pages, for tools that moderate
// from outside the browser (as Mastodon's admin API does). Moderators
// only (models checks the finer rules: who may disable whom).
func init() {
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount, s.requireModerator)
			r.Get("/reports", s.apiReports)
			r.Post("/reports/{id}/dismiss", s.apiDismissReport)
			r.Post("/reports/{id}/forward", s.apiForwardReport)
			r.Post("/moderation/hide", s.apiModerationHide(true))
			r.Post("/moderation/restore", s.apiModerationHide(false))
			r.Post("/accounts/{name}/disable", s.apiAccountDisable(true))
			r.Post("/accounts/{name}/enable", s.apiAccountDisable(false))
		})
	})
}

// apiReportTarget is what a listed report names, as the queue shows it.
type apiReportTarget struct {
	Label    string `json:"label"`
	URL      string `json:"url,omitempty"`
	Hidden   bool   `json:"hidden"`
	Disabled bool   `json:"disabled"`
	Gone     bool   `json:"gone"`
}

// apiReportView is a report in the moderators' list.
type apiReportView struct {
	apiReportJSON
	Reason     string           `json:"reason"`
	Reporter   string           `json:"reporter,omitempty"`
	Resolution string           `json:"resolution,omitempty"`
	ResolvedAt *time.Time       `json:"resolved_at,omitempty"`
	Target     *apiReportTarget `json:"target,omitempty"`
	// ForwardRequested is the reporter's wish to forward the report to
	// the content's server (ForwardTo); ForwardedAt is when it was sent
	// there (to the outbox), ForwardedBy the moderator who did when the
	// reporter had not asked. ForwardStatus is what became of it
	// (models.ForwardQueued…), ForwardDeliveredAt when that server
	// answered, ForwardError why a failed one failed
	// (models.ForwardErrorBlocked…).
	ForwardRequested   bool       `json:"forward_requested"`
	ForwardTo          string     `json:"forward_to,omitempty"`
	ForwardedAt        *time.Time `json:"forwarded_at,omitempty"`
	ForwardedBy        string     `json:"forwarded_by,omitempty"`
	ForwardStatus      string     `json:"forward_status,omitempty"`
	ForwardDeliveredAt *time.Time `json:"forward_delivered_at,omitempty"`
	ForwardError       string     `json:"forward_error,omitempty"`
}

// apiReports lists reports newest first (?status=open|actioned|dismissed|all,
// open by default; ?cursor=&limit=); moderators only.
func (s *Server) apiReports(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	switch {
	case status == "":
		status = models.ReportOpen
	case status == "all":
		status = ""
	case !slices.Contains(reportStatuses, status):
		s.error(w, r, models.Invalid("status", "must be open, actioned, dismissed or all"))
		return
	}
	cursor, limit := pageParams(r)
	before, err := idCursor(cursor)
	if err != nil {
		s.error(w, r, err)
		return
	}
	reports, err := s.store.ListReports(r.Context(), currentAccount(r.Context()), models.ReportFilter{Status: status, Before: before, Limit: limit})
	if err != nil {
		s.error(w, r, err)
		return
	}
	page := list[apiReportView]{Items: make([]apiReportView, 0, len(reports))}
	for _, rep := range reports {
		v := apiReportView{
			apiReportJSON: apiReportJSON{ID: strconv.FormatInt(rep.ID, 10), ObjectType: rep.ObjectType,
				ObjectID: strconv.FormatInt(rep.ObjectID, 10), Status: rep.Status, CreatedAt: rep.CreatedAt},
			Reason: rep.Reason, Resolution: rep.Resolution, ResolvedAt: rep.ResolvedAt,
			ForwardRequested: rep.Forward, ForwardedAt: rep.ForwardedAt,
			ForwardStatus: rep.ForwardStatus, ForwardDeliveredAt: rep.ForwardDeliveredAt,
		}
		if rep.ForwardStatus == models.ForwardFailed {
			// A node of the previous version forwarding it again leaves
			// the last failure's reason behind.
			v.ForwardError = rep.ForwardError
		}
		if rep.Forwarder != nil {
			v.ForwardedBy = rep.Forwarder.Username
		}
		if rep.Reporter != nil && !rep.Reporter.Erased() { // a deleted account's name is no longer shown
			v.Reporter = rep.Reporter.Handle()
		}
		if t := rep.Target; t != nil {
			if t.Account != "" {
				v.ObjectID = t.Account // accounts are named by user name, as when reported
			}
			v.Target = &apiReportTarget{Label: t.Label, URL: t.URL, Hidden: t.Hidden, Disabled: t.Disabled, Gone: t.Gone}
			v.ForwardTo = t.Origin
		}
		page.Items = append(page.Items, v)
	}
	if len(reports) == limit {
		page.NextCursor = strconv.FormatInt(reports[len(reports)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, page)
}

// apiModerationInput names the object to hide or restore.
type apiModerationInput struct {
	ObjectType string `json:"object_type"`
	ObjectID   string `json:"object_id"`
	Reason     string `json:"reason"`
}

// apiDismissReport closes a report without action ({"note": …}).
func (s *Server) apiDismissReport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in struct {
		Note string `json:"note"`
	}
	if err := decodeOptionalJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.store.DismissReport(r.Context(), currentAccount(r.Context()), id, in.Note); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiForwardReport sends a report of another server's content on to that
// server, as a Flag from this instance without the reporter's name.
func (s *Server) apiForwardReport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in struct {
		Comment string `json:"comment"`
	}
	if r.ContentLength != 0 { // the body is optional
		if err := decodeJSON(w, r, &in); err != nil {
			s.error(w, r, err)
			return
		}
	}
	if err := s.store.ForwardReport(r.Context(), currentAccount(r.Context()), id, in.Comment); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiModerationHide hides or restores a proposal, debate, petition or
// comment ({"object_type", "object_id", "reason"}).
func (s *Server) apiModerationHide(hide bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in apiModerationInput
		if err := decodeJSON(w, r, &in); err != nil {
			s.error(w, r, err)
			return
		}
		id, err := strconv.ParseInt(in.ObjectID, 10, 64)
		if err != nil {
			s.error(w, r, models.Invalid("object_id", "Unknown object."))
			return
		}
		acc := currentAccount(r.Context())
		if hide {
			err = s.store.HideObject(r.Context(), acc, in.ObjectType, id, in.Reason)
		} else {
			err = s.store.RestoreObject(r.Context(), acc, in.ObjectType, id, in.Reason)
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// apiAccountDisable disables or re-enables a local account ({"reason": …});
// disabling closes the reports about it (models.Store.SetDisabled).
func (s *Server) apiAccountDisable(disable bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Reason string `json:"reason"`
		}
		if err := decodeOptionalJSON(w, r, &in); err != nil {
			s.error(w, r, err)
			return
		}
		err := s.store.SetDisabled(r.Context(), currentAccount(r.Context()), chi.URLParam(r, "name"), disable, in.Reason)
		if err != nil {
			s.error(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
