package web

import (
	"context"
	"errors"
	"mime/multipart"
	"net/http"

	"github.com/opendemocracynow/odn/models"
)

// accountView is what the account page's forms show: the account's
// profile and settings as stored, or as the member sent them when they
// come back with errors.
type accountView struct {
	DisplayName, Bio, Email, Locale string
	// AvatarURL is the address of the stored avatar, "" without one.
	AvatarURL string
	// Confirmed is the confirmed address, the one odn mails; Pending the
	// one awaiting its confirmation link; EmailShown the address the
	// form was opened with (the pending one, else the confirmed one), sent
	// back so that models tell an untouched address from a change
	// (models.AccountEdit.EmailShown).
	Confirmed, Pending, EmailShown string
	// MailConfigured is whether the instance sends e-mail (and so can
	// confirm an address).
	MailConfigured bool
	// EmailDigest is the daily e-mail of unread notifications, on or off
	// (models.Account.EmailDigest).
	EmailDigest bool
	// Conflict says the address was changed elsewhere since the settings
	// form was opened, so the settings were not saved.
	Conflict bool
	// Edit is the settings' version (models.Account.SettingsVersion) the
	// settings form was opened at, and after a save refused because they
	// were changed since, the link to the current ones.
	Edit   editVersion
	Errors map[string]string
}

func (v *accountView) setErrors(e map[string]string) { v.Errors = e }

// newAccountView is acc's stored profile and settings.
func newAccountView(acc *models.Account) *accountView {
	return &accountView{DisplayName: acc.Actor.Name, Bio: acc.Bio, Email: acc.WantedEmail(), Locale: acc.Locale, AvatarURL: acc.Actor.IconURL,
		Confirmed: acc.Email, Pending: acc.PendingEmail, EmailShown: acc.WantedEmail(), EmailDigest: acc.EmailDigest,
		Edit: editVersion{Version: acc.SettingsVersion}}
}

// localeOptions are the choices of the language setting: the browser's,
// then every language of models.Locales (each named in its own language).
func localeOptions() []fieldOption {
	out := []fieldOption{{Value: "", Label: "account.locale_browser"}}
	for _, l := range models.Locales {
		out = append(out, fieldOption{Value: l, Label: "lang." + l})
	}
	return out
}

// showAccountPage answers with the account page: v's values and errors,
// with status (422 when a form comes back with errors).
func (s *Server) showAccountPage(w http.ResponseWriter, r *http.Request, status int, v *accountView) {
	v.MailConfigured = s.opts.Mailer != nil
	s.render(w, r, status, accountPage(s.page(r, s.localeFor(r).T("account.title")), v))
}

// editProfile saves the public profile: display name, bio, and the
// avatar (a new image, or its removal), from a multipart form; the
// avatar's problems are told with the other fields'. Peers following the
// member get the new profile (Update{Person}).
func (s *Server) editProfile(w http.ResponseWriter, r *http.Request) {
	acc := currentAccount(r.Context())
	v := newAccountView(acc)
	err := parseUploadForm(w, r)
	if errors.Is(err, errBadForm) {
		s.badForm(w, r, err)
		return
	}
	if err == nil {
		v.DisplayName, v.Bio = r.PostFormValue("display_name"), r.PostFormValue("bio")
		in := models.AccountEdit{DisplayName: &v.DisplayName, Bio: &v.Bio, RemoveAvatar: r.PostFormValue("remove_avatar") == "true"}
		var f *formFile
		if f, err = formFileOf(r, "avatar"); f != nil {
			defer f.Close()
			in.Avatar = &models.AvatarFile{Name: f.name, R: f}
		}
		if err == nil {
			_, err = s.store.EditAccount(r.Context(), acc, in)
		}
	}
	if err != nil {
		if ve, ok := errors.AsType[*models.ValidationError](err); ok && ve.Fields["file"] != "" {
			err = models.Invalid("avatar", ve.Fields["file"]) // the whole form was too large
		}
		if takeFieldErrors(s, w, r, err, v) {
			s.showAccountPage(w, r, http.StatusUnprocessableEntity, v)
		}
		return
	}
	redirect(w, r, "/account", "account.profile_saved")
}

// formFile is a file part of a multipart form, with the name its client
// gave it (for display only: models sniffs the content).
type formFile struct {
	multipart.File
	name string
}

// formFileOf is the file sent in field, nil without one (an empty file
// input sends a part without a name nor content).
func formFileOf(r *http.Request, field string) (*formFile, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	f, fh, err := r.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) {
		return nil, nil
	}
	if err != nil {
		return nil, models.Invalid(field, "The file could not be read completely.")
	}
	if fh.Size == 0 && fh.Filename == "" {
		f.Close()
		return nil, nil
	}
	return &formFile{File: f, name: fh.Filename}, nil
}

// digestUsable reports whether the digest box of the settings form can
// be used: the instance sends e-mail and the account has a confirmed
// address; otherwise the form says why (digestHint) and sends no choice.
func (v *accountView) digestUsable() bool { return v.MailConfigured && v.Confirmed != "" }

