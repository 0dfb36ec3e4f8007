package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"github.com/uptrace/bun"
)

// Roles of a local account, from least to most powerful.
const (
	RoleMember    = "member"
	RoleModerator = "moderator"
	RoleAdmin     = "admin"
)

// Password length limits; the upper one bounds argon2id work per attempt.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// argonParams follow RFC 9106's second recommended option, scaled to a
// small server: 64 MiB, 1 pass, parallelism 2.
var argonParams = &argon2id.Params{Memory: 64 * 1024, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// Account is a local user: credentials, role and preferences. What the
// account does in public is done by its Actor.
type Account struct {
	bun.BaseModel `bun:"table:accounts"`
	ID            int64  `bun:",pk,autoincrement" json:"-"`
	Username      string `bun:",notnull" json:"username"`
	// Email is the confirmed address, the one odn mails (password reset
	// links, syntheses); "" for none. PendingEmail is an address given
	// at sign-up or in the settings that awaits the confirmation link
	// sent to it (email_confirm.go); until then nothing else is mailed
	// to it.
	Email        string `bun:",notnull" json:"-"`
	PendingEmail string `bun:",notnull" json:"-"`
	PasswordHash string `bun:",notnull" json:"-"`
	Role         string `bun:",notnull" json:"role"`
	Decider      bool   `bun:",notnull" json:"decider"`
	Disabled     bool   `bun:",notnull" json:"disabled"`
	Locale       string `bun:",notnull" json:"-"`
	// Bio is the Markdown source of the profile's about text, kept to be
	// edited again; its sanitised HTML is the actor's Summary.
	Bio string `bun:",notnull" json:"-"`
	// AvatarID is the upload showing the member (SetAvatar), nil for
	// none; the actor's IconURL and IconMediaType point to it.
	AvatarID  *int64     `bun:",nullzero" json:"-"`
	CreatedAt time.Time  `bun:",notnull" json:"created_at"`
	DeletedAt *time.Time `bun:",nullzero" json:"-"`

	// DisabledByRole is the role that disabled the account (RoleModerator,
	// or RoleAdmin for an administrator or the operator); empty while it
	// is enabled. It decides who may re-enable it (mayEnable).
	DisabledByRole string `bun:",notnull" json:"-"`

	// EmailDigest is the member's choice to receive their unread
	// notifications by e-mail once a day (QueueNotificationDigests); off
	// unless they turn it on. DigestSentAt is when the last one was
	// queued, nil for never; DigestFrom the earliest creation time of
	// the notifications the next one tells (nil: a day back).
	EmailDigest  bool       `bun:",notnull" json:"email_digest"`
	DigestSentAt *time.Time `bun:",nullzero" json:"-"`
	DigestFrom   *time.Time `bun:",nullzero" json:"-"`
	// SettingsVersion counts the changes of the private settings
	// (Locale, EmailDigest): the settings form sends back the one it was
	// opened at (AccountEdit.IfSettingsVersion).
	SettingsVersion int64 `bun:",notnull,default:1" json:"-"`

	Actor *Actor `bun:"-" json:"-"`
}

// IsModerator reports whether the account moderates (admins do too).
func (a *Account) IsModerator() bool {
	return a != nil && (a.Role == RoleModerator || a.Role == RoleAdmin)
}

// IsAdmin reports whether the account administers the instance.
func (a *Account) IsAdmin() bool { return a != nil && a.Role == RoleAdmin }

// NewAccount is the input to CreateAccount.
// Its Email is taken as confirmed (an operator's account, odn admin user
// create), except from SignUp, where it awaits its confirmation link.
type NewAccount struct {
	Username string
	Email    string
	Password string
	Role     string
	Locale   string
	// unconfirmed stores Email as the pending address (SignUp).
	unconfirmed bool
}

func (n *NewAccount) validate() error {
	v := &ValidationError{}
	n.Username = strings.TrimSpace(n.Username)
	if err := ValidateName("username", n.Username); err != nil {
		v.Add("username", err.(*ValidationError).Fields["username"])
	}
	n.Email = strings.TrimSpace(n.Email)
	if msg := emailProblem(n.Email); msg != "" {
		v.Add("email", msg)
	}
	switch l := utf8.RuneCountInString(n.Password); {
	case l < MinPasswordLen:
		v.Add("password", fmt.Sprintf("must have at least %d characters", MinPasswordLen))
	case len(n.Password) > MaxPasswordLen:
		v.Add("password", fmt.Sprintf("must have at most %d bytes", MaxPasswordLen))
	}
	switch n.Role {
	case "":
		n.Role = RoleMember
	case RoleMember, RoleModerator, RoleAdmin:
	default:
		v.Add("role", "must be member, moderator or admin")
	}
	return v.Err()
}

// CreateAccount validates input, hashes the password with argon2id and
// creates the account with its Person actor in one transaction.
func (s *Store) CreateAccount(ctx context.Context, n NewAccount) (*Account, error) {
	if err := n.validate(); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, n.Password)
	if err != nil {
		return nil, err
	}
	uri := s.URLs.ActorURI(n.Username)
	actor, err := s.newLocalActor(ActorPerson, n.Username, n.Username, "", uri, s.URLs.Base+"/@"+n.Username)
	if err != nil {
		return nil, err
	}
	acc := &Account{Username: n.Username, Email: n.Email, PasswordHash: hash, Role: n.Role, Locale: n.Locale, CreatedAt: s.Now()}
	if n.unconfirmed {
		acc.Email, acc.PendingEmail = "", n.Email
	}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := claimHandle(ctx, tx, "username", n.Username, "user"); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(acc).Exec(ctx); err != nil {
			return dbErr("insert account", err)
		}
		actor.AccountID = &acc.ID
		if _, err := tx.NewInsert().Model(actor).Exec(ctx); err != nil {
			return dbErr("insert actor", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	acc.Actor = actor
	return acc, nil
}

// ErrBadCredentials is returned for an unknown user or a wrong password
// alike, so log-in gives no signal about which accounts exist.
var ErrBadCredentials = errors.New("wrong username or password")

// dummyHash is compared against when the user does not exist, so the
// timing of a failed log-in does not reveal whether the account exists.
// It is argon2id.CreateHash("not a real password", argonParams) computed
// once and written here: hashing it at package init cost every start of
// the binary (even `odn version`) 300–650 ms and 64 MiB of heap.
// TestDummyHashMatchesArgonParams keeps it in step with argonParams.
const dummyHash = "$argon2id$v=19$m=65536,t=1,p=2$v+2VkLDNFS7vreIJMztIIw$L/wCF1sSm3QJgAb8oBDdE9mM/LC4dqAKjN1mowJKyAI"

// Authenticate checks a username and password and returns the account.
// A name with too many wrong passwords gets a *ThrottledError
// (login_throttle.go) before its password is looked at.
func (s *Store) Authenticate(ctx context.Context, username, password string) (*Account, error) {
	name := strings.ToLower(strings.TrimSpace(username))
	if len(password) > MaxPasswordLen || !nameRE.MatchString(name) {
		// No account has such a name or password: nothing to count.
		if _, err := s.comparePassword(ctx, password, dummyHash); err != nil {
			return nil, err // busy or gone: not a wrong password
		}
		return nil, ErrBadCredentials
	}
	if err := s.loginThrottled(ctx, name); err != nil {
		return nil, err
	}
	acc, err := s.AccountByUsername(ctx, name)
	if errors.Is(err, ErrNotFound) {
		if _, err := s.comparePassword(ctx, password, dummyHash); err != nil {
			return nil, err
		}
		return nil, s.loginFailed(ctx, name)
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.comparePassword(ctx, password, acc.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok || acc.Disabled {
		return nil, s.loginFailed(ctx, name)
	}
	return acc, s.clearLoginFailures(ctx, name)
}

// loginFailed counts a wrong password for name and returns
// ErrBadCredentials, or the error of counting it: a failure that cannot
// be counted must not look like an ordinary wrong password.
func (s *Store) loginFailed(ctx context.Context, name string) error {
	if err := s.recordLoginFailure(ctx, name); err != nil {
		return err
	}
	return ErrBadCredentials
}

// AccountByUsername loads a live (not deleted) account with its actor.
func (s *Store) AccountByUsername(ctx context.Context, username string) (*Account, error) {
	acc := new(Account)
	err := s.DB.NewSelect().Model(acc).Where("username = ? AND deleted_at IS NULL", username).Scan(ctx)
	if err != nil {
		return nil, dbErr("account by username", err)
	}
	return acc, s.attachActor(ctx, acc)
}

// AccountByID loads a live account with its actor.
func (s *Store) AccountByID(ctx context.Context, id int64) (*Account, error) {
	acc := new(Account)
	err := s.DB.NewSelect().Model(acc).Where("id = ? AND deleted_at IS NULL", id).Scan(ctx)
	if err != nil {
		return nil, dbErr("account by id", err)
	}
	return acc, s.attachActor(ctx, acc)
}

func (s *Store) attachActor(ctx context.Context, acc *Account) error {
	a := new(Actor)
	if err := s.DB.NewSelect().Model(a).Where("account_id = ?", acc.ID).Scan(ctx); err != nil {
		return dbErr("account actor", err)
	}
	acc.Actor = a
	return nil
}

// ListAccounts lists live accounts by name.
func (s *Store) ListAccounts(ctx context.Context) ([]*Account, error) {
	var out []*Account
	err := s.DB.NewSelect().Model(&out).Where("deleted_at IS NULL").Order("username").Scan(ctx)
	return out, dbErr("list accounts", err)
}

// SetRole changes an account's role; administrators only (by nil is the
// operator's command line), never their own, so an instance does not lose
// its last administrator by accident. The audit log records who did it.
func (s *Store) SetRole(ctx context.Context, by *Account, username, role string) error {
	if role != RoleMember && role != RoleModerator && role != RoleAdmin {
		return Invalid("role", "must be member, moderator or admin")
	}
	if by != nil && !by.IsAdmin() {
		return ErrForbidden
	}
	return s.updateAccount(ctx, by, username, "set_role:"+role, "", func(ctx context.Context, tx bun.Tx, acc *Account) error {
		if by != nil && by.ID == acc.ID {
			return Invalid("action", "you cannot change your own role")
		}
		_, err := tx.NewUpdate().Model((*Account)(nil)).Set("role = ?", role).Where("id = ?", acc.ID).Exec(ctx)
		return dbErr("set role", err)
	})
}

// SetDisabled disables or re-enables an account. A disabled account cannot
// log in, its sessions and tokens are revoked, and the open reports about
// it are closed as actioned, with reason as their resolution. Administrators
// may disable any account but their own; moderators may disable members,
// not other staff (as Mastodon's moderator role), so the report queue can
// be acted on without an administrator, and may re-enable the members a
// moderator disabled, not those an administrator or the operator did.
func (s *Store) SetDisabled(ctx context.Context, by *Account, username string, disabled bool, reason string) error {
	if by != nil && !by.IsModerator() {
		return ErrForbidden
	}
	reason = Excerpt(strings.TrimSpace(reason), MaxReportReason)
	return s.updateAccount(ctx, by, username, fmt.Sprintf("set_disabled:%t", disabled), reason, func(ctx context.Context, tx bun.Tx, acc *Account) error {
		if err := mayDisable(by, acc.Username, acc.Role, acc.Decider); err != nil {
			return err
		}
		if acc.Disabled == disabled {
			return fmt.Errorf("%w: nothing to change", ErrConflict)
		}
		if !disabled {
			if err := mayEnable(by, acc.DisabledByRole); err != nil {
				return err
			}
		}
		role := ""
		if disabled {
			role = disablerRole(by)
		}
		if _, err := tx.NewUpdate().Model((*Account)(nil)).Set("disabled = ?", disabled).Set("disabled_by_role = ?", role).
			Where("id = ?", acc.ID).Exec(ctx); err != nil {
			return dbErr("disable account", err)
		}
		if !disabled {
			return nil
		}
		if err := s.revokeCredentials(ctx, tx, acc.ID); err != nil {
			return err
		}
		actors := tx.NewSelect().TableExpr("actors").Column("id").Where("account_id = ?", acc.ID)
		return s.actionReports(ctx, tx, by, s.Now(), reason, ObjectTypeAccount, actors)
	})
}

// mayDisable is who may disable or re-enable the account username of the
// given role and decider mark: the operator (by nil) anyone;
// administrators anyone but themselves; moderators members who are not
// verified decision-makers (whom administrators mark, and whose answers
// a moderator must not be able to silence). Re-enabling also asks
// mayEnable.
func mayDisable(by *Account, username, role string, decider bool) error {
	switch {
	case by == nil:
		return nil
	case by.Username == username:
		return Invalid("action", "you cannot disable yourself")
	case by.IsAdmin(), by.IsModerator() && role == RoleMember && !decider:
		return nil
	case by.IsModerator():
		return fmt.Errorf("%w: only administrators disable moderators, administrators and decision-makers", ErrForbidden)
	}
	return ErrForbidden
}

// mayEnable is who may re-enable an account disabled by disabledByRole:
// a moderator only what a moderator disabled, so that a moderator cannot
// undo an administrator's (or the operator's) decision. An unknown role
// (accounts disabled before it was recorded) counts as an administrator.
func mayEnable(by *Account, disabledByRole string) error {
	if by == nil || by.IsAdmin() || disabledByRole == RoleModerator {
		return nil
	}
	return fmt.Errorf("%w: an administrator disabled this account; only an administrator can re-enable it", ErrForbidden)
}

// disablerRole is the role recorded for an account disabled by by: the
// operator's command line (by nil) counts as an administrator.
func disablerRole(by *Account) string {
	if by != nil && !by.IsAdmin() {
		return RoleModerator
	}
	return RoleAdmin
}

// SetDecider marks an account as a verified decision-maker, who may be
// the addressee of petitions and answer them; administrators only.
func (s *Store) SetDecider(ctx context.Context, by *Account, username string, decider bool) error {
	if by != nil && !by.IsAdmin() {
		return ErrForbidden
	}
	return s.updateAccount(ctx, by, username, fmt.Sprintf("set_decider:%t", decider), "", func(ctx context.Context, tx bun.Tx, acc *Account) error {
		_, err := tx.NewUpdate().Model((*Account)(nil)).Set("decider = ?", decider).Where("id = ?", acc.ID).Exec(ctx)
		return dbErr("set decider", err)
	})
}

// updateAccount applies change to the live account username in one
// transaction with its audit entry (detail: the reason given).
func (s *Store) updateAccount(ctx context.Context, by *Account, username, action, detail string, change func(context.Context, bun.Tx, *Account) error) error {
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		acc := new(Account)
		q := tx.NewSelect().Model(acc).Where("username = ? AND deleted_at IS NULL", username)
		if s.Dialect == Postgres {
			// Checks read the role and state: two changes at once (a
			// promotion and a moderator's disable) must not both pass.
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return dbErr("find account", err)
		}
		if err := change(ctx, tx, acc); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, action, "account", username, detail)
	})
}

// revokeCredentials ends every way into the account but its password:
// sessions, API tokens and pending password reset links. Whatever
// changes who may get in (a new password, the account disabled, its
// e-mail address changed) calls it, so a link mailed before cannot be
// used after (a disabled account re-enabled included).
func (s *Store) revokeCredentials(ctx context.Context, tx bun.IDB, accountID int64) error {
	if _, err := tx.NewDelete().Model((*Session)(nil)).Where("account_id = ?", accountID).Exec(ctx); err != nil {
		return dbErr("revoke sessions", err)
	}
	if _, err := tx.NewDelete().Model((*Token)(nil)).Where("account_id = ?", accountID).Exec(ctx); err != nil {
		return dbErr("revoke tokens", err)
	}
	return s.endPasswordResets(ctx, tx, accountID)
}

// ChangePassword replaces the password after checking the current one,
// and in the same transaction ends every session and revokes every API
// token of the account, and its pending reset links (setPassword):
// whoever knew the old password (or stole a cookie or token) is locked
// out. The caller starts a fresh session for the person who changed it.
func (s *Store) ChangePassword(ctx context.Context, acc *Account, current, next string) error {
	v := &ValidationError{}
	if _, err := s.Authenticate(ctx, acc.Username, current); errors.Is(err, ErrBadCredentials) {
		v.Add("current_password", "is wrong")
	} else if err != nil {
		return err
	}
	// The new password's problems are told with the current one's, on the
	// field that carries it (new_password), not at the next try.
	if err := v.Join(CheckPassword("new_password", next)); err != nil {
		return err
	}
	hash, err := newPasswordHash(ctx, s, "new_password", next)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.setPassword(ctx, tx, acc, acc, hash, "")
	})
}

