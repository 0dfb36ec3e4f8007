package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/opendemocracynow/odn/models"
)

// Confirming an e-mail address (models/email_confirm.go): the address
// given at sign-up, or a new one in the settings, waits until its owner
// follows the link mailed to it; odn mails nothing else there before.
// The link opens /email/confirm, which moves its token into a cookie (as
// the reset page: resetCookie) and asks to confirm with a button, so that
// a mail scanner fetching the link confirms nothing. Nobody needs to be
// signed in: the token is the proof. The account page says whether the
// address is confirmed or pending, and resends or cancels a pending one.
//
// An instance without a mailer (no --smtp) cannot confirm anything: the
// address given is kept as pending, unused (it sends no e-mail anyway),
// the account page says so, and an administrator may confirm it
// (odn admin user confirm-email).

// confirmCookie carries a confirmation link's token to its page.
const confirmCookie = "odn_confirm"

// confirmForm is what the confirmation page shows, and once confirmed
// the page saying so: the account's name and the address, which the link
// holder was shown already, and the name of the account signed in in
// this browser when it is another ("" otherwise), so that nobody takes
// the address for their own.
type confirmForm struct {
	Username, Email string
	SignedInAs      string
}

// otherSession is the name of the account signed in on r when it is not
// username's, else "".
func otherSession(r *http.Request, username string) string {
	if cur := currentAccount(r.Context()); cur != nil && cur.Username != username {
		return cur.Username
	}
	return ""
}

// sendEmailConfirmation queues, after the response, a link confirming the
// pending address of the account id: nothing without a mailer, nor when
// models gives none (no pending address, a limit reached).
func (s *Server) sendEmailConfirmation(r *http.Request, accountID int64) {
	if s.opts.Mailer == nil {
		return
	}
	l := s.localeFor(r)
	s.sendInBackground(r.Context(), mailKindConfirm, func(ctx context.Context) error {
		link, err := s.store.RequestEmailConfirmation(ctx, accountID, s.confirmationMail(ctx, l))
		if err == nil && link != nil {
			s.wakeMail()
		}
		return err
	})
}

// confirmationMail writes the e-mail of a confirmation link, in the
// account's language (else fallback's); models queues it with the link
// (models.LinkMail), kept in the outbox no longer than the link works.
func (s *Server) confirmationMail(ctx context.Context, fallback *Locale) models.LinkMail {
	site := s.store.InstanceName(ctx)
	return func(link models.MailLink) models.Mail {
		ml := s.mailLocale(link.Locale, fallback)
		u := s.opts.BaseURL + "/email/confirm?token=" + models.LinkToken // minted as it is sent (sendQueued)
		return models.Mail{Kind: mailKindConfirm, Subject: ml.T("mail.confirm.subject", site), Body: ml.T("mail.confirm.body", link.Username, site, u)}
	}
}

