package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// A forgotten password: /password/forgot asks for a user name or an
// e-mail address and always answers the same (models.RequestPasswordReset
// and the queueing of the e-mail run after the answer, sendInBackground;
// the outbox worker sends it, RunMail); the e-mail's
// link opens /password/reset, which sets a new password. Both POSTs share
// the log-in's limit per client address (authRoutes).

// passwordForm is what the two pages show: the forgot page's name, or the
// reset page's account (its token stays in resetCookie), with their
// errors.
type passwordForm struct {
	Name           string // user name or e-mail, as typed
	Username       string // whose password the link resets
	MailConfigured bool
	Errors         map[string]string
}

func (v *passwordForm) setErrors(e map[string]string) { v.Errors = e }

func (s *Server) forgotPasswordForm(w http.ResponseWriter, r *http.Request) {
	v := &passwordForm{MailConfigured: s.opts.Mailer != nil}
	s.render(w, r, http.StatusOK, forgotPasswordPage(s.page(r, s.localeFor(r).T("password.forgot_title")), v))
}

// forgotPassword sends the reset link, if an account matches, after
// answering; the answer is the same whether one does: a redirect to the
// form saying a link is on its way if an account matches and has an
// address.
func (s *Server) forgotPassword(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	if s.opts.Mailer == nil {
		redirect(w, r, "/password/forgot", "")
		return
	}
	v := &passwordForm{Name: strings.TrimSpace(r.PostFormValue("name_or_email")), MailConfigured: true}
	if v.Name == "" {
		v.Errors = map[string]string{"name_or_email": "must not be empty"}
		s.render(w, r, http.StatusUnprocessableEntity, forgotPasswordPage(s.page(r, s.localeFor(r).T("password.forgot_title")), v))
		return
	}
	l := s.localeFor(r)
	s.sendInBackground(r.Context(), mailKindReset, func(ctx context.Context) error {
		site := s.store.InstanceName(ctx)
		// Each link and its e-mail are stored in one transaction; the
		// token is minted as the e-mail is sent (sendQueued).
		resets, err := s.store.RequestPasswordReset(ctx, v.Name, func(pr models.MailLink) models.Mail {
			ml := s.mailLocale(pr.Locale, l)
			link := s.opts.BaseURL + "/password/reset?token=" + models.LinkToken
			return models.Mail{Kind: mailKindReset, Subject: ml.T("mail.reset.subject", site), Body: ml.T("mail.reset.body", pr.Username, site, link)}
		})
		if err == nil && len(resets) > 0 {
			s.wakeMail()
		}
		return err
	})
	redirect(w, r, "/password/forgot", "password.forgot_sent")
}

// resetCookie carries a reset link's token from the e-mailed address
// (/password/reset?token=…) to the form, so that the token leaves the
// address bar at once: the page's own links (the language switch, log in)
// are built from its address, and an address ends up in the history and
// in Referers. Path keeps it to the reset page; it lives as long as a link
// (models.PasswordResetValidity). SameSite=Lax, not Strict: the link is
// opened from a mail client or a webmail, a navigation started by another
// site, and browsers withhold Strict cookies for the whole of such a
// navigation, our own redirect included, so the form would never see the
// token; Lax cookies go with top-level GETs and same-site POSTs, which is
// all the page needs, and a cross-site POST gets none (besides the
// cross-origin protection of every form).
const resetCookie = "odn_reset"

// resetHeaders keep the reset page out of every cache. The site's
// Referrer-Policy (same-origin) is enough once the token is out of the
// address; no-referrer made browsers send "Origin: null" with the form's
// POST, which the cross-origin protection refuses from browsers without
// Sec-Fetch-Site.
func resetHeaders(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
}

// setResetCookie keeps token (or forgets it, when "") for the reset page.
func (s *Server) setResetCookie(w http.ResponseWriter, token string) {
	s.setLinkCookie(w, resetCookie, "/password/reset", token, models.PasswordResetValidity)
}

