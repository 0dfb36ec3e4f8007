package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// The administration home: accounts (roles, decision-makers, disabling),
// registration mode and invitations, with links to the federation and
// moderation pages. Every change goes through models, which audits it.
func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount, s.requireAdmin)
			r.Get("/admin", s.adminHome)
			r.Post("/admin/users/{name}", s.adminUser)
			r.Post("/admin/registration", s.adminRegistration)
			r.Post("/admin/invites", s.adminInvite)
		})
	})
}

type adminView struct {
	Accounts     []*models.Account
	Registration string
	Modes        []string
	Roles        []string
	// InviteURL is the sign-up link of a just created invitation, absolute
	// since the administrator sends it by mail or chat ("" for none).
	InviteURL string
	Audit     []models.AuditEntry
}

func (s *Server) adminHome(w http.ResponseWriter, r *http.Request) {
	s.renderAdmin(w, r, "")
}

func (s *Server) renderAdmin(w http.ResponseWriter, r *http.Request, invite string) {
	ctx := r.Context()
	accs, err := s.store.ListAccounts(ctx)
	if err != nil {
		s.error(w, r, err)
		return
	}
	mode, err := s.store.Setting(ctx, models.SettingRegistration, models.RegistrationOpen)
	if err != nil {
		s.error(w, r, err)
		return
	}
	audit, err := s.store.AuditLog(ctx, 20)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := &adminView{Accounts: accs, Registration: mode, Audit: audit,
		Modes: []string{models.RegistrationOpen, models.RegistrationInvite, models.RegistrationClosed},
		Roles: []string{models.RoleMember, models.RoleModerator, models.RoleAdmin}}
	if invite != "" {
		v.InviteURL = s.opts.BaseURL + "/signup?invite=" + url.QueryEscape(invite)
	}
	s.render(w, r, http.StatusOK, adminPage(s.page(r, s.localeFor(r).T("admin.title")), v))
}

// adminUser applies one action to an account: role, decider mark,
// disable or enable (models refuses an admin's own role or state).
func (s *Server) adminUser(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	me, name, action := currentAccount(r.Context()), chi.URLParam(r, "name"), r.PostFormValue("action")
	var err error
	switch action {
	case "role":
		err = s.store.SetRole(r.Context(), me, name, r.PostFormValue("role"))
	case "decider", "undecider":
		err = s.store.SetDecider(r.Context(), me, name, action == "decider")
	case "disable", "enable":
		err = s.store.SetDisabled(r.Context(), me, name, action == "disable", r.PostFormValue("reason"))
	default:
		err = models.Invalid("action", "unknown action")
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/admin#users", "admin.saved")
}

func (s *Server) adminRegistration(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	err := s.store.SetSetting(r.Context(), currentAccount(r.Context()), models.SettingRegistration, r.PostFormValue("registration"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/admin#registration", "admin.saved")
}

// adminInvite creates an invitation code and shows it once, with the
// sign-up link to send.
func (s *Server) adminInvite(w http.ResponseWriter, r *http.Request) {
	code, err := s.store.CreateInvite(r.Context(), currentAccount(r.Context()))
	if errors.Is(err, models.ErrForbidden) || err != nil {
		s.error(w, r, err)
		return
	}
	s.renderAdmin(w, r, code)
}
