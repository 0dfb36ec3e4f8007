package models

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Limits of a member's public profile, as Mastodon's (30 and 500): a
// display name is shown beside every contribution, a bio on the profile.
const (
	MaxDisplayName = 50
	MaxBio         = 500
)

// An account changes its e-mail address at most MaxEmailChanges times per
// EmailChangeWindow (counted from the audit log, which records each
// change asked for): each change mails a notice to the confirmed address
// and a confirmation link to the new one, so without a bound a member
// could mail any address at will (set it, then clear it), each change
// also costing a password hash.
const (
	MaxEmailChanges   = 3
	EmailChangeWindow = 24 * time.Hour
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
	// EmailDigest turns the daily e-mail of unread notifications on or
	// off (Account.EmailDigest).
	EmailDigest *bool `json:"email_digest"`
	// Avatar, when set, is a new avatar image (public: the actor's icon);
	// RemoveAvatar deletes the current one. Neither is read from JSON:
	// the API sends the image as a multipart file.
	Avatar       *AvatarFile `json:"-"`
	RemoveAvatar bool        `json:"-"`
	// CurrentPassword must be the account's password when Email changes:
	// the address receives password reset links, so whoever holds a
	// session or token alone must not be able to redirect them.
	CurrentPassword string `json:"current_password"`
	// EmailShown, when set, is the address the form showed
	// (Account.WantedEmail when it was opened): an Email equal to it is
	// no change, so that saving the language from a form opened before
	// another window changed the address keeps that change; another
	// Email is refused with ErrEditConflict if the address changed since.
	EmailShown *string `json:"-"`
	// IfSettingsVersion, when not 0, is the Account.SettingsVersion the
	// form was opened at: a change of Email, Locale or EmailDigest made
	// from another one is refused with an *EditConflict, so that saving a
	// form opened before the settings were changed elsewhere (another
	// window, the API) does not silently undo that change.
	IfSettingsVersion int64 `json:"-"`
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
// it reloaded (EditAccountChanged, without the e-mail change).
func (s *Store) EditAccount(ctx context.Context, acc *Account, in AccountEdit) (*Account, error) {
	got, _, err := s.EditAccountChanged(ctx, acc, in)
	return got, err
}

// EmailChange is the change of address an edit made: From is the
// confirmed address, which stays in use and is told of the change (""
// when the account had none), To the address asked for: "" when the
// member removed their address (removed at once, with any pending one),
// From when they went back to it (the pending address is cancelled),
// else the new pending address, which Confirm says awaits its link
// (RequestEmailConfirmation).
type EmailChange struct {
	From, To string
	Confirm  bool
}

// EditAccountChanged applies a member's changes to their own account and
// returns it reloaded, with the e-mail change it made (nil when the
// address stayed as stored), which the door tells the old address. The
// bio's Markdown is kept on the account (to edit it again) and rendered,
// sanitised, once, into the actor's summary. A new avatar is received and
// checked (receiveAvatar) before anything is saved, so that its problems
// are told with the other fields'; it replaces the previous one, whose
// file is deleted. A change of display name, bio or avatar emits one
// EventAccountUpdated, which federation turns into an Update{Person} to
// the followers. A new e-mail address needs CurrentPassword
// (checkEmailChange): password reset links go there.
func (s *Store) EditAccountChanged(ctx context.Context, acc *Account, in AccountEdit) (*Account, *EmailChange, error) {
	if acc == nil || acc.Actor == nil {
		return nil, nil, ErrUnauthorized
	}
	if in.EmailShown != nil && in.Email != nil && strings.TrimSpace(*in.Email) == *in.EmailShown {
		in.Email = nil // not touched on the form
	}
	err := in.validate()
	var checked emailCheck
	if in.Email != nil {
		// Joined with the other fields' problems; a throttled name, a
		// stale form or a failed database is the whole answer.
		var perr error
		checked, perr = s.checkEmailChange(ctx, acc, in)
		if _, ok := errors.AsType[*ValidationError](perr); !ok && perr != nil {
			return nil, nil, perr
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
		return nil, nil, err
	}
	var old *Upload
	var change *EmailChange
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) (err error) {
		old, change, err = s.editAccount(ctx, tx, acc, in, checked, avatar)
		return err
	})
	if err != nil {
		if avatar != nil {
			s.removeUploadFile(avatar.Key)
		}
		return nil, nil, err
	}
	if old != nil {
		s.removeUploadFile(old.Key)
	}
	got, err := s.AccountByID(ctx, acc.ID)
	if err != nil {
		return nil, nil, err
	}
	return got, change, nil
}

