package models

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Limits of a member's public profile, as Mastodon's (30 and 500): a
// display name is shown beside every contribution, a bio on the profile.
const (
	MaxDisplayName = 50
	MaxBio         = 500
)

// Locales are the languages an account may choose for its pages and
// e-mails; an empty Locale follows the browser.
var Locales = []string{"en", "fr"}

// AccountEdit is what a member changes of their own account; a nil field
// is left as it is (the API's PATCH, each form of the account page).
// DisplayName and Bio are public (the Person actor's name and summary,
// federated); Email and Locale are private, never federated.
type AccountEdit struct {
	DisplayName *string `json:"display_name"`
	Bio         *string `json:"bio"` // Markdown
	Email       *string `json:"email"`
	Locale      *string `json:"locale"`
	// Avatar, when set, is a new avatar image (public: the actor's icon);
	// RemoveAvatar deletes the current one. Neither is read from JSON:
	// the API sends the image as a multipart file.
	Avatar       *AvatarFile `json:"-"`
	RemoveAvatar bool        `json:"-"`
	// CurrentPassword must be the account's password when Email changes:
	// the address receives password reset links, so whoever holds a
	// session or token alone must not be able to redirect them.
	CurrentPassword string `json:"current_password"`
}

// AvatarFile is an avatar image being sent: the file's name as the
// client gave it (cleaned, and only for display) and its content.
type AvatarFile struct {
	Name string
	R    io.Reader
}

// validate trims and checks every given field, reporting every problem
// at once.
func (in *AccountEdit) validate() error {
	v := &ValidationError{}
	if in.DisplayName != nil {
		name := strings.TrimSpace(*in.DisplayName)
		in.DisplayName = &name
		if utf8.RuneCountInString(name) > MaxDisplayName {
			v.Add("display_name", fmt.Sprintf("must have at most %d characters", MaxDisplayName))
		} else if strings.ContainsFunc(name, unicode.IsControl) {
			v.Add("display_name", "must be on one line, without control characters")
		}
	}
	if in.Bio != nil {
		bio := strings.TrimSpace(*in.Bio)
		in.Bio = &bio
		if utf8.RuneCountInString(bio) > MaxBio {
			v.Add("bio", fmt.Sprintf("must have at most %d characters", MaxBio))
		}
	}
	if in.Email != nil {
		email := strings.TrimSpace(*in.Email)
		in.Email = &email
		if msg := emailProblem(email); msg != "" {
			v.Add("email", msg)
		}
	}
	if in.Locale != nil && *in.Locale != "" && !slices.Contains(Locales, *in.Locale) {
		v.Add("locale", "must be en, fr, or empty to follow the browser")
	}
	return v.Err()
}

// emailProblem is what is wrong with an optional e-mail address, "" when
// it is empty or valid (the same rule at sign-up and on the account page).
func emailProblem(email string) string {
	if email == "" {
		return ""
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return "is not a valid e-mail address"
	}
	return ""
}

