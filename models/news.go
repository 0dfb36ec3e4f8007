package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// News events, federated as an Article announced by the space. Data:
// {"title": "…", "consultation_id": N or 0}.
const (
	EventNewsPublished = "news.published"
	EventNewsUpdated   = "news.updated"
	EventNewsDeleted   = "news.deleted"
)

// Limits of news posts.
const (
	MaxNewsTitle = 200
	MaxNewsBody  = 50000
)

// News is an announcement of a space (a workshop date, a result, a
// synthesis published…), optionally about one of its consultations.
type News struct {
	bun.BaseModel  `bun:"table:news"`
	ID             int64     `bun:",pk,autoincrement"`
	URI            string    `bun:"uri,notnull"`
	SpaceID        int64     `bun:",notnull"`
	ConsultationID *int64    `bun:",nullzero"`
	AuthorID       int64     `bun:",notnull"`
	Title          string    `bun:",notnull"`
	Body           string    `bun:",notnull"`
	BodyHTML       string    `bun:"body_html,notnull"`
	Search         string    `bun:",notnull"` // folded title and body
	PublishedAt    time.Time `bun:",notnull"`
	CreatedAt      time.Time `bun:",notnull"`
	UpdatedAt      time.Time `bun:",notnull"`
	// Version counts its edits (from 1): an edit made from another one is
	// refused with ErrEditConflict (see EditVersion).
	Version   int64      `bun:",notnull,default:1"`
	DeletedAt *time.Time `bun:",nullzero"`

	Author *Actor `bun:"-"`
}

// NewsInput is what a moderator writes.
type NewsInput struct {
	Title        string `json:"title"`
	Body         string `json:"body"`
	Consultation int64  `json:"consultation"`
	// IfVersion is the version the edit was made from (its If-Match, a
	// form's hidden field): another is refused with ErrEditConflict; 0
	// accepts any. Creating ignores it.
	IfVersion int64 `json:"-"`
}

func (in *NewsInput) validate() error {
	v := &ValidationError{}
	in.Title = strings.Join(strings.Fields(in.Title), " ")
	if n := utf8.RuneCountInString(in.Title); n < 3 || n > MaxNewsTitle {
		v.Add("title", fmt.Sprintf("must have 3 to %d characters", MaxNewsTitle))
	}
	in.Body = strings.TrimSpace(in.Body)
	switch n := utf8.RuneCountInString(in.Body); {
	case n == 0:
		v.Add("body", "must not be empty")
	case n > MaxNewsBody:
		v.Add("body", fmt.Sprintf("must have at most %d characters", MaxNewsBody))
	}
	return v.Err()
}

// NewsURI is the id (and permalink) of a local news post.
func (u URLs) NewsURI(id int64) string { return u.Base + "/news/" + strconv.FormatInt(id, 10) }

// PublishNews posts an announcement in a space; moderators only.
func (s *Store) PublishNews(ctx context.Context, by *Account, spaceName string, in NewsInput) (*News, error) {
	if !by.IsModerator() {
		return nil, ErrForbidden
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	sp, err := s.SpaceByName(ctx, spaceName)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	n := &News{URI: s.URLs.Base + "/news/new-" + newUploadKey(), SpaceID: sp.ID, AuthorID: by.Actor.ID, Title: in.Title,
		Body: in.Body, BodyHTML: RenderMarkdown(in.Body), Search: foldText(in.Title + "\n" + in.Body), PublishedAt: now, CreatedAt: now, UpdatedAt: now}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if in.Consultation != 0 {
			c := new(Consultation)
			if err := tx.NewSelect().Model(c).Where("id = ? AND deleted_at IS NULL", in.Consultation).Scan(ctx); err != nil || c.SpaceID != sp.ID {
				return Invalid("consultation", "This consultation does not exist in this space.")
			}
			n.ConsultationID = &c.ID
		}
		if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
			return dbErr("insert news", err)
		}
		n.URI = s.URLs.NewsURI(n.ID)
		if _, err := tx.NewUpdate().Model(n).Column("uri").WherePK().Exec(ctx); err != nil {
			return dbErr("set news uri", err)
		}
		if err := s.audit(ctx, tx, by, "publish_news", "space", sp.Name, n.Title); err != nil {
			return err
		}
		return s.emit(ctx, tx, Event{Kind: EventNewsPublished, ObjectType: "news", ObjectID: n.ID, ActorID: sp.ActorID, SpaceID: sp.ID,
			Data: consultationData(map[string]any{"title": n.Title, "consultation_id": in.Consultation})})
	})
	if err != nil {
		return nil, err
	}
	n.Author = by.Actor
	return n, nil
}

