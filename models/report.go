package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Report statuses: open in the queue, dismissed (nothing to do) or
// actioned (the object was hidden, the account disabled).
const (
	ReportOpen      = "open"
	ReportDismissed = "dismissed"
	ReportActioned  = "actioned"
)

// MaxReportReason bounds a report's reason.
const MaxReportReason = 1000

// Moderation event kinds. report.created Data: {"object_type","object_id"}
// (ObjectType "report"); object.hidden and object.restored carry the
// object's own type and id, Data {}.
const (
	EventReportCreated   = "report.created"
	EventReportForwarded = "report.forwarded" // a moderator forwarded it (Store.ForwardReport), Data {}
	EventObjectHidden    = "object.hidden"
	EventObjectRestored  = "object.restored"
)

// ObjectTypeAccount is the object type of a report about a local account
// (ObjectID is the account's actor): a remote Flag naming a user, or a
// member's report. It is not hidden like content: moderators dismiss it
// or disable the account (Store.SetDisabled), which closes it.
const ObjectTypeAccount = "account"

// Report is a request to moderators about a proposal, debate, petition,
// comment or local account, from a local form or a remote Flag. One per
// reporter and object.
type Report struct {
	bun.BaseModel `bun:"table:reports,alias:r"`
	ID            int64      `bun:",pk,autoincrement"`
	URI           string     `bun:"uri,nullzero"`
	ObjectType    string     `bun:",notnull"`
	ObjectID      int64      `bun:",notnull"`
	ReporterID    int64      `bun:",notnull"`
	SpaceID       int64      `bun:",nullzero"`
	Reason        string     `bun:",notnull"`
	Status        string     `bun:",notnull"`
	Resolution    string     `bun:",notnull"`
	ResolvedBy    int64      `bun:",nullzero"`
	ResolvedAt    *time.Time `bun:",nullzero"`
	CreatedAt     time.Time  `bun:",notnull"`
	Forward       bool       `bun:",notnull"` // the reporter asked to forward it (ReportToForward)
	// ForwardedAt is when the report was sent on to its content's server:
	// when filed if the reporter asked, else when a moderator forwarded it
	// (ForwardedBy, the moderator's account; 0 when the reporter asked).
	ForwardedAt *time.Time `bun:",nullzero"`
	ForwardedBy int64      `bun:",nullzero"`
	// ForwardComment is the moderator's message sent with a report
	// forwarded later, in place of the reporter's reason ("" for none).
	ForwardComment string `bun:",notnull"`
	// ForwardStatus is what became of the forward: ForwardQueued,
	// ForwardDelivered, ForwardFailed, or ForwardSent for a report
	// forwarded before odn followed its Flag; "" while not forwarded.
	// ForwardedAt stays when it was sent to the outbox.
	ForwardStatus string `bun:",notnull"`
	// ForwardDeliveredAt is when the content's server answered 2xx to
	// the Flag.
	ForwardDeliveredAt *time.Time `bun:",nullzero"`
	// ForwardAttempts counts the times the report was sent to the
	// outbox: a failed forward may be sent again, as a Flag of its own.
	ForwardAttempts int `bun:",notnull"`
	// ForwardError is why a failed forward failed (ForwardErrorBlocked…),
	// "" otherwise, and for forwards that failed before odn kept it.
	ForwardError string `bun:",notnull"`

	Reporter *Actor `bun:"rel:belongs-to,join:reporter_id=id"`
	// Forwarder is the moderator who forwarded it (filled by ListReports).
	Forwarder *Account `bun:"rel:belongs-to,join:forwarded_by=id"`
	// Target describes the reported object (filled by ListReports).
	Target *ReportTarget `bun:"-"`
}

// ReportTarget is what the moderation queue shows of a reported object.
type ReportTarget struct {
	Label    string
	URL      string
	Hidden   bool
	Disabled bool // a reported account that was disabled
	Gone     bool // deleted since the report
	// Account, Role and Decider are a reported account's user name, role
	// and decision-maker mark.
	Account string
	Role    string
	Decider bool
	// DisabledByRole is the role that disabled it (Account.DisabledByRole).
	DisabledByRole string
	// Origin is the host of the server the reported content comes from
	// (a copy, a remote comment), where the report can be forwarded; ""
	// for local content and accounts.
	Origin string
	// Blocked: Origin is a domain blocked here, so a report cannot be
	// forwarded there.
	Blocked bool
}

// MayDisable reports whether by may disable the reported account t or,
// when it is disabled, re-enable it (the rule of Store.SetDisabled).
func (t *ReportTarget) MayDisable(by *Account) bool {
	return t != nil && t.Account != "" && !t.Gone && by != nil && mayDisable(by, t.Account, t.Role, t.Decider) == nil &&
		(!t.Disabled || mayEnable(by, t.DisabledByRole) == nil)
}