// EditAccount applies a member's changes to their own account and returns
// it reloaded. The bio's Markdown is kept on the account (to edit it
// again) and rendered, sanitised, once, into the actor's summary. A new
// avatar is received and checked (receiveAvatar) before anything is
// saved, so that its problems are told with the other fields'; it
// replaces the previous one, whose file is deleted. A change of display
// name, bio or avatar emits one EventAccountUpdated, which federation
// turns into an Update{Person} to the followers. A new e-mail address
// needs CurrentPassword (checkEmailChange): password reset links go there.
func (s *Store) EditAccount(ctx context.Context, acc *Account, in AccountEdit) (*Account, error) {
	if acc == nil || acc.Actor == nil {
		return nil, ErrUnauthorized
	}
	err := in.validate()
	if in.Email != nil {
		// Joined with the other fields' problems; a throttled name or a
		// failed database is the whole answer.
		perr := s.checkEmailChange(ctx, acc, *in.Email, in.CurrentPassword)
		if _, ok := errors.AsType[*ValidationError](perr); !ok && perr != nil {
			return nil, perr
		}
		v := &ValidationError{}
		_ = v.Join(err)
		err = v.Join(perr)
	}
	var avatar *Upload
	if in.Avatar != nil {
		var aerr error
		if avatar, aerr = s.receiveAvatar(in.Avatar); aerr != nil {
			// The avatar's problem told with the other fields' (validate
			// returns only field problems).
			v := &ValidationError{}
			_ = v.Join(err)
			err = v.Join(aerr)
		}
	}
	if err != nil {
		if avatar != nil {
			s.removeUploadFile(avatar.Key)
		}
		return nil, err
	}
	var old *Upload
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) (err error) {
		old, err = s.editAccount(ctx, tx, acc, in, avatar)
		return err
	})
	if err != nil {
		if avatar != nil {
			s.removeUploadFile(avatar.Key)
		}
		return nil, err
	}
	if old != nil {
		s.removeUploadFile(old.Key)
	}
	return s.AccountByID(ctx, acc.ID)
}

// checkEmailChange is nil when email is acc's stored address or password
// is acc's; a problem on "current_password" when it is missing or wrong
// (a wrong one counts toward the log-in limit, as at log-in); or
// Authenticate's other error.
func (s *Store) checkEmailChange(ctx context.Context, acc *Account, email, password string) error {
	cur, err := s.AccountByID(ctx, acc.ID)
	if err != nil {
		return err
	}
	if email == cur.Email {
		return nil
	}
	if password == "" {
		return Invalid("current_password", "is required to change the e-mail address")
	}
	_, err = s.Authenticate(ctx, acc.Username, password)
	if errors.Is(err, ErrBadCredentials) {
		return Invalid("current_password", "is wrong")
	}
	return err
}

// editAccount saves the validated in (and the received avatar, or none)
// in tx, and returns the replaced avatar, whose file the caller removes
// once committed.
func (s *Store) editAccount(ctx context.Context, tx bun.Tx, acc *Account, in AccountEdit, avatar *Upload) (*Upload, error) {
	cur := new(Account)
	if err := tx.NewSelect().Model(cur).Where("id = ? AND deleted_at IS NULL", acc.ID).Scan(ctx); err != nil {
		return nil, dbErr("find account", err)
	}
	actor := new(Actor)
	if err := tx.NewSelect().Model(actor).Where("account_id = ?", acc.ID).Scan(ctx); err != nil {
		return nil, dbErr("account actor", err)
	}
	q := tx.NewUpdate().Model((*Account)(nil)).Where("id = ?", acc.ID)
	set := false
	for _, c := range []struct {
		col string
		val *string
	}{{"email", in.Email}, {"locale", in.Locale}, {"bio", in.Bio}} {
		if c.val != nil {
			q, set = q.Set("? = ?", bun.Ident(c.col), *c.val), true
		}
	}
	if set {
		if _, err := q.Exec(ctx); err != nil {
			return nil, dbErr("edit account", err)
		}
	}
	name, summary := actor.Name, actor.Summary
	if in.DisplayName != nil {
		name = *in.DisplayName
	}
	if in.Bio != nil && *in.Bio != cur.Bio {
		summary = RenderMarkdown(*in.Bio)
	}
	old, changed, err := s.swapAvatar(ctx, tx, cur, actor, in.RemoveAvatar, avatar)
	if err != nil {
		return nil, err
	}
	if name == actor.Name && summary == actor.Summary && !changed {
		return nil, nil
	}
	_, err = tx.NewUpdate().Model((*Actor)(nil)).Where("id = ?", actor.ID).
		Set("name = ?", name).Set("summary = ?", summary).Set("updated_at = ?", s.Now()).Exec(ctx)
	if err != nil {
		return nil, dbErr("edit profile", err)
	}
	return old, s.emit(ctx, tx, Event{Kind: EventAccountUpdated, ObjectType: "account", ObjectID: acc.ID, ActorID: actor.ID})
}
