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
	Errors    map[string]string
}

func (v *accountView) setErrors(e map[string]string) { v.Errors = e }

// newAccountView is acc's stored profile and settings.
func newAccountView(acc *models.Account) *accountView {
	return &accountView{DisplayName: acc.Actor.Name, Bio: acc.Bio, Email: acc.Email, Locale: acc.Locale, AvatarURL: acc.Actor.IconURL}
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

// editSettings saves the private settings: e-mail and language. The
// language takes effect at once in this browser (its language cookie is
// set, or cleared to follow the browser again), and in any other where
// the member signs in and has not picked one with the switcher. A new
// e-mail address needs the current password (password reset links go
// there); the old address, if any, is told of the change.
func (s *Server) editSettings(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	acc := currentAccount(r.Context())
	v := newAccountView(acc)
	v.Email, v.Locale = r.PostFormValue("email"), r.PostFormValue("locale")
	got, change, err := s.store.EditAccountChanged(r.Context(), acc, models.AccountEdit{Email: &v.Email, Locale: &v.Locale,
		CurrentPassword: r.PostFormValue("email_current_password")})
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
	redirect(w, r, "/account", "account.settings_saved")
}

// emailChanged tells the previous address of an account (after) that it
// is no longer the account's, in the background, when the edit changed it
// (change, as models made it: not the request's view, which may be
// stale): whoever changed it with a stolen session and password would
// otherwise receive the reset links unnoticed.
func (s *Server) emailChanged(r *http.Request, change *models.EmailChange, after *models.Account) {
	if s.opts.Mailer == nil || change == nil || change.From == "" {
		return
	}
	l := s.mailLocale(after.Locale, s.localeFor(r))
	to, name := change.From, after.Username
	s.sendInBackground(r.Context(), "e-mail changed", func(ctx context.Context) error {
		site := s.store.InstanceName(ctx)
		return s.sendTo(ctx, name, to, l.T("mail.email_changed.subject", site), l.T("mail.email_changed.body", name, site))
	})
}