// ReportInput is a new report. URI is the Flag activity id for remote
// reports (receiving it twice returns the first report). Forward asks
// that a local member's report of another server's content be sent on to
// that server, as Mastodon asks "Forward to <server>?": off unless asked,
// and ignored for anything else.
type ReportInput struct {
	ObjectType string `json:"object_type"`
	ObjectID   int64  `json:"object_id"`
	Reason     string `json:"reason"`
	Forward    bool   `json:"forward"`
	URI        string `json:"-"`
}

// CreateReport files a report by any actor (a local user, or the remote
// actor of a Flag, often an instance actor). Local reporters must give a
// reason; remote Flags may come without one.
func (s *Store) CreateReport(ctx context.Context, by *Actor, in ReportInput) (*Report, error) {
	if by == nil {
		return nil, ErrUnauthorized
	}
	if by.DeletedAt != nil {
		return nil, ErrForbidden
	}
	in.Reason = strings.TrimSpace(in.Reason)
	v := &ValidationError{}
	if _, ok := civicObjects[in.ObjectType]; !ok && in.ObjectType != ObjectTypeAccount {
		v.Add("object_type", "Only proposals, debates, petitions, comments and accounts can be reported.")
	}
	switch n := utf8.RuneCountInString(in.Reason); {
	case n == 0 && by.Local:
		v.Add("reason", "Please say why you report this.")
	case n > MaxReportReason && by.Local:
		v.Add("reason", fmt.Sprintf("A reason must have at most %d characters.", MaxReportReason))
	case n > MaxReportReason:
		in.Reason = Excerpt(in.Reason, MaxReportReason)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if in.URI != "" {
		r := new(Report)
		if err := s.DB.NewSelect().Model(r).Where("r.uri = ?", in.URI).Scan(ctx); err == nil {
			return r, nil
		} else if err := dbErr("report by uri", err); !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	r := &Report{URI: in.URI, ObjectType: in.ObjectType, ObjectID: in.ObjectID, ReporterID: by.ID, Reason: in.Reason,
		Status: ReportOpen, CreatedAt: s.Now()}
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if in.ObjectType == ObjectTypeAccount {
			if _, err := reportableAccount(ctx, tx, in.ObjectID); err != nil {
				return err
			}
		} else {
			obj, err := lookupObject(ctx, tx, in.ObjectType, in.ObjectID)
			if err != nil {
				return err
			}
			if obj.DeletedAt != nil {
				return ErrNotFound
			}
			r.SpaceID = obj.SpaceID
			r.Forward = in.Forward && by.Local && !obj.Local
			if r.Forward {
				at := r.CreatedAt
				r.ForwardedAt, r.ForwardStatus, r.ForwardAttempts = &at, ForwardQueued, 1
			}
		}
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			if err := dbErr("insert report", err); errors.Is(err, ErrDuplicate) {
				return fmt.Errorf("%w: you already reported this", ErrDuplicate)
			} else {
				return err
			}
		}
		data, _ := json.Marshal(map[string]any{"object_type": r.ObjectType, "object_id": r.ObjectID})
		return s.emit(ctx, tx, Event{Kind: EventReportCreated, ObjectType: "report", ObjectID: r.ID, ActorID: by.ID,
			SpaceID: r.SpaceID, Data: string(data)})
	})
	if err != nil {
		return nil, err
	}
	r.Reporter = by
	return r, nil
}

// ReportFilter selects reports for the moderation queue.
type ReportFilter struct {
	Status string // "" for all
	Before int64  // cursor: id of the last report of the previous page
	Limit  int
}

// ListReports lists reports, newest first, with what they target;
// moderators only.
func (s *Store) ListReports(ctx context.Context, by *Account, f ReportFilter) ([]*Report, error) {
	if !by.IsModerator() {
		return nil, ErrForbidden
	}
	var out []*Report
	q := s.DB.NewSelect().Model(&out).Relation("Reporter").
		Relation("Forwarder", func(q *bun.SelectQuery) *bun.SelectQuery { return q.Column("id", "username") }).
		OrderExpr("r.id DESC").Limit(int64(clampLimit(f.Limit)))
	if f.Status != "" {
		q = q.Where("r.status = ?", f.Status)
	}
	if f.Before > 0 {
		q = q.Where("r.id < ?", f.Before)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, dbErr("list reports", err)
	}
	return out, s.attachTargets(ctx, out)
}