// digestHint is the message key explaining the digest box.
func (v *accountView) digestHint() string {
	switch {
	case !v.MailConfigured:
		return "hint.email_digest_no_mail"
	case v.Confirmed == "":
		return "hint.email_digest_no_address"
	}
	return "hint.email_digest"
}

// editSettings saves the private settings: e-mail, language and the
// notification digest (when its box was usable). The
// language takes effect at once in this browser (its language cookie is
// set, or cleared to follow the browser again), and in any other where
// the member signs in and has not picked one with the switcher. A new
// e-mail address needs the current password (password reset links will
// go there) and waits for the confirmation link mailed to it, the
// confirmed address staying in use until then; that one, if any, is
// told of the change. A form opened before the address was changed
// elsewhere comes back (409) with a notice and the current address when
// its address was touched (editSettingsConflict); one opened before the
// language or the digest was changed elsewhere (another window, the API)
// comes back (409) with a notice, what the member chose kept and the
// current version in its hidden field (editConflict, as the other edit
// forms), so that saving again applies their choice deliberately.
func (s *Server) editSettings(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	acc := currentAccount(r.Context())
	v := newAccountView(acc)
	v.Email, v.Locale = r.PostFormValue("email"), r.PostFormValue("locale")
	v.Edit.Version = formVersion(r)
	in := models.AccountEdit{Email: &v.Email, Locale: &v.Locale, CurrentPassword: r.PostFormValue("email_current_password"),
		IfSettingsVersion: v.Edit.Version}
	if r.PostForm.Has("email_digest_shown") {
		// The box was usable (digestUsable): unticked sends nothing.
		v.EmailDigest = r.PostFormValue("email_digest") == "true"
		in.EmailDigest = &v.EmailDigest
	}
	if r.PostForm.Has("email_shown") {
		shown := r.PostFormValue("email_shown")
		in.EmailShown = &shown
	}
	got, change, err := s.store.EditAccountChanged(r.Context(), acc, in)
	v.MailConfigured = s.opts.Mailer != nil
	if editConflict(s, w, r, err, "account.title", v, &v.Edit, "/account#settings-title", accountPage) {
		return
	}
	if errors.Is(err, models.ErrEditConflict) {
		s.editSettingsConflict(w, r, v)
		return
	}
	if err != nil {
		if ve, ok := errors.AsType[*models.ValidationError](err); ok && ve.Fields["current_password"] != "" {
			// The field of this form, not the password form's.
			ve.Fields["email_current_password"] = ve.Fields["current_password"]
			delete(ve.Fields, "current_password")
		}
		if takeFieldErrors(s, w, r, err, v) {
			s.showAccountPage(w, r, http.StatusUnprocessableEntity, v)
		}
		return
	}
	s.emailChanged(r, change, got)
	s.setLangCookie(w, v.Locale)
	flash := "account.settings_saved"
	if change != nil && change.Confirm {
		flash = "account.email_confirm_sent"
		if s.opts.Mailer == nil {
			flash = "account.email_pending_no_mail"
		}
	}
	redirect(w, r, "/account", flash)
}

// editSettingsConflict answers a settings form whose address was changed
// elsewhere (another tab, the API) since it was opened: the page again
// (409) with a notice, the current address's status, what the member
// sent kept, and the current address as the one shown, so that saving
// again, having read the notice, makes the change deliberately.
func (s *Server) editSettingsConflict(w http.ResponseWriter, r *http.Request, sent *accountView) {
	cur, err := s.store.AccountByID(r.Context(), currentAccount(r.Context()).ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := newAccountView(cur)
	v.Email, v.Locale, v.Conflict = sent.Email, sent.Locale, true
	s.showAccountPage(w, r, http.StatusConflict, v)
}

// emailChanged acts on the change of address an edit made (change, as
// models made it: not the request's view, which may be stale): a new
// address gets its confirmation link; the confirmed address, if any, is
// told, in the background, that a change was asked (it stays in use
// until the new one is confirmed) or that it was removed: whoever
// changed it with a stolen session and password would otherwise go
// unnoticed. Going back to the confirmed address tells nobody.
func (s *Server) emailChanged(r *http.Request, change *models.EmailChange, after *models.Account) {
	if change == nil {
		return
	}
	if change.Confirm {
		s.sendEmailConfirmation(r, after.ID)
	}
	if s.opts.Mailer == nil || change.From == "" || change.From == change.To {
		return
	}
	key := "mail.email_changed"
	if change.Confirm {
		key = "mail.email_change_asked"
	}
	l := s.mailLocale(after.Locale, s.localeFor(r))
	to, name, id := change.From, after.Username, after.ID
	s.sendInBackground(r.Context(), mailKindChanged, func(ctx context.Context) error {
		site := s.store.InstanceName(ctx)
		// No link: the outbox keeps it models.MailLifetime at most.
		return s.queueMail(ctx, models.Mail{AccountID: id, Username: name, Kind: mailKindChanged, Address: to,
			Subject: l.T(key+".subject", site), Body: l.T(key+".body", name, site)})
	})
}
