package models

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// EventWorkshopRecorded is emitted when a moderator records a workshop
// contribution. Data: {"consultation_id": N, "participants": N}.
const EventWorkshopRecorded = "workshop.recorded"

// Limits of workshop contributions.
const (
	MaxWorkshopTitle        = 200
	MaxWorkshopBody         = 20000
	MaxWorkshopPlace        = 200
	MaxWorkshopParticipants = 100000
)

// WorkshopContribution is a contribution made in a physical workshop and
// recorded by a moderator: its text, when and where the workshop was held,
// how many took part, and optionally the scanned sheet. It is shown with
// its own badge and counted apart from online contributions.
type WorkshopContribution struct {
	bun.BaseModel  `bun:"table:workshop_contributions"`
	ID             int64      `bun:",pk,autoincrement"`
	URI            string     `bun:"uri,notnull"`
	SpaceID        int64      `bun:",notnull"`
	ConsultationID int64      `bun:",notnull"`
	ThemeID        *int64     `bun:",nullzero"`
	AuthorID       int64      `bun:",notnull"` // the recording moderator's actor
	RecordedBy     *int64     `bun:",nullzero"`
	Title          string     `bun:",notnull"`
	Body           string     `bun:",notnull"`
	BodyHTML       string     `bun:"body_html,notnull"`
	HeldAt         time.Time  `bun:",notnull"`
	Place          string     `bun:",notnull"`
	Participants   int        `bun:",notnull"`
	SheetID        *int64     `bun:",nullzero"`
	Lat            *float64   `bun:",nullzero"`
	Lon            *float64   `bun:",nullzero"`
	HiddenAt       *time.Time `bun:",nullzero"`
	DeletedAt      *time.Time `bun:",nullzero"`
	CreatedAt      time.Time  `bun:",notnull"`
	UpdatedAt      time.Time  `bun:",notnull"`

	Sheet *Upload `bun:"-"`
}

// WorkshopInput is what a moderator types in from a workshop sheet.
type WorkshopInput struct {
	Title        string    `json:"title"`
	Body         string    `json:"body"`
	HeldAt       time.Time `json:"held_at"`
	Place        string    `json:"place"`
	Participants int       `json:"participants"`
	ThemeID      int64     `json:"theme"`
	SheetID      *int64    `json:"sheet_id"`
	Lat          *float64  `json:"lat"`
	Lon          *float64  `json:"lon"`
}

// Validate checks in as RecordWorkshopContribution does at now, for a
// form that joins these problems to its own (ValidationError.Join).
func (in *WorkshopInput) Validate(now time.Time) error { return in.validate(now) }

func (in *WorkshopInput) validate(now time.Time) error {
	v := &ValidationError{}
	in.Title = strings.TrimSpace(in.Title)
	if n := utf8.RuneCountInString(in.Title); n < 3 || n > MaxWorkshopTitle {
		v.Add("title", fmt.Sprintf("must have 3 to %d characters", MaxWorkshopTitle))
	}
	if strings.TrimSpace(in.Body) == "" {
		v.Add("body", "must not be empty")
	} else if utf8.RuneCountInString(in.Body) > MaxWorkshopBody {
		v.Add("body", fmt.Sprintf("must have at most %d characters", MaxWorkshopBody))
	}
	in.Place = strings.TrimSpace(in.Place)
	if n := utf8.RuneCountInString(in.Place); n < 2 || n > MaxWorkshopPlace {
		v.Add("place", fmt.Sprintf("must have 2 to %d characters", MaxWorkshopPlace))
	}
	if in.Participants < 1 || in.Participants > MaxWorkshopParticipants {
		v.Add("participants", fmt.Sprintf("must be between 1 and %d", MaxWorkshopParticipants))
	}
	switch {
	case in.HeldAt.IsZero():
		v.Add("held_at", "must be the date of the workshop")
	case in.HeldAt.After(now):
		v.Add("held_at", "A workshop is recorded after it was held.")
	}
	in.HeldAt = in.HeldAt.UTC().Truncate(time.Second)
	if in.SheetID != nil && *in.SheetID == 0 {
		in.SheetID = nil
	}
	if err := validateLatLon(in.Lat, in.Lon); err != nil {
		v.Add("lat", err.Error())
	}
	return v.Err()
}

// validateLatLon accepts both coordinates or neither.
func validateLatLon(lat, lon *float64) error {
	switch {
	case lat == nil && lon == nil:
		return nil
	case lat == nil || lon == nil:
		return fmt.Errorf("give both latitude and longitude, or neither")
	case *lat < -90 || *lat > 90 || *lon < -180 || *lon > 180 || *lat != *lat || *lon != *lon:
		return fmt.Errorf("latitude is between -90 and 90, longitude between -180 and 180")
	}
	return nil
}

