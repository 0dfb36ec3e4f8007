package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/httprate"

	"github.com/opendemocracynow/odn/models"
)

// Attempts allowed per client address (one count for all) at what checks
// a password or sends e-mail: log-in, sign-up, password reset, the
// account's settings (a new e-mail address: a password check, and a
// notice mailed) and password change, and the API's PATCH of the account
// when it carries an e-mail; past that the client gets 429 with
// Retry-After, which stops password guessing and bounds the argon2id
// work (and its memory) one client can cause. On PostgreSQL the count is
// shared by every node (ratelimit_shared.go); the wrong passwords per user
// name are counted too, in models (login_throttle.go).
const (
	authAttempts = 10
	authWindow   = time.Minute
)

// newAuthLimit is the server's authAttempts limiter (one per server, so
// that the forms and the API share its count), in memory; on PostgreSQL
// the count is kept in the database instead, shared by every node
// (ratelimit_shared.go), and this limiter is nil.
func (s *Server) newAuthLimit() *httprate.RateLimiter {
	if s.sharedLimits() {
		return nil
	}
	return httprate.NewRateLimiter(authAttempts, authWindow)
}

func (s *Server) authRoutes(r chi.Router) {
	limit := s.limitAuth
	r.Get("/login", s.loginForm)
	r.With(limit).Post("/login", s.login)
	r.Get("/signup", s.signupForm)
	r.With(limit).Post("/signup", s.signup)
	r.Post("/logout", s.logout)
	r.Get("/password/forgot", s.forgotPasswordForm)
	r.With(limit).Post("/password/forgot", s.forgotPassword)
	r.Get("/password/reset", s.resetPasswordForm)
	r.With(limit).Post("/password/reset", s.resetPassword)
	r.Get("/email/confirm", s.confirmEmailForm)
	r.With(limit).Post("/email/confirm", s.confirmEmail)
	r.Group(func(r chi.Router) {
		r.Use(s.requireAccount)
		r.Get("/account", s.accountPage)
		r.Post("/account/profile", s.editProfile)
		r.With(limit).Post("/account/settings", s.editSettings)
		r.With(limit).Post("/account/email/resend", s.resendEmailConfirmation)
		r.Post("/account/email/cancel", s.cancelEmailChange)
		r.With(limit).Post("/account/password", s.changePassword)
		r.Post("/account/delete", s.deleteAccount)
	})
}

type authForm struct {
	Username, Email, Next, Invite, Mode string
	Errors                              map[string]string
	Message                             string // translated
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	f := &authForm{Next: localPath(r.URL.Query().Get("next"))}
	s.render(w, r, http.StatusOK, loginPage(s.page(r, s.localeFor(r).T("login.title")), f))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	f := &authForm{Username: r.PostFormValue("username"), Next: localPath(r.PostFormValue("next"))}
	acc, err := s.store.Authenticate(r.Context(), f.Username, r.PostFormValue("password"))
	var throttled *models.ThrottledError
	switch {
	case errors.Is(err, models.ErrBadCredentials):
		f.Message = s.localeFor(r).T("login.failed")
		s.render(w, r, http.StatusUnauthorized, loginPage(s.page(r, s.localeFor(r).T("login.title")), f))
		return
	case errors.As(err, &throttled):
		setRetryAfter(w, throttled.RetryAfter)
		f.Message = s.localeFor(r).N("login.throttled", throttled.Minutes())
		s.render(w, r, http.StatusTooManyRequests, loginPage(s.page(r, s.localeFor(r).T("login.title")), f))
		return
	case err != nil:
		s.error(w, r, err)
		return
	}
	s.startSession(w, r, acc, f.Next, "")
}

// startSession always issues a fresh session id at log-in, so a session
// fixed by an attacker before log-in is worthless; then it goes to next,
// showing the message flash (a catalog key, "" for none).
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, acc *models.Account, next, flash string) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.store.DeleteSession(r.Context(), c.Value) //nolint:errcheck // replaced below
	}
	secret, err := s.store.CreateSession(r.Context(), acc, r.UserAgent())
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.setSessionCookie(w, secret)
	redirect(w, r, next, flash)
}

func (s *Server) signupForm(w http.ResponseWriter, r *http.Request) {
	mode, err := s.store.Setting(r.Context(), models.SettingRegistration, models.RegistrationOpen)
	if err != nil {
		s.error(w, r, err)
		return
	}
	status := http.StatusOK
	if mode == models.RegistrationClosed {
		status = http.StatusForbidden
	}
	// next is the page that sent the visitor to log in or sign up (the
	// petition they wanted to sign…), where the new account lands.
	f := &authForm{Mode: mode, Invite: r.URL.Query().Get("invite"), Next: localPath(r.URL.Query().Get("next"))}
	s.render(w, r, status, signupPage(s.page(r, s.localeFor(r).T("signup.title")), f))
}

