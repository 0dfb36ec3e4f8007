package models

import (
	"context"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// Notification kinds created by proposals and petitions; other parts of
// the civic core (comments, debates) define their own.
const (
	NotifyProposalThreshold = "proposal.threshold" // a proposal reached its space's support threshold
	NotifyProposalAnswered  = "proposal.answered"  // a moderator set a status with an official answer
	NotifyPetitionUpdate    = "petition.update"    // the author posted an update; ObjectID is the petition
	NotifyPetitionAnswered  = "petition.answered"  // the addressee posted the official response
	NotifyPetitionMilestone = "petition.milestone" // Data holds the percentage reached, e.g. "50"
	// NotifyPetitionReaddressed: a moderator gave the petition a new
	// addressee (its former one can no longer answer); sent to the new
	// addressee, the author and the signers.
	NotifyPetitionReaddressed = "petition.readdressed"
	// NotifyPetitionClosed: the petition was closed before its deadline;
	// Data is who closed it (ClosedByAuthor or ClosedByModerator). Sent
	// to the signers, and to the author when a moderator closed it.
	NotifyPetitionClosed = "petition.closed"
)

// Notification tells a local account that something it takes part in
// changed. Only local accounts get notifications; remote actors learn
// through federation.
type Notification struct {
	bun.BaseModel `bun:"table:notifications"`
	ID            int64 `bun:",pk,autoincrement" json:"id"`
	AccountID     int64 `bun:",notnull" json:"-"`
	// Kind says what happened, e.g. "proposal.answered".
	Kind string `bun:",notnull" json:"kind"`
	// ObjectType and ObjectID name the object to show ("proposal", 12).
	ObjectType string `bun:",notnull" json:"object_type"`
	ObjectID   int64  `bun:",notnull" json:"object_id"`
	// ActorID is who caused it (0: the system, e.g. a threshold).
	ActorID int64 `bun:",nullzero" json:"-"`
	// Data is a short kind-specific value (a percentage, an excerpt).
	Data      string     `bun:",notnull" json:"data,omitempty"`
	CreatedAt time.Time  `bun:",notnull" json:"created_at"`
	ReadAt    *time.Time `bun:",nullzero" json:"read_at,omitempty"`
	// DigestedAt is when an e-mail digest told it (QueueNotificationDigests),
	// nil until one does.
	DigestedAt *time.Time `bun:",nullzero" json:"-"`
}

// notifyBatch bounds rows per INSERT, below SQLite's variable limit.
const notifyBatch = 500

// Notify records n for each account in accountIDs inside tx, so a
// notification exists exactly when the change that caused it commits.
// Duplicate and zero ids are ignored; AccountID, ID, CreatedAt and ReadAt
// of n are set here. Callers pass the accounts to tell (e.g. supporters),
// usually without the actor who caused the change.
func (s *Store) Notify(ctx context.Context, tx bun.IDB, accountIDs []int64, n Notification) error {
	ids := slices.Clone(accountIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > 0 && ids[0] == 0 {
		ids = ids[1:]
	}
	now := s.Now()
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), notifyBatch)]
		ids = ids[len(chunk):]
		rows := make([]Notification, len(chunk))
		for i, id := range chunk {
			rows[i] = Notification{AccountID: id, Kind: n.Kind, ObjectType: n.ObjectType, ObjectID: n.ObjectID,
				ActorID: n.ActorID, Data: n.Data, CreatedAt: now}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return dbErr("notify", err)
		}
	}
	return nil
}

// NotificationObject is what a notification points at, for display.
type NotificationObject struct {
	Title string
	URL   string
}

// NotificationView is a notification with its object and actor resolved.
type NotificationView struct {
	Notification
	Object    *NotificationObject // nil when the object is gone or hidden
	ActorName string              // empty for system notifications
}

// notificationObjects describe the objects notifications point at, by
// object type; each civic file registers its own in init (ids are unique,
// the result maps id to object and may omit gone or hidden ones).
var notificationObjects = map[string]func(ctx context.Context, s *Store, ids []int64) (map[int64]NotificationObject, error){}

// Notifications lists an account's notifications, newest first. before is
// the id cursor (0: from the newest).
func (s *Store) Notifications(ctx context.Context, acc *Account, before int64, limit int) ([]NotificationView, error) {
	var rows []Notification
	q := s.DB.NewSelect().Model(&rows).Where("account_id = ?", acc.ID).Order("id DESC").Limit(int64(clampLimit(limit)))
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, dbErr("notifications", err)
	}
	return s.viewNotifications(ctx, rows)
}

// viewNotifications resolves the objects and actors of rows, in order.
func (s *Store) viewNotifications(ctx context.Context, rows []Notification) ([]NotificationView, error) {
	byType := map[string][]int64{}
	var actorIDs []int64
	for _, n := range rows {
		byType[n.ObjectType] = append(byType[n.ObjectType], n.ObjectID)
		if n.ActorID != 0 {
			actorIDs = append(actorIDs, n.ActorID)
		}
	}
	objects := map[string]map[int64]NotificationObject{}
	for typ, ids := range byType {
		describe, ok := notificationObjects[typ]
		if !ok {
			continue
		}
		slices.Sort(ids)
		m, err := describe(ctx, s, slices.Compact(ids))
		if err != nil {
			return nil, err
		}
		objects[typ] = m
	}
	actors, err := s.actorsByID(ctx, actorIDs)
	if err != nil {
		return nil, err
	}
	out := make([]NotificationView, len(rows))
	for i, n := range rows {
		out[i] = NotificationView{Notification: n}
		if a := actors[n.ActorID]; a != nil {
			out[i].ActorName = a.DisplayName()
		}
		if o, ok := objects[n.ObjectType][n.ObjectID]; ok {
			out[i].Object = &o
		}
	}
	return out, nil
}

// UnreadNotifications counts an account's unread notifications.
func (s *Store) UnreadNotifications(ctx context.Context, acc *Account) (int, error) {
	n, err := s.DB.NewSelect().Model((*Notification)(nil)).Where("account_id = ? AND read_at IS NULL", acc.ID).Count(ctx)
	return int(n), dbErr("unread notifications", err)
}

// MarkNotificationsRead marks every notification of acc as read.
func (s *Store) MarkNotificationsRead(ctx context.Context, acc *Account) error {
	_, err := s.DB.NewUpdate().Model((*Notification)(nil)).Set("read_at = ?", s.Now()).
		Where("account_id = ? AND read_at IS NULL", acc.ID).Exec(ctx)
	return dbErr("mark notifications read", err)
}

// accountIDsOfActors returns the local accounts behind the actors that
// match the condition on actors.id (e.g. "id IN (?)" with a subquery of
// actor ids); remote and erased actors have none.
func accountIDsOfActors(ctx context.Context, tx bun.IDB, cond string, args ...any) ([]int64, error) {
	var ids []int64
	err := tx.NewSelect().Model((*Actor)(nil)).Column("account_id").Where(cond, args...).
		Where("account_id IS NOT NULL AND deleted_at IS NULL").Scan(ctx, &ids)
	return ids, dbErr("accounts of actors", err)
}

func init() {
	// Notifications are personal data: erased with the account.
	accountDeletedHooks = append(accountDeletedHooks, func(ctx context.Context, s *Store, tx bun.Tx, acc *Account) error {
		_, err := tx.NewDelete().Model((*Notification)(nil)).Where("account_id = ?", acc.ID).Exec(ctx)
		return dbErr("delete notifications", err)
	})
}