// RecordWorkshopContribution records an offline contribution; moderators
// only, while the phase allows ActionWorkshop (contribution, synthesis).
// The workshop must have been held within the consultation's span.
func (s *Store) RecordWorkshopContribution(ctx context.Context, by *Account, consultationID int64, in WorkshopInput) (*WorkshopContribution, error) {
	if !by.IsModerator() {
		return nil, ErrForbidden
	}
	if err := in.validate(s.Now()); err != nil {
		return nil, err
	}
	c, err := s.ConsultationByID(ctx, consultationID)
	if err != nil {
		return nil, err
	}
	if in.HeldAt.Before(c.OpensAt) {
		return nil, Invalid("held_at", "The workshop must be held after the consultation opened.")
	}
	now := s.Now()
	w := &WorkshopContribution{
		URI: s.URLs.Base + "/w/new-" + newUploadKey(), SpaceID: c.SpaceID, ConsultationID: c.ID, AuthorID: by.Actor.ID, RecordedBy: &by.ID,
		Title: in.Title, Body: in.Body, BodyHTML: RenderMarkdown(in.Body), HeldAt: in.HeldAt, Place: in.Place,
		Participants: in.Participants, SheetID: in.SheetID, Lat: in.Lat, Lon: in.Lon, CreatedAt: now, UpdatedAt: now,
	}
	if in.ThemeID != 0 {
		w.ThemeID = &in.ThemeID
	}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkConsultation(ctx, tx, ConsultationRef{ID: c.ID}, ActionWorkshop); err != nil {
			return err
		}
		if err := s.CheckConsultationRef(ctx, tx, c.SpaceID, c.ID, in.ThemeID); err != nil {
			if _, phase := err.(*PhaseError); !phase {
				return err
			}
		}
		if err := checkUpload(ctx, tx, c.SpaceID, in.SheetID, "sheet"); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(w).Exec(ctx); err != nil {
			return dbErr("insert workshop contribution", err)
		}
		w.URI = s.URLs.Base + "/w/" + strconv.FormatInt(w.ID, 10)
		if _, err := tx.NewUpdate().Model(w).Column("uri").WherePK().Exec(ctx); err != nil {
			return dbErr("set workshop uri", err)
		}
		if err := s.audit(ctx, tx, by, "record_workshop", "consultation", strconv.FormatInt(c.ID, 10), w.Title); err != nil {
			return err
		}
		return s.emit(ctx, tx, Event{Kind: EventWorkshopRecorded, ObjectType: "workshop", ObjectID: w.ID, ActorID: w.AuthorID,
			SpaceID: c.SpaceID, Data: consultationData(map[string]any{"consultation_id": c.ID, "participants": w.Participants})})
	})
	if err != nil {
		return nil, err
	}
	return w, s.attachSheets(ctx, []*WorkshopContribution{w})
}

// DeleteWorkshopContribution removes a mistaken record (soft delete).
func (s *Store) DeleteWorkshopContribution(ctx context.Context, by *Account, id int64) error {
	if !by.IsModerator() {
		return ErrForbidden
	}
	w, err := s.WorkshopContributionByID(ctx, id)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model(w).Set("deleted_at = ?", s.Now()).WherePK().Exec(ctx); err != nil {
			return dbErr("delete workshop contribution", err)
		}
		return s.audit(ctx, tx, by, "delete_workshop", "consultation", strconv.FormatInt(w.ConsultationID, 10), w.Title)
	})
}

// WorkshopContributionByID loads a live workshop contribution.
func (s *Store) WorkshopContributionByID(ctx context.Context, id int64) (*WorkshopContribution, error) {
	w := new(WorkshopContribution)
	if err := s.DB.NewSelect().Model(w).Where("id = ? AND deleted_at IS NULL AND hidden_at IS NULL", id).Scan(ctx); err != nil {
		return nil, dbErr("workshop contribution", err)
	}
	return w, s.attachSheets(ctx, []*WorkshopContribution{w})
}

// WorkshopContributions lists a consultation's workshop contributions,
// optionally of one theme, the latest workshop first.
func (s *Store) WorkshopContributions(ctx context.Context, consultationID, themeID int64) ([]*WorkshopContribution, error) {
	var out []*WorkshopContribution
	q := s.DB.NewSelect().Model(&out).Where("consultation_id = ? AND deleted_at IS NULL AND hidden_at IS NULL", consultationID).
		OrderExpr("held_at DESC, id DESC")
	if themeID != 0 {
		q = q.Where("theme_id = ?", themeID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, dbErr("workshop contributions", err)
	}
	return out, s.attachSheets(ctx, out)
}

func (s *Store) attachSheets(ctx context.Context, ws []*WorkshopContribution) error {
	return attachUploads(ctx, s, ws, func(w *WorkshopContribution) *int64 { return w.SheetID },
		func(w *WorkshopContribution, u *Upload) { w.Sheet = u })
}
