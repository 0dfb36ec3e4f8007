package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.With(s.requireAccount).Get("/account", s.apiAccount)
		r.With(s.requireAccount).Patch("/account", s.apiEditAccount)
		r.With(s.requireAccount).Post("/account/avatar", s.apiSetAvatar)
		r.With(s.requireAccount).Delete("/account/avatar", s.apiRemoveAvatar)
		r.With(s.requireAccount, s.limitAuth).Post("/account/email/confirmation", s.apiResendEmailConfirmation)
	})
}

// apiAccountJSON is the caller's own account: its public profile and its
// private settings (email, locale), which only the account itself reads.
// Its id is the actor's, as reports name an account.
type apiAccountJSON struct {
	apiObject
	Username    string  `json:"username"`
	Handle      string  `json:"handle"`
	DisplayName string  `json:"display_name"`
	Bio         string  `json:"bio"`
	BioHTML     string  `json:"bio_html"`
	AvatarURL   *string `json:"avatar_url"`
	// Email is the confirmed address ("" for none), the one mailed;
	// PendingEmail the one awaiting its confirmation link (null for
	// none); EmailConfirmed whether Email is a confirmed address.
	Email          string  `json:"email"`
	PendingEmail   *string `json:"pending_email"`
	EmailConfirmed bool    `json:"email_confirmed"`
	Locale         string  `json:"locale"`
	// EmailDigest is whether the unread notifications are e-mailed once
	// a day (to Email, when confirmed and the instance sends e-mail).
	EmailDigest bool      `json:"email_digest"`
	Role        string    `json:"role"`
	Decider     bool      `json:"decider"`
	CreatedAt   time.Time `json:"created_at"`
}

func accountJSON(acc *models.Account) apiAccountJSON {
	a := acc.Actor
	var avatar *string
	if a.IconURL != "" {
		avatar = &a.IconURL
	}
	var pending *string
	if acc.PendingEmail != "" {
		pending = &acc.PendingEmail
	}
	return apiAccountJSON{
		AvatarURL: avatar, PendingEmail: pending, EmailConfirmed: acc.Email != "",
		apiObject: apiObject{ID: strconv.FormatInt(a.ID, 10), URI: a.URI, URL: a.URL},
		Username:  acc.Username, Handle: a.Handle(), DisplayName: a.Name, Bio: acc.Bio, BioHTML: a.Summary,
		Email: acc.Email, Locale: acc.Locale, EmailDigest: acc.EmailDigest, Role: acc.Role, Decider: acc.Decider, CreatedAt: acc.CreatedAt.UTC(),
	}
}

// writeAccount answers with the caller's account; it holds their e-mail,
// so no cache keeps it.
func writeAccount(w http.ResponseWriter, acc *models.Account) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, accountJSON(acc))
}

// apiAccount answers GET /api/v1/account: the caller's own account.
func (s *Server) apiAccount(w http.ResponseWriter, r *http.Request) {
	writeAccount(w, currentAccount(r.Context()))
}

// apiEditAccount answers PATCH /api/v1/account: the fields given change
// (display_name, bio, email, locale, email_digest), the others stay, as on the account
// page; a new email needs current_password and waits, as pending_email,
// for the confirmation link mailed to it (the confirmed email stays in
// use until then); email set back to the confirmed address cancels the
// pending one. One carrying email counts toward the client's log-in
// limit (authAttempts), as the settings form.
func (s *Server) apiEditAccount(w http.ResponseWriter, r *http.Request) {
	var in models.AccountEdit
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if in.Email != nil && s.overAuthLimit(w, r) {
		return
	}
	acc, change, err := s.store.EditAccountChanged(r.Context(), currentAccount(r.Context()), in)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.emailChanged(r, change, acc)
	writeAccount(w, acc)
}

// apiSetAvatar answers POST /api/v1/account/avatar: the image in the
// multipart part "avatar" becomes the caller's avatar (PNG, JPEG or
// WebP, at most models.MaxAvatarSize; its type is sniffed), replacing
// the previous one, as on the account page.
func (s *Server) apiSetAvatar(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		s.error(w, r, models.Invalid("body", "Content-Type must be multipart/form-data"))
		return
	}
	if err := parseUploadForm(w, r); err != nil {
		if ve, ok := errors.AsType[*models.ValidationError](err); ok && ve.Fields["file"] != "" {
			err = models.Invalid("avatar", ve.Fields["file"])
		}
		s.error(w, r, err)
		return
	}
	f, err := formFileOf(r, "avatar")
	if err == nil && f == nil {
		err = models.Invalid("avatar", "The file is empty.")
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	defer f.Close()
	acc, err := s.store.SetAvatar(r.Context(), currentAccount(r.Context()), f.name, f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeAccount(w, acc)
}

// apiRemoveAvatar answers DELETE /api/v1/account/avatar: the caller has
// no avatar any more (nothing changes without one).
func (s *Server) apiRemoveAvatar(w http.ResponseWriter, r *http.Request) {
	acc, err := s.store.RemoveAvatar(r.Context(), currentAccount(r.Context()))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeAccount(w, acc)
}