// attachTargets describes the reported objects with one query per type.
func (s *Store) attachTargets(ctx context.Context, reports []*Report) error {
	ids := map[string][]int64{}
	for _, r := range reports {
		ids[r.ObjectType] = append(ids[r.ObjectType], r.ObjectID)
	}
	targets := map[string]map[int64]*ReportTarget{}
	var blocked BlockedSet // read once, when a target has an origin
	for typ, list := range ids {
		if typ == ObjectTypeAccount {
			t, err := s.accountTargets(ctx, list)
			if err != nil {
				return err
			}
			targets[typ] = t
			continue
		}
		o := civicObjects[typ]
		var rows []objectRef
		err := s.DB.NewSelect().TableExpr("?", bun.Ident(o.table)).
			ColumnExpr("id, uri, url, local, hidden_at, deleted_at").ColumnExpr("? AS label", bun.Ident(o.label)).
			Where("id IN (?)", bun.In(list)).Scan(ctx, &rows)
		if err != nil {
			return dbErr("report targets", err)
		}
		targets[typ] = map[int64]*ReportTarget{}
		for _, row := range rows {
			url := row.URI
			if !row.Local && row.URL != "" {
				url = row.URL
			}
			t := &ReportTarget{Label: Excerpt(PlainText(row.Label), notifyExcerpt), URL: url,
				Hidden: row.HiddenAt != nil, Gone: row.DeletedAt != nil, Origin: originHost(row.Local, row.URI)}
			if t.Origin != "" && blocked == nil {
				if blocked, err = s.blockedSet(ctx); err != nil {
					return err
				}
			}
			t.Blocked = blocked.Has(t.Origin)
			targets[typ][row.ID] = t
		}
	}
	for _, r := range reports {
		if t := targets[r.ObjectType][r.ObjectID]; t != nil {
			r.Target = t
		} else {
			r.Target = &ReportTarget{Gone: true}
		}
	}
	return nil
}

// reportableAccount is the account actor actorID, if a report may name
// it: a live local account, not disabled (disabling closed its reports,
// and a new one would stay open with nothing left to do). Remote actors
// are their server's to moderate (a domain block is this server's
// answer); spaces have no account.
func reportableAccount(ctx context.Context, db bun.IDB, actorID int64) (*Actor, error) {
	a := new(Actor)
	err := db.NewSelect().Model(a).Where("id = ? AND local AND account_id IS NOT NULL AND deleted_at IS NULL", actorID).Scan(ctx)
	if err != nil {
		return nil, dbErr("reported account", err)
	}
	disabled, err := db.NewSelect().TableExpr("accounts").Where("id = ? AND disabled", *a.AccountID).Exists(ctx)
	if err != nil {
		return nil, dbErr("reported account", err)
	}
	if disabled {
		return nil, fmt.Errorf("%w: this account is already disabled", ErrConflict)
	}
	return a, nil
}

// ReportedURL is the page of what a report names: a civic object's, or a
// reportable account's profile (ErrNotFound when it cannot be reported).
func (s *Store) ReportedURL(ctx context.Context, objectType string, id int64) (string, error) {
	if objectType == ObjectTypeAccount {
		a, err := reportableAccount(ctx, s.DB, id)
		if err != nil {
			return "", err
		}
		return a.URL, nil
	}
	obj, err := s.Object(ctx, objectType, id)
	if err != nil {
		return "", err
	}
	return obj.URL, nil
}

// accountTargets describes reported accounts by actor id: their handle,
// profile, and whether they were disabled or deleted since.
func (s *Store) accountTargets(ctx context.Context, actorIDs []int64) (map[int64]*ReportTarget, error) {
	var rows []struct {
		ID        int64
		Username  string
		URL       string
		Role      string
		Decider   bool
		Disabled  bool
		ByRole    string
		DeletedAt *time.Time
	}
	err := s.DB.NewSelect().TableExpr("actors AS a").Join("LEFT JOIN accounts AS acc ON acc.id = a.account_id").
		ColumnExpr("a.id, a.username, a.url, COALESCE(acc.role, '') AS role, COALESCE(acc.decider, FALSE) AS decider, COALESCE(acc.disabled, FALSE) AS disabled, COALESCE(acc.disabled_by_role, '') AS by_role, a.deleted_at").
		Where("a.id IN (?)", bun.In(actorIDs)).Scan(ctx, &rows)
	if err != nil {
		return nil, dbErr("reported accounts", err)
	}
	out := make(map[int64]*ReportTarget, len(rows))
	for _, row := range rows {
		out[row.ID] = &ReportTarget{Label: "@" + row.Username, URL: row.URL, Disabled: row.Disabled, DisabledByRole: row.ByRole,
			Gone: row.DeletedAt != nil, Account: row.Username, Role: row.Role, Decider: row.Decider}
	}
	return out, nil
}