func (s *Server) signup(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	mode, err := s.store.Setting(r.Context(), models.SettingRegistration, models.RegistrationOpen)
	if err != nil {
		s.error(w, r, err)
		return
	}
	f := &authForm{Username: r.PostFormValue("username"), Email: r.PostFormValue("email"), Invite: r.PostFormValue("invite"), Mode: mode,
		Next: localPath(r.PostFormValue("next"))}
	n := models.NewAccount{Username: f.Username, Email: f.Email, Password: r.PostFormValue("password"), Locale: s.localeFor(r).Lang}
	var acc *models.Account
	if r.PostFormValue("password") != r.PostFormValue("password_confirm") {
		// The other fields' problems are shown with this one, not at the next try.
		mismatch := &models.ValidationError{}
		mismatch.Add("password_confirm", "signup.password_mismatch")
		err = mismatch.Join(s.store.CheckSignUp(r.Context(), n, f.Invite))
	} else {
		acc, err = s.store.SignUp(r.Context(), n, f.Invite)
	}
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		f.Errors = ve.Fields
		s.render(w, r, http.StatusUnprocessableEntity, signupPage(s.page(r, s.localeFor(r).T("signup.title")), f))
		return
	case err != nil:
		s.error(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "account created", "user", acc.Username)
	welcome := "signup.welcome"
	if acc.PendingEmail != "" {
		// The address waits for its link; without a mailer, for an
		// administrator (the account page says so).
		welcome = "signup.welcome_confirm"
		if s.opts.Mailer == nil {
			welcome = "signup.welcome_unconfirmed"
		}
		s.sendEmailConfirmation(r, acc.ID)
	}
	s.startSession(w, r, acc, f.Next, welcome)
}

// withoutFlash is the local path p without its ?flash= message, which
// told what the request that led there did: a link elsewhere that comes
// back to p (log in, switch language) must not say it again.
func withoutFlash(p string) string {
	u, err := url.Parse(p)
	if err != nil {
		return p
	}
	q := u.Query()
	if !q.Has("flash") {
		return p
	}
	q.Del("flash")
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// authURL is the log-in or sign-up form (form: "/login", "/signup") that
// comes back to the page next once the visitor is in: the page they were
// reading, without its one-time ?flash= message; the home page and the
// two forms themselves need no next.
func authURL(form, next string) string {
	next = withoutFlash(next)
	if next == "" || next == "/" || next == "/login" || next == "/signup" ||
		strings.HasPrefix(next, "/login?") || strings.HasPrefix(next, "/signup?") {
		return form
	}
	return form + "?next=" + qs(next)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.store.DeleteSession(r.Context(), c.Value); err != nil {
			s.error(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w)
	redirect(w, r, "/", "logout.done")
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	s.showAccountPage(w, r, http.StatusOK, newAccountView(currentAccount(r.Context())))
}

// changePassword sets a new password. Every other session ends and every
// API token is revoked (as GitHub or Google do): whoever knew the old
// password, or stole a cookie or token, is out.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	acc := currentAccount(r.Context())
	err := s.store.ChangePassword(r.Context(), acc, r.PostFormValue("current_password"), r.PostFormValue("new_password"))
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		v := newAccountView(acc)
		v.Errors = ve.Fields
		s.showAccountPage(w, r, http.StatusUnprocessableEntity, v)
		return
	} else if err != nil {
		s.error(w, r, err)
		return
	}
	// ChangePassword ended every session, this one too: a fresh session
	// keeps the user signed in here, under an id nobody else may hold.
	s.startSession(w, r, acc, "/account", "account.password_changed")
}

// deleteAccount erases the signed-in account after the user confirms by
// typing their user name (GDPR right to erasure).
func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	acc := currentAccount(r.Context())
	if r.PostFormValue("confirm") != acc.Username {
		v := newAccountView(acc)
		v.Errors = map[string]string{"confirm": "account.delete_confirm_mismatch"}
		s.showAccountPage(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if err := s.store.DeleteAccount(r.Context(), acc); err != nil {
		s.error(w, r, err)
		return
	}
	s.clearSessionCookie(w)
	redirect(w, r, "/", "account.deleted")
}
