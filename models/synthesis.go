package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Synthesis events. synthesis.published is emitted once, on the first
// publication; later edits emit synthesis.updated. Data:
// {"consultation_id": N, "title": "consultation title", "recipients": N}.
// Federation sends it as an Article (name, summary, url) announced by the
// space; SynthesisRecipients lists the contributors to address.
const (
	EventSynthesisPublished = "synthesis.published"
	EventSynthesisUpdated   = "synthesis.updated"
)

// NotifySynthesisPublished is the notification kind sent to each local
// contributor when a synthesis is published; ObjectType "consultation".
const NotifySynthesisPublished = "synthesis.published"

// MaxSynthesisBody bounds a synthesis text.
const MaxSynthesisBody = 200000

// Synthesis is the moderators' account of what a consultation produced,
// linking to the contributions it cites. A consultation has at most one.
type Synthesis struct {
	bun.BaseModel  `bun:"table:syntheses"`
	ID             int64      `bun:",pk,autoincrement"`
	URI            string     `bun:"uri,notnull"`
	SpaceID        int64      `bun:",notnull"`
	ConsultationID int64      `bun:",notnull"`
	AuthorID       int64      `bun:",notnull"`
	Body           string     `bun:",notnull"`
	BodyHTML       string     `bun:"body_html,notnull"`
	PublishedAt    *time.Time `bun:",nullzero"`
	CreatedAt      time.Time  `bun:",notnull"`
	UpdatedAt      time.Time  `bun:",notnull"`
}

// SynthesisRecipient records that a contributor was told about a
// synthesis; its primary key (synthesis, actor) makes "exactly once" a
// database rule, whatever the number of publications or retries.
type SynthesisRecipient struct {
	bun.BaseModel `bun:"table:synthesis_recipients"`
	SynthesisID   int64      `bun:",pk"`
	ActorID       int64      `bun:",pk"`
	NotifiedAt    time.Time  `bun:",notnull"`
	EmailedAt     *time.Time `bun:",nullzero"`
}

// SynthesisURI is the id of a local synthesis.
func (u URLs) SynthesisURI(consultationID int64) string {
	return u.ConsultationURI(consultationID) + "/synthesis"
}

// SaveSynthesis writes or edits the synthesis of a consultation without
// publishing it (a draft only moderators see); moderators only. Once
// published, saving edits the public text (without notifying again).
func (s *Store) SaveSynthesis(ctx context.Context, by *Account, consultationID int64, body string) (*Synthesis, error) {
	return s.writeSynthesis(ctx, by, consultationID, body, false)
}

// PublishSynthesis writes and publishes the synthesis. It is allowed from
// the synthesis phase on. The first publication tells every contributor
// (authors, commenters, voters, supporters, signers; local ones get an
// in-app notification, and an e-mail when SMTP is configured) exactly
// once and emits synthesis.published; later publications only update.
func (s *Store) PublishSynthesis(ctx context.Context, by *Account, consultationID int64, body string) (*Synthesis, error) {
	return s.writeSynthesis(ctx, by, consultationID, body, true)
}

func (s *Store) writeSynthesis(ctx context.Context, by *Account, consultationID int64, body string, publish bool) (*Synthesis, error) {
	if !by.IsModerator() {
		return nil, ErrForbidden
	}
	body = strings.TrimSpace(body)
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		return nil, Invalid("body", "must not be empty")
	case n > MaxSynthesisBody:
		return nil, Invalid("body", fmt.Sprintf("must have at most %d characters", MaxSynthesisBody))
	}
	c, err := s.ConsultationByID(ctx, consultationID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if publish {
		if p := c.PhaseAt(now); p != PhaseSynthesis && p != PhaseClosed {
			return nil, &PhaseError{Consultation: c.Title, Phase: p, Action: "publish the synthesis", Next: c.SynthesisAt}
		}
	}
	var out *Synthesis
	for attempt := 0; ; attempt++ {
		// Two first publications racing on PostgreSQL: the loser hits the
		// unique consultation_id and retries as an update.
		err = s.publishTx(ctx, by, c, body, publish, now, &out)
		if !errors.Is(err, ErrDuplicate) || attempt == 2 {
			return out, err
		}
	}
}

