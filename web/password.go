package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/opendemocracynow/odn/models"
)

// A forgotten password: /password/forgot asks for a user name or an
// e-mail address and always answers the same (models.RequestPasswordReset
// and the sending run after the answer, sendInBackground); the e-mail's
// link opens /password/reset, which sets a new password. Both POSTs share
// the log-in's limit per client address (authRoutes).

// passwordForm is what the two pages show: the forgot page's name, or the
// reset page's token and account, with their errors.
type passwordForm struct {
	Name           string // user name or e-mail, as typed
	Token          string
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
	s.sendInBackground(r.Context(), "password reset", func(ctx context.Context) error {
		resets, err := s.store.RequestPasswordReset(ctx, v.Name)
		if err != nil {
			return err
		}
		var errs []error
		for _, pr := range resets {
			ml := s.mailLocale(pr.Locale, l)
			link := s.opts.BaseURL + "/password/reset?token=" + url.QueryEscape(pr.Token)
			errs = append(errs, s.opts.Mailer.SendMail(ctx, pr.Email, ml.T("mail.reset.subject", s.store.InstanceName(ctx)),
				ml.T("mail.reset.body", pr.Username, s.store.InstanceName(ctx), link)))
		}
		return errors.Join(errs...)
	})
	redirect(w, r, "/password/forgot", "password.forgot_sent")
}

// resetHeaders keep the reset link's token to this page: no Referer
// carries it to another (the page's own links included), no cache keeps
// the page.
func resetHeaders(w http.ResponseWriter) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
}

func (s *Server) resetPasswordForm(w http.ResponseWriter, r *http.Request) {
	resetHeaders(w)
	v := &passwordForm{Token: r.URL.Query().Get("token"), MailConfigured: s.opts.Mailer != nil}
	name, err := s.store.CheckPasswordReset(r.Context(), v.Token)
	if err != nil {
		s.resetLinkInvalid(w, r, err)
		return
	}
	v.Username = name
	s.render(w, r, http.StatusOK, resetPasswordPage(s.page(r, s.localeFor(r).T("password.reset_title")), v))
}

// resetPassword sets the new password (typed twice) and sends the member
// to log in with it; every problem is told at once.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) {
	resetHeaders(w)
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	v := &passwordForm{Token: r.PostFormValue("token"), MailConfigured: s.opts.Mailer != nil}
	next := r.PostFormValue("new_password")
	var err error
	if v.Username, err = s.store.CheckPasswordReset(r.Context(), v.Token); err != nil {
		s.resetLinkInvalid(w, r, err)
		return
	}
	if next != r.PostFormValue("password_confirm") {
		mismatch := &models.ValidationError{}
		mismatch.Add("password_confirm", "signup.password_mismatch")
		err = mismatch.Join(models.CheckPassword("new_password", next))
	} else {
		_, err = s.store.ResetPassword(r.Context(), v.Token, next)
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
	s.log.InfoContext(r.Context(), "password reset", "user", v.Username)
	redirect(w, r, "/login", "password.reset_done")
}

// resetLinkInvalid answers a link that is unknown, expired or used (410,
// the three alike), with a link to ask for another, or err.
func (s *Server) resetLinkInvalid(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, models.ErrResetLinkInvalid) {
		s.error(w, r, err)
		return
	}
	v := &passwordForm{MailConfigured: s.opts.Mailer != nil}
	s.render(w, r, http.StatusGone, resetLinkInvalidPage(s.page(r, s.localeFor(r).T("password.invalid_title")), v))
}