// emailCheck is what checkEmailChange found, for editAccount to decide
// again under the row lock: the address chosen then (WantedEmail), and
// whether the current password was given and right.
type emailCheck struct {
	saw      string
	password bool
}

// checkEmailChange checks, before the transaction (a password hash is too
// slow to compute under a row lock), what a change of acc's address to
// in.Email needs: ErrEditConflict when the form showed another address
// than the current one (in.EmailShown); nothing when in.Email is the
// address chosen, or the confirmed one (going back to it cancels the
// pending one); else the right password: a problem on
// "current_password" when it is missing or wrong (a wrong one counts
// toward the log-in limit, as at log-in); or Authenticate's other error.
// editAccount decides again on the locked row, which may have changed
// meanwhile.
func (s *Store) checkEmailChange(ctx context.Context, acc *Account, in AccountEdit) (emailCheck, error) {
	cur, err := s.AccountByID(ctx, acc.ID)
	if err != nil {
		return emailCheck{}, err
	}
	seen := emailCheck{saw: cur.WantedEmail()}
	if in.EmailShown != nil && *in.EmailShown != seen.saw {
		return emailCheck{}, ErrEditConflict
	}
	email := strings.TrimSpace(*in.Email)
	if email == seen.saw || email == cur.Email {
		return seen, nil
	}
	if in.CurrentPassword == "" {
		return emailCheck{}, Invalid("current_password", "is required to change the e-mail address")
	}
	_, err = s.Authenticate(ctx, acc.Username, in.CurrentPassword)
	if errors.Is(err, ErrBadCredentials) {
		return emailCheck{}, Invalid("current_password", "is wrong")
	}
	seen.password = err == nil
	return seen, err
}

// lockAccount reads the live account id in tx, locking its row until the
// transaction ends on PostgreSQL (SQLite's immediate write transaction
// already excludes other writers), so that what a change checks on it
// holds until the change is written.
func lockAccount(ctx context.Context, tx bun.IDB, id int64) (*Account, error) {
	cur := new(Account)
	q := tx.NewSelect().Model(cur).Where("id = ? AND deleted_at IS NULL", id)
	if tx.Dialect().Name() == dialect.PG {
		q = q.For("NO KEY UPDATE") // the lock an UPDATE of its columns takes
	}
	if err := q.Scan(ctx); err != nil {
		return nil, dbErr("find account", err)
	}
	return cur, nil
}

// emailEdit decides, on the locked row cur, whether in changes the
// address: nil when it does not (the address is then not written), the
// change when it does (EmailChange). A change that the check did not
// see, the address chosen having changed since (a request made before
// the owner's change, carrying the address of then), is
// ErrEditConflict: without it, that request would write the old address
// back, or cancel the owner's pending one, without any password. Going
// back to the confirmed address needs none; another change needs the
// password checked (checkEmailChange).
func emailEdit(cur *Account, in AccountEdit, checked emailCheck) (*EmailChange, error) {
	if in.Email == nil || *in.Email == cur.WantedEmail() {
		return nil, nil
	}
	if checked.saw != cur.WantedEmail() {
		return nil, ErrEditConflict
	}
	if *in.Email == cur.Email {
		return &EmailChange{From: cur.Email, To: cur.Email}, nil
	}
	if !checked.password {
		return nil, ErrEditConflict
	}
	return &EmailChange{From: cur.Email, To: *in.Email, Confirm: *in.Email != ""}, nil
}

// recordEmailChange refuses a change of cur's address past
// MaxEmailChanges per EmailChangeWindow (told on "email"), else audits it
// (without the addresses). cur's row is locked (lockAccount), so two
// changes at once are counted one after the other.
func (s *Store) recordEmailChange(ctx context.Context, tx bun.Tx, cur *Account) error {
	n, err := tx.NewSelect().Model((*AuditEntry)(nil)).
		Where("action = 'change_email' AND target_type = 'account' AND target_id = ? AND created_at > ?", cur.Username, s.Now().Add(-EmailChangeWindow)).
		Count(ctx)
	if err != nil {
		return dbErr("count e-mail changes", err)
	}
	if n >= MaxEmailChanges {
		return Invalid("email", "was changed too many times in the last 24 hours; try again later")
	}
	return s.audit(ctx, tx, cur, "change_email", "account", cur.Username, "")
}