func (s *Store) publishTx(ctx context.Context, by *Account, c *Consultation, body string, publish bool, now time.Time, res **Synthesis) error {
	sp, err := s.SpaceByID(ctx, c.SpaceID)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		syn := new(Synthesis)
		q := tx.NewSelect().Model(syn).Where("consultation_id = ?", c.ID)
		if s.Dialect == Postgres {
			q = q.For("UPDATE") // SQLite transactions are already exclusive (BEGIN IMMEDIATE)
		}
		err := q.Scan(ctx)
		if err = dbErr("load synthesis", err); err != nil && err != ErrNotFound {
			return err
		}
		first := false
		if err == ErrNotFound {
			syn = &Synthesis{URI: s.URLs.SynthesisURI(c.ID), SpaceID: c.SpaceID, ConsultationID: c.ID, AuthorID: by.Actor.ID, CreatedAt: now}
		}
		syn.Body, syn.BodyHTML, syn.UpdatedAt = body, RenderMarkdown(body), now
		if publish && syn.PublishedAt == nil {
			syn.PublishedAt, first = &now, true
		}
		if syn.ID == 0 {
			if _, err := tx.NewInsert().Model(syn).Exec(ctx); err != nil {
				return dbErr("insert synthesis", err)
			}
		} else if _, err := tx.NewUpdate().Model(syn).WherePK().Exec(ctx); err != nil {
			return dbErr("update synthesis", err)
		}
		*res = syn
		if syn.PublishedAt == nil {
			return s.audit(ctx, tx, by, "save_synthesis", "consultation", strconv.FormatInt(c.ID, 10), "")
		}
		recipients := 0
		if first {
			if recipients, err = s.tellContributors(ctx, tx, c, syn, by); err != nil {
				return err
			}
		}
		kind := EventSynthesisUpdated
		if first {
			kind = EventSynthesisPublished
		}
		if err := s.audit(ctx, tx, by, "publish_synthesis", "consultation", strconv.FormatInt(c.ID, 10), kind); err != nil {
			return err
		}
		return s.emit(ctx, tx, Event{Kind: kind, ObjectType: "synthesis", ObjectID: syn.ID, ActorID: sp.ActorID, SpaceID: c.SpaceID,
			Data: consultationData(map[string]any{"consultation_id": c.ID, "title": c.Title, "recipients": recipients})})
	})
}

// tellContributors records every contributor of c as a recipient of syn
// (at most once each, by primary key) and notifies the local ones that
// were not recorded before. It returns how many were newly recorded.
func (s *Store) tellContributors(ctx context.Context, tx bun.IDB, c *Consultation, syn *Synthesis, by *Account) (int, error) {
	rows, err := s.consultationRows(ctx, tx, c.ID)
	if err != nil {
		return 0, err
	}
	var actors []int64
	for _, r := range rows {
		if r.ActorID != 0 {
			actors = append(actors, r.ActorID)
		}
	}
	slices.Sort(actors)
	actors = slices.Compact(actors)
	var already []int64
	if err := tx.NewSelect().Model((*SynthesisRecipient)(nil)).Column("actor_id").Where("synthesis_id = ?", syn.ID).Scan(ctx, &already); err != nil {
		return 0, dbErr("synthesis recipients", err)
	}
	now := s.Now()
	var fresh []int64
	for _, chunk := range chunkIDs(actors, 400) {
		recs := make([]SynthesisRecipient, 0, len(chunk))
		for _, a := range chunk {
			if !slices.Contains(already, a) {
				recs = append(recs, SynthesisRecipient{SynthesisID: syn.ID, ActorID: a, NotifiedAt: now})
				fresh = append(fresh, a)
			}
		}
		if len(recs) == 0 {
			continue
		}
		if _, err := tx.NewInsert().Model(&recs).Exec(ctx); err != nil {
			return 0, dbErr("record synthesis recipients", err)
		}
	}
	for _, chunk := range chunkIDs(fresh, 400) {
		var accounts []int64
		err := tx.NewSelect().Model((*Actor)(nil)).Column("account_id").
			Where("id IN (?) AND account_id IS NOT NULL AND deleted_at IS NULL", bun.In(chunk)).Scan(ctx, &accounts)
		if err != nil {
			return 0, dbErr("contributor accounts", err)
		}
		n := Notification{Kind: NotifySynthesisPublished, ObjectType: "consultation", ObjectID: c.ID, ActorID: by.Actor.ID, Data: c.Title}
		if err := s.Notify(ctx, tx, accounts, n); err != nil {
			return 0, err
		}
	}
	return len(fresh), nil
}

