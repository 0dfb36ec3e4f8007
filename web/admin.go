package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
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
	// InviteRequest is the token of the invitation form: the same form
	// sent again issues no second invitation (inviteKey).
	InviteRequest string
	Audit         []models.AuditEntry
	// Mail is the mail outbox's state; nil when the instance sends no
	// e-mail.
	Mail *adminMail
}

// adminMail counts the e-mails of the mail outbox (models.MailCounts).
type adminMail struct{ Waiting, Retrying int }

func (s *Server) adminHome(w http.ResponseWriter, r *http.Request) {
	code := ""
	if token := r.URL.Query().Get("invite"); validInviteToken(token) {
		if key := inviteKey(r, token); key != "" {
			code, _ = s.store.InviteFor(r.Context(), currentAccount(r.Context()), key) // none: nothing shown
		}
	}
	s.renderAdmin(w, r, code)
}

// inviteKey is the request key (models.CreateInviteFor) of the invitation
// form's token for this browser: an HMAC of the token under the session's
// secret, which only the browser and the server know, so that the token,
// seen in a URL, tells nothing of the code. "" without a session cookie.
func inviteKey(r *http.Request, token string) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(c.Value))
	m.Write([]byte(token)) //nolint:errcheck // a hash never fails
	return hex.EncodeToString(m.Sum(nil))
}

// validInviteToken reports whether token may be an invitation form's
// token (rand.Text: 26 characters of base32).
func validInviteToken(token string) bool {
	if len(token) < 16 || len(token) > 64 {
		return false
	}
	for _, c := range token {
		if (c < 'A' || c > 'Z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
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
		Roles: []string{models.RoleMember, models.RoleModerator, models.RoleAdmin}, InviteRequest: rand.Text()}
	if s.opts.Mailer != nil {
		v.Mail = &adminMail{}
		if v.Mail.Waiting, v.Mail.Retrying, err = s.store.MailCounts(ctx); err != nil {
			s.error(w, r, err)
			return
		}
	}
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

// adminInvite creates the invitation of the form's token, then goes back
// to the administration page (post/redirect/get), which shows the
// sign-up link to send: a reload shows it again rather than posting
// again, and the same form sent twice (back, then send; a double click)
// finds the invitation it created instead of issuing a second one.
func (s *Server) adminInvite(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	token := r.PostFormValue("request")
	if !validInviteToken(token) {
		token = rand.Text() // a form without its token: this request's own
	}
	key := inviteKey(r, token)
	if key == "" { // no session cookie to derive the key from: shown once, here
		code, err := s.store.CreateInvite(r.Context(), currentAccount(r.Context()))
		if err != nil {
			s.error(w, r, err)
			return
		}
		s.renderAdmin(w, r, code)
		return
	}
	_, again, err := s.store.CreateInviteFor(r.Context(), currentAccount(r.Context()), key)
	if err != nil {
		s.error(w, r, err)
		return
	}
	flash := "" // the page says it was created, beside the link
	if again {
		flash = "admin.invite_again"
	}
	redirect(w, r, "/admin?invite="+token+"#registration", flash)
}