// setLinkCookie keeps the token of an e-mailed link (or forgets it, when
// "") in the cookie name for the page at path, as long as the link is
// valid; see resetCookie for why a cookie, and why Lax.
func (s *Server) setLinkCookie(w http.ResponseWriter, name, path, token string, valid time.Duration) {
	age := int(valid.Seconds())
	if token == "" {
		age = -1
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: token, Path: path, MaxAge: age,
		HttpOnly: true, Secure: s.secureCk, SameSite: http.SameSiteLaxMode})
}

// resetToken is the token the reset page works with: its cookie's.
func resetToken(r *http.Request) string { return cookieValue(r, resetCookie) }

// cookieValue is the value of r's cookie name, "" without one.
func cookieValue(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

// resetPasswordForm shows the form of the link whose token the cookie
// holds; the e-mailed address, with the token in its query, only moves
// the token into the cookie and comes back without it.
func (s *Server) resetPasswordForm(w http.ResponseWriter, r *http.Request) {
	resetHeaders(w)
	if q := r.URL.Query(); q.Has("token") {
		s.setResetCookie(w, q.Get("token"))
		http.Redirect(w, r, "/password/reset", http.StatusSeeOther)
		return
	}
	v := &passwordForm{MailConfigured: s.opts.Mailer != nil}
	name, err := s.store.CheckPasswordReset(r.Context(), resetToken(r))
	if err != nil {
		s.resetLinkInvalid(w, r, err)
		return
	}
	v.Username = name
	s.render(w, r, http.StatusOK, resetPasswordPage(s.page(r, s.localeFor(r).T("password.reset_title")), v))
}

// resetPassword sets the new password (typed twice) of the link whose
// token the cookie holds, forgets the token and logs the member in (a
// fresh session, as after a change of password); every problem is told
// at once. Logging in here, rather than sending the member to the log-in
// form, is what keeps the e-mailed link a way in while a guesser keeps
// the name's log-ins throttled (models.MaxLoginFailures): the reset
// clears the count, but a guesser could throttle it again before the
// member logs in.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) {
	resetHeaders(w)
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	v := &passwordForm{MailConfigured: s.opts.Mailer != nil}
	token, next := resetToken(r), r.PostFormValue("new_password")
	var (
		acc *models.Account
		err error
	)
	if v.Username, err = s.store.CheckPasswordReset(r.Context(), token); err != nil {
		s.resetLinkInvalid(w, r, err)
		return
	}
	if next != r.PostFormValue("password_confirm") {
		mismatch := &models.ValidationError{}
		mismatch.Add("password_confirm", "signup.password_mismatch")
		err = mismatch.Join(models.CheckPassword("new_password", next))
	} else {
		acc, err = s.store.ResetPassword(r.Context(), token, next)
	}
	switch {
	case errors.Is(err, models.ErrResetLinkInvalid):
		s.resetLinkInvalid(w, r, err) // used or expired meanwhile
		return
	case err != nil:
		if takeFieldErrors(s, w, r, err, v) {
			s.render(w, r, http.StatusUnprocessableEntity, resetPasswordPage(s.page(r, s.localeFor(r).T("password.reset_title")), v))
		}
		return
	}
	s.setResetCookie(w, "")
	s.log.InfoContext(r.Context(), "password reset", "user", v.Username)
	s.startSession(w, r, acc, "/account", "password.reset_done")
}

// resetLinkInvalid answers a link that is unknown, expired or used (410,
// the three alike), with a link to ask for another, or err.
func (s *Server) resetLinkInvalid(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, models.ErrResetLinkInvalid) {
		s.error(w, r, err)
		return
	}
	s.setResetCookie(w, "")
	v := &passwordForm{MailConfigured: s.opts.Mailer != nil}
	s.render(w, r, http.StatusGone, resetLinkInvalidPage(s.page(r, s.localeFor(r).T("password.invalid_title")), v))
}