// editAccount saves the validated in (and the received avatar, or none)
// in tx, and returns the replaced avatar, whose file the caller removes
// once committed, and the e-mail change made (emailEdit).
func (s *Store) editAccount(ctx context.Context, tx bun.Tx, acc *Account, in AccountEdit, checked emailCheck, avatar *Upload) (*Upload, *EmailChange, error) {
	cur, err := lockAccount(ctx, tx, acc.ID)
	if err != nil {
		return nil, nil, err
	}
	if in.IfSettingsVersion != 0 && (in.Email != nil || in.Locale != nil || in.EmailDigest != nil) {
		if err := checkVersion(cur.SettingsVersion, in.IfSettingsVersion); err != nil {
			return nil, nil, err
		}
	}
	change, err := emailEdit(cur, in, checked)
	if err != nil {
		return nil, nil, err
	}
	if err := s.writeEmailChange(ctx, tx, cur, change); err != nil {
		return nil, nil, err
	}
	actor := new(Actor)
	if err := tx.NewSelect().Model(actor).Where("account_id = ?", acc.ID).Scan(ctx); err != nil {
		return nil, nil, dbErr("account actor", err)
	}
	q := tx.NewUpdate().Model((*Account)(nil)).Where("id = ?", acc.ID)
	set := false
	for _, c := range []struct {
		col string
		val *string
	}{{"locale", in.Locale}, {"bio", in.Bio}} {
		if c.val != nil {
			q, set = q.Set("? = ?", bun.Ident(c.col), *c.val), true
		}
	}
	if in.EmailDigest != nil {
		q, set = q.Set("email_digest = ?", *in.EmailDigest), true
		if *in.EmailDigest && !cur.EmailDigest {
			// Turned on again: the next digest looks a day back, as the
			// first one does, not at everything since the digest before
			// it was turned off.
			q = q.Set("digest_from = NULL")
		}
	}
	if (in.Locale != nil && *in.Locale != cur.Locale) || (in.EmailDigest != nil && *in.EmailDigest != cur.EmailDigest) {
		q = q.Set("settings_version = settings_version + 1")
	}
	if set {
		if _, err := q.Exec(ctx); err != nil {
			return nil, nil, dbErr("edit account", err)
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
		return nil, nil, err
	}
	if name == actor.Name && summary == actor.Summary && !changed {
		return nil, change, nil
	}
	_, err = tx.NewUpdate().Model((*Actor)(nil)).Where("id = ?", actor.ID).
		Set("name = ?", name).Set("summary = ?", summary).Set("updated_at = ?", s.Now()).Exec(ctx)
	if err != nil {
		return nil, nil, dbErr("edit profile", err)
	}
	return old, change, s.emit(ctx, tx, Event{Kind: EventAccountUpdated, ObjectType: "account", ObjectID: acc.ID, ActorID: actor.ID})
}

// writeEmailChange applies change (none when nil) to cur's locked row in
// tx: going back to the confirmed address cancels the pending one;
// removing the address removes both at once, and ends the reset links
// mailed to it; another address becomes the pending one, the confirmed
// address staying in use until it is confirmed. Either of the last two
// counts toward MaxEmailChanges (recordEmailChange), and every one ends
// the confirmation links of the address pending before.
func (s *Store) writeEmailChange(ctx context.Context, tx bun.Tx, cur *Account, change *EmailChange) error {
	switch {
	case change == nil:
		return nil
	case change.To == cur.Email:
		return s.clearPendingEmail(ctx, tx, cur.ID)
	}
	if err := s.recordEmailChange(ctx, tx, cur); err != nil {
		return err
	}
	q := tx.NewUpdate().Model((*Account)(nil)).Where("id = ?", cur.ID).Set("pending_email = ?", change.To)
	if change.To == "" {
		q = q.Set("email = ''")
		if err := s.endPasswordResets(ctx, tx, cur.ID); err != nil {
			return err
		}
	}
	if _, err := q.Exec(ctx); err != nil {
		return dbErr("change e-mail address", err)
	}
	return s.endEmailConfirmations(ctx, tx, cur.ID)
}