// actionReports closes the open reports of objectType whose object_id is
// in ids (bun.In, or a subquery) as actioned, with reason as their
// resolution: what a moderator did answered them. by nil is the
// operator's command line.
func (s *Store) actionReports(ctx context.Context, tx bun.IDB, by *Account, at time.Time, reason, objectType string, ids any) error {
	q := tx.NewUpdate().Model((*Report)(nil)).Set("status = ?", ReportActioned).Set("resolution = ?", reason).
		Set("resolved_at = ?", at).
		Where("object_type = ? AND status = ? AND object_id IN (?)", objectType, ReportOpen, ids)
	if by != nil {
		q = q.Set("resolved_by = ?", by.ID)
	}
	_, err := q.Exec(ctx)
	return dbErr("resolve reports", err)
}

// DismissReport closes a report without action; moderators only, audited.
func (s *Store) DismissReport(ctx context.Context, by *Account, id int64, note string) error {
	if !by.IsModerator() {
		return ErrForbidden
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.Now()
		res, err := tx.NewUpdate().Model((*Report)(nil)).
			Set("status = ?", ReportDismissed).Set("resolution = ?", Excerpt(strings.TrimSpace(note), MaxReportReason)).
			Set("resolved_by = ?", by.ID).Set("resolved_at = ?", now).
			Where("id = ? AND status = ?", id, ReportOpen).Exec(ctx)
		if err != nil {
			return dbErr("dismiss report", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return s.audit(ctx, tx, by, "dismiss_report", "report", strconv.FormatInt(id, 10), note)
	})
}

// HideObject hides a proposal, debate, petition or comment: it disappears
// from every list, the API and feeds, and its permalink answers "hidden
// by moderation" (410) to everyone but moderators. Open reports on it are
// closed as actioned. Moderators only, audited.
func (s *Store) HideObject(ctx context.Context, by *Account, typ string, id int64, reason string) error {
	return s.setHidden(ctx, by, typ, id, true, reason)
}

// RestoreObject undoes HideObject; moderators only, audited.
func (s *Store) RestoreObject(ctx context.Context, by *Account, typ string, id int64, reason string) error {
	return s.setHidden(ctx, by, typ, id, false, reason)
}

func (s *Store) setHidden(ctx context.Context, by *Account, typ string, id int64, hide bool, reason string) error {
	if !by.IsModerator() {
		return ErrForbidden
	}
	o, ok := civicObjects[typ]
	if !ok {
		return ErrNotFound
	}
	reason = Excerpt(strings.TrimSpace(reason), MaxReportReason)
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		obj, err := lookupObject(ctx, tx, typ, id)
		if err != nil {
			return err
		}
		if (obj.HiddenAt != nil) == hide {
			return fmt.Errorf("%w: nothing to change", ErrConflict)
		}
		now := s.Now()
		var hiddenAt *time.Time
		action, kind := "restore", EventObjectRestored
		if hide {
			hiddenAt, action, kind = &now, "hide", EventObjectHidden
		}
		// The state is checked again by the update itself: of two
		// moderators hiding at once, the second finds nothing to change
		// (on PostgreSQL it waits for the first's row lock and re-reads).
		res, err := tx.NewUpdate().TableExpr("?", bun.Ident(o.table)).Set("hidden_at = ?", hiddenAt).
			Where("id = ? AND (hidden_at IS NULL) = ?", id, hide).Exec(ctx)
		if err != nil {
			return dbErr(action, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: nothing to change", ErrConflict)
		}
		if hide {
			if err := s.actionReports(ctx, tx, by, now, reason, typ, bun.In([]int64{id})); err != nil {
				return err
			}
		}
		if err := s.audit(ctx, tx, by, action, typ, strconv.FormatInt(id, 10), reason); err != nil {
			return err
		}
		var actorID int64
		if by.Actor != nil {
			actorID = by.Actor.ID
		}
		return s.emit(ctx, tx, Event{Kind: kind, ObjectType: typ, ObjectID: id, ActorID: actorID, SpaceID: obj.SpaceID, Data: "{}"})
	})
}

// AuditView is an audit entry with the moderator's name.
type AuditView struct {
	AuditEntry `bun:",extend"`
	Username   string `bun:"username"`
}

// AuditPage lists audit entries newest first, before the id cursor;
// moderators only.
func (s *Store) AuditPage(ctx context.Context, by *Account, before int64, limit int) ([]AuditView, error) {
	if !by.IsModerator() {
		return nil, ErrForbidden
	}
	var out []AuditView
	q := s.DB.NewSelect().TableExpr("audit_log AS e").ColumnExpr("e.*, COALESCE(a.username, '') AS username").
		Join("LEFT JOIN accounts AS a ON a.id = e.account_id").OrderExpr("e.id DESC").Limit(int64(clampLimit(limit)))
	if before > 0 {
		q = q.Where("e.id < ?", before)
	}
	if err := q.Scan(ctx, &out); err != nil {
		return nil, dbErr("audit page", err)
	}
	return out, nil
}