// ForgetDeletedKeys wipes the private keys of deleted local actors once
// nothing they signed is left to send: no unprocessed event of theirs and
// no pending delivery they sign (retries last about two days). Until then
// the key signs the actor's own Delete: Mastodon ignores an activity
// signed by any other actor than its own (ProcessCollectionService,
// different_actor?), so a Delete{Person} signed by the instance actor
// never reached Mastodon followers. It returns how many keys it wiped.
func (s *Store) ForgetDeletedKeys(ctx context.Context) (int64, error) {
	res, err := s.DB.NewUpdate().Model((*Actor)(nil)).Set("private_key_pem = ''").
		Where("local AND deleted_at IS NOT NULL AND private_key_pem <> ''").
		Where("NOT EXISTS (SELECT 1 FROM events AS e WHERE e.actor_id = actor.id AND e.processed_at IS NULL)").
		Where("NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.signer_id = actor.id AND d.state = ?)", DeliveryPending).
		Exec(ctx)
	if err != nil {
		return 0, dbErr("forget deleted keys", err)
	}
	return res.RowsAffected()
}

// DeleteAccount erases an account's personal data (GDPR right to erasure):
// e-mail (confirmed and pending), password, role, language, sessions,
// tokens, password reset and address confirmation links and profile (display name, bio, avatar: its file too) are removed (the privacy page promises that only the name stays), the actor
// becomes "deleted account"; contributions stay, shown as by a deleted
// account. The actor's private key (generated by the server, not personal
// data) stays until what the actor must still sign is sent: its Delete
// and the withdrawals of its votes (ForgetDeletedKeys). The name stays
// claimed so nobody can impersonate it.
// AccountDeleted hooks (civic rules about withdrawing votes) run in the
// same transaction.
func (s *Store) DeleteAccount(ctx context.Context, acc *Account) error {
	now := s.Now()
	var avatar *Upload
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		cur := new(Account)
		if err := tx.NewSelect().Model(cur).Where("id = ?", acc.ID).Scan(ctx); err != nil {
			return dbErr("find account", err)
		}
		var err error
		if avatar, err = takeAvatar(ctx, tx, cur); err != nil {
			return err
		}
		_, err = tx.NewUpdate().Model((*Account)(nil)).Where("id = ?", acc.ID).
			Set("email = ''").Set("pending_email = ''").Set("password_hash = ''").Set("disabled = ?", true).
			Set("decider = ?", false).Set("role = ?", RoleMember).Set("locale = ''").Set("bio = ''").
			Set("email_digest = ?", false).Set("digest_sent_at = NULL").Set("digest_from = NULL").Set("avatar_id = NULL").Set("deleted_at = ?", now).Exec(ctx)
		if err != nil {
			return dbErr("erase account", err)
		}
		if err := s.revokeCredentials(ctx, tx, acc.ID); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*passwordReset)(nil)).Where("account_id = ?", acc.ID).Exec(ctx); err != nil {
			return dbErr("erase password resets", err)
		}
		if _, err := tx.NewDelete().Model((*emailConfirmation)(nil)).Where("account_id = ?", acc.ID).Exec(ctx); err != nil {
			return dbErr("erase e-mail confirmations", err)
		}
		_, err = tx.NewUpdate().Model((*Actor)(nil)).Where("account_id = ?", acc.ID).
			Set("name = ''").Set("summary = ''").Set("icon_url = ''").Set("icon_media_type = ''").
			Set("deleted_at = ?", now).Set("updated_at = ?", now).Exec(ctx)
		if err != nil {
			return dbErr("erase actor", err)
		}
		for _, hook := range accountDeletedHooks {
			if err := hook(ctx, s, tx, acc); err != nil {
				return err
			}
		}
		actorID := int64(0)
		if acc.Actor != nil {
			actorID = acc.Actor.ID
		}
		return s.emit(ctx, tx, Event{Kind: EventAccountDeleted, ObjectType: "account", ObjectID: acc.ID, ActorID: actorID})
	})
	if err == nil && avatar != nil {
		s.removeUploadFile(avatar.Key)
	}
	return err
}

// accountDeletedHooks let other parts of models (votes, supports,
// signatures) apply their own rule when an account is erased.
var accountDeletedHooks []func(ctx context.Context, s *Store, tx bun.Tx, acc *Account) error