// UpdateNews edits a news post; moderators only. An edit made from
// another version than the current one (in.IfVersion) is refused with
// ErrEditConflict.
func (s *Store) UpdateNews(ctx context.Context, by *Account, id int64, in NewsInput) (*News, error) {
	if !by.IsModerator() {
		return nil, ErrForbidden
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	n, err := s.NewsByID(ctx, id)
	if err != nil {
		return nil, err
	}
	n.Title, n.Body, n.BodyHTML, n.UpdatedAt = in.Title, in.Body, RenderMarkdown(in.Body), s.Now()
	n.Search = foldText(in.Title + "\n" + in.Body)
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if n.Version, err = claimVersion(ctx, tx, "news", "version", n.ID, in.IfVersion); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(n).Column("title", "body", "body_html", "search", "updated_at", "version").WherePK().Exec(ctx); err != nil {
			return dbErr("update news", err)
		}
		if err := s.audit(ctx, tx, by, "update_news", "news", strconv.FormatInt(n.ID, 10), n.Title); err != nil {
			return err
		}
		return s.emit(ctx, tx, Event{Kind: EventNewsUpdated, ObjectType: "news", ObjectID: n.ID, ActorID: n.AuthorID, SpaceID: n.SpaceID,
			Data: consultationData(map[string]any{"title": n.Title, "consultation_id": deref(n.ConsultationID)})})
	})
	return n, err
}

// DeleteNews withdraws a news post (soft delete, federated as Delete).
func (s *Store) DeleteNews(ctx context.Context, by *Account, id int64) error {
	if !by.IsModerator() {
		return ErrForbidden
	}
	n, err := s.NewsByID(ctx, id)
	if err != nil {
		return err
	}
	sp, err := s.SpaceByID(ctx, n.SpaceID)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model(n).Set("deleted_at = ?", s.Now()).WherePK().Exec(ctx); err != nil {
			return dbErr("delete news", err)
		}
		// Its id answers 410 Gone from now on (the space sends the Delete).
		if err := s.AddTombstoneTx(ctx, tx, n.URI, "Note", sp.Actor.URI); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, by, "delete_news", "news", strconv.FormatInt(n.ID, 10), n.Title); err != nil {
			return err
		}
		return s.emit(ctx, tx, Event{Kind: EventNewsDeleted, ObjectType: "news", ObjectID: n.ID, ActorID: n.AuthorID, SpaceID: n.SpaceID,
			Data: consultationData(map[string]any{"title": n.Title, "consultation_id": deref(n.ConsultationID)})})
	})
}

// NewsByID loads a live news post with its author.
func (s *Store) NewsByID(ctx context.Context, id int64) (*News, error) {
	n := new(News)
	if err := s.DB.NewSelect().Model(n).Where("id = ? AND deleted_at IS NULL", id).Scan(ctx); err != nil {
		return nil, dbErr("news by id", err)
	}
	a, err := s.ActorByID(ctx, n.AuthorID)
	n.Author = a
	return n, err
}

// NewsFilter selects news of a space: of one consultation (0: all),
// published before the cursor id (0: newest).
type NewsFilter struct {
	Consultation int64
	Before       int64
	Limit        int
}

// ListNews lists a space's news, newest first, with their authors.
func (s *Store) ListNews(ctx context.Context, spaceID int64, f NewsFilter) ([]*News, error) {
	var out []*News
	q := s.DB.NewSelect().Model(&out).Where("space_id = ? AND deleted_at IS NULL", spaceID).
		OrderExpr("published_at DESC, id DESC").Limit(int64(clampLimit(f.Limit)))
	if f.Consultation != 0 {
		q = q.Where("consultation_id = ?", f.Consultation)
	}
	if f.Before != 0 {
		q = q.Where("id < ?", f.Before)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, dbErr("list news", err)
	}
	for _, n := range out {
		a, err := s.ActorByID(ctx, n.AuthorID)
		if err != nil {
			return nil, err
		}
		n.Author = a
	}
	return out, nil
}

// consultationData encodes an event's Data.
func consultationData(m map[string]any) string {
	b, _ := json.Marshal(m) //nolint:errchkjson // maps of plain values
	return string(b)
}

func init() {
	countTables["news"] = struct{ table, where string }{"news", "deleted_at IS NULL"}
}