func chunkIDs(ids []int64, size int) [][]int64 {
	var out [][]int64
	for len(ids) > 0 {
		n := min(len(ids), size)
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	return out
}

// SynthesisOf returns a consultation's synthesis; drafts (not published)
// only when withDraft (moderators).
func (s *Store) SynthesisOf(ctx context.Context, consultationID int64, withDraft bool) (*Synthesis, error) {
	syn := new(Synthesis)
	q := s.DB.NewSelect().Model(syn).Where("consultation_id = ?", consultationID)
	if !withDraft {
		q = q.Where("published_at IS NOT NULL")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, dbErr("synthesis", err)
	}
	return syn, nil
}

// SynthesisByID loads a synthesis (published or not).
func (s *Store) SynthesisByID(ctx context.Context, id int64) (*Synthesis, error) {
	syn := new(Synthesis)
	err := s.DB.NewSelect().Model(syn).Where("id = ?", id).Scan(ctx)
	return syn, dbErr("synthesis by id", err)
}

// SynthesisRecipients returns the actors told about a synthesis (local
// and remote), for federation to address the published Article.
func (s *Store) SynthesisRecipients(ctx context.Context, synthesisID int64) ([]*Actor, error) {
	var out []*Actor
	err := s.DB.NewSelect().Model(&out).
		Where("id IN (SELECT actor_id FROM synthesis_recipients WHERE synthesis_id = ?)", synthesisID).Order("id").Scan(ctx)
	return out, dbErr("synthesis recipients", err)
}

// SynthesisEmail is one e-mail to send about a published synthesis: of
// a consultation here, or of another instance's (RemoteSynthesisID set,
// URL its consultation's page there).
type SynthesisEmail struct {
	SynthesisID       int64
	RemoteSynthesisID int64
	ActorID           int64
	AccountID         int64
	Email             string
	Locale            string
	Username          string
	ConsultationID    int64
	Title             string
	URL               string
}

// PendingSynthesisEmails lists recipients with an e-mail address who were
// not e-mailed yet (QueueSynthesisEmails queues them), local syntheses
// first.
func (s *Store) PendingSynthesisEmails(ctx context.Context, limit int) ([]SynthesisEmail, error) {
	limit = clampLimit(limit)
	var out []SynthesisEmail
	err := s.DB.NewSelect().TableExpr("synthesis_recipients AS r").
		ColumnExpr("r.synthesis_id, r.actor_id, acc.id AS account_id, acc.email, acc.locale, acc.username, c.id AS consultation_id, c.title").
		Join("JOIN actors AS a ON a.id = r.actor_id").
		Join("JOIN accounts AS acc ON acc.id = a.account_id").
		Join("JOIN syntheses AS syn ON syn.id = r.synthesis_id").
		Join("JOIN consultations AS c ON c.id = syn.consultation_id").
		Where("r.emailed_at IS NULL AND acc.email <> '' AND acc.deleted_at IS NULL AND NOT acc.disabled").
		OrderExpr("r.synthesis_id, r.actor_id").Limit(int64(limit)).Scan(ctx, &out)
	if err != nil || len(out) == limit {
		return out, dbErr("pending synthesis e-mails", err)
	}
	var remote []SynthesisEmail
	err = s.DB.NewSelect().TableExpr("remote_synthesis_recipients AS r").
		ColumnExpr("r.remote_synthesis_id, r.actor_id, acc.id AS account_id, acc.email, acc.locale, acc.username, syn.title, syn.url").
		Join("JOIN actors AS a ON a.id = r.actor_id").
		Join("JOIN accounts AS acc ON acc.id = a.account_id").
		Join("JOIN remote_syntheses AS syn ON syn.id = r.remote_synthesis_id").
		Where("r.emailed_at IS NULL AND acc.email <> '' AND acc.deleted_at IS NULL AND NOT acc.disabled").
		OrderExpr("r.remote_synthesis_id, r.actor_id").Limit(int64(limit-len(out))).Scan(ctx, &remote)
	return append(out, remote...), dbErr("pending remote synthesis e-mails", err)
}

// markSynthesisEmailed marks e's recipient e-mailed in db, and reports
// whether this call did (not an earlier one, nor another node's).
func markSynthesisEmailed(ctx context.Context, db bun.IDB, e SynthesisEmail, now time.Time) (bool, error) {
	q := db.NewUpdate().Model((*SynthesisRecipient)(nil)).Where("synthesis_id = ?", e.SynthesisID)
	if e.RemoteSynthesisID != 0 {
		q = db.NewUpdate().Model((*RemoteSynthesisRecipient)(nil)).Where("remote_synthesis_id = ?", e.RemoteSynthesisID)
	}
	res, err := q.Set("emailed_at = ?", now).Where("actor_id = ? AND emailed_at IS NULL", e.ActorID).Exec(ctx)
	if err != nil {
		return false, dbErr("mark synthesis e-mailed", err)
	}
	n, err := res.RowsAffected()
	return n == 1, dbErr("mark synthesis e-mailed", err)
}

// QueueSynthesisEmails moves up to limit pending synthesis e-mails
// (PendingSynthesisEmails) to the mail outbox, written by compose (the
// web door, in the member's language), and reports how many it queued.
// Each is queued in the transaction that marks its recipient e-mailed,
// and only by the one that marks it: several nodes running it at once
// queue each e-mail once, and the outbox's claim sends it once.
func (s *Store) QueueSynthesisEmails(ctx context.Context, limit int, compose func(SynthesisEmail) Mail) (int, error) {
	pending, err := s.PendingSynthesisEmails(ctx, limit)
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, e := range pending {
		mine, err := s.queueOnce(ctx, func(ctx context.Context, tx bun.Tx, now time.Time) (bool, error) {
			return markSynthesisEmailed(ctx, tx, e, now)
		}, func() Mail {
			m := compose(e)
			m.AccountID, m.Username, m.Address = e.AccountID, e.Username, e.Email
			return m
		})
		if err != nil {
			return queued, err
		}
		if mine {
			queued++
		}
	}
	return queued, nil
}

func init() {
	notificationObjects["consultation"] = func(ctx context.Context, s *Store, ids []int64) (map[int64]NotificationObject, error) {
		var cs []*Consultation
		if err := s.DB.NewSelect().Model(&cs).Where("id IN (?) AND deleted_at IS NULL", bun.In(ids)).Scan(ctx); err != nil {
			return nil, dbErr("describe consultations", err)
		}
		out := map[int64]NotificationObject{}
		for _, c := range cs {
			out[c.ID] = NotificationObject{Title: c.Title, URL: "/consultations/" + strconv.FormatInt(c.ID, 10)}
		}
		return out, nil
	}
	// Recipients are personal data: forget them with the account's actor.
	accountDeletedHooks = append(accountDeletedHooks, func(ctx context.Context, s *Store, tx bun.Tx, acc *Account) error {
		_, err := tx.NewUpdate().Model((*SynthesisRecipient)(nil)).Set("emailed_at = ?", s.Now()).
			Where("actor_id IN (SELECT id FROM actors WHERE account_id = ?) AND emailed_at IS NULL", acc.ID).Exec(ctx)
		return dbErr("forget synthesis e-mails", err)
	})
}