// confirmEmailForm shows the confirmation of the link whose token the
// cookie holds; the e-mailed address, with the token in its query, only
// moves the token into the cookie and comes back without it. Once the
// link is used in a session of another account (confirmEmail), it shows
// the page saying whose address was confirmed, on each reload too.
func (s *Server) confirmEmailForm(w http.ResponseWriter, r *http.Request) {
	resetHeaders(w)
	if q := r.URL.Query(); q.Has("token") {
		s.setLinkCookie(w, confirmCookie, "/email/confirm", q.Get("token"), models.EmailConfirmationValidity)
		http.Redirect(w, r, "/email/confirm", http.StatusSeeOther)
		return
	}
	token := cookieValue(r, confirmCookie)
	name, email, err := s.store.CheckEmailConfirmation(r.Context(), token)
	if errors.Is(err, models.ErrConfirmLinkInvalid) && currentAccount(r.Context()) != nil {
		// After confirmEmail's redirect in another account's session (or
		// its reload): the page saying whose address it confirmed.
		if name, email, cerr := s.store.EmailConfirmedByLink(r.Context(), token); cerr == nil && otherSession(r, name) != "" {
			s.render(w, r, http.StatusOK, confirmedEmailPage(s.page(r, s.localeFor(r).T("email_confirm.done_title")),
				&confirmForm{Username: name, Email: email, SignedInAs: otherSession(r, name)}))
			return
		}
	}
	if err != nil {
		s.confirmLinkInvalid(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, confirmEmailPage(s.page(r, s.localeFor(r).T("email_confirm.title")),
		&confirmForm{Username: name, Email: email, SignedInAs: otherSession(r, name)}))
}

// confirmEmail confirms the address of the link whose token the cookie
// holds, whoever is signed in (the token is the proof), forgets the
// token, and goes to the account page (signed in as its account) or to
// log in (nobody signed in). Signed in as another account, the browser is
// someone's who holds both: it is told, on a page of its own, which
// account's address was confirmed and that its session's was not,
// rather than sent to log in or shown its own account as if confirmed;
// that page is confirmEmailForm's after a redirect, so that reloading it
// does not post the form again.
func (s *Server) confirmEmail(w http.ResponseWriter, r *http.Request) {
	resetHeaders(w)
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	acc, err := s.store.ConfirmEmail(r.Context(), cookieValue(r, confirmCookie))
	if err != nil {
		s.confirmLinkInvalid(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "e-mail address confirmed", "user", acc.Username)
	switch cur := currentAccount(r.Context()); {
	case cur == nil:
		s.setLinkCookie(w, confirmCookie, "/email/confirm", "", 0)
		redirect(w, r, "/login", "email_confirm.done")
	case cur.ID == acc.ID:
		s.setLinkCookie(w, confirmCookie, "/email/confirm", "", 0)
		redirect(w, r, "/account", "email_confirm.done")
	default:
		// POST-redirect-GET: the used token stays in its cookie (it
		// confirms nothing any more), so that confirmEmailForm, reloaded
		// or not, says whose address was confirmed rather than that the
		// link no longer works; for models.ConfirmedLinkShown only.
		s.setLinkCookie(w, confirmCookie, "/email/confirm", cookieValue(r, confirmCookie), models.ConfirmedLinkShown)
		redirect(w, r, "/email/confirm", "")
	}
}

// confirmLinkInvalid answers a link that is unknown, expired, used or no
// longer for the pending address (410, alike), or err.
func (s *Server) confirmLinkInvalid(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, models.ErrConfirmLinkInvalid) {
		s.error(w, r, err)
		return
	}
	s.setLinkCookie(w, confirmCookie, "/email/confirm", "", 0)
	s.render(w, r, http.StatusGone, confirmLinkInvalidPage(s.page(r, s.localeFor(r).T("email_confirm.invalid_title"))))
}

// resendEmailConfirmation mails the pending address a new link, unless a
// limit is reached (models: per account, per mailbox, per instance),
// which the flash says.
func (s *Server) resendEmailConfirmation(w http.ResponseWriter, r *http.Request) {
	acc := currentAccount(r.Context())
	if s.opts.Mailer == nil || acc.PendingEmail == "" {
		redirect(w, r, "/account", "")
		return
	}
	err := s.resendConfirmation(r, acc)
	if _, ok := errors.AsType[*models.ValidationError](err); ok {
		redirect(w, r, "/account", "account.email_resend_limited")
		return
	} else if err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/account", "account.email_resent")
}

// resendConfirmation issues a new link for acc's pending address and
// queues its e-mail with it (models.ResendEmailConfirmation's errors say
// why none is sent); on "email" when the instance sends no e-mail.
func (s *Server) resendConfirmation(r *http.Request, acc *models.Account) error {
	if s.opts.Mailer == nil {
		return models.Invalid("email", "cannot be confirmed by a link: this instance sends no e-mail")
	}
	if _, err := s.store.ResendEmailConfirmation(r.Context(), acc, s.confirmationMail(r.Context(), s.localeFor(r))); err != nil {
		return err
	}
	s.wakeMail()
	return nil
}

// apiResendEmailConfirmation answers POST
// /api/v1/account/email/confirmation: a new link to the caller's pending
// address (204), as the account page's button; 422 on "email" when none
// awaits confirmation, the limits are reached or the instance sends no
// e-mail.
func (s *Server) apiResendEmailConfirmation(w http.ResponseWriter, r *http.Request) {
	if err := s.resendConfirmation(r, currentAccount(r.Context())); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// cancelEmailChange forgets the pending address; the confirmed one, if
// any, stays.
func (s *Server) cancelEmailChange(w http.ResponseWriter, r *http.Request) {
	if err := s.store.CancelPendingEmail(r.Context(), currentAccount(r.Context())); err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/account", "account.email_cancelled")
}
