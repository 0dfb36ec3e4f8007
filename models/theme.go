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

// Limits of theme fields.
const (
	MaxThemeName        = 80
	MaxThemeDescription = 2000
	maxThemes           = 50
)

// Theme is a sub-section of a consultation (mobility, housing…) grouping
// contributions and discussion by topic. Proposals, debates, petitions
// and workshop contributions carry a nullable theme_id.
type Theme struct {
	bun.BaseModel  `bun:"table:consultation_themes"`
	ID             int64     `bun:",pk,autoincrement" json:"id"`
	ConsultationID int64     `bun:",notnull" json:"-"`
	Name           string    `bun:",notnull" json:"name"`
	Description    string    `bun:",notnull" json:"description"`
	Position       int       `bun:",notnull" json:"position"`
	CreatedAt      time.Time `bun:",notnull" json:"-"`
}

// ThemeInput is what a moderator fills in for a theme.
type ThemeInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Position    int    `json:"position"`
}

func (in *ThemeInput) validate() error {
	v := &ValidationError{}
	in.Name = strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(in.Name); n < 2 || n > MaxThemeName {
		v.Add("name", fmt.Sprintf("must have 2 to %d characters", MaxThemeName))
	}
	in.Description = strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(in.Description) > MaxThemeDescription {
		v.Add("description", fmt.Sprintf("must have at most %d characters", MaxThemeDescription))
	}
	return v.Err()
}

// AddTheme adds a theme to a consultation; moderators only. A name is
// unique within its consultation (a database constraint).
func (s *Store) AddTheme(ctx context.Context, by *Account, consultationID int64, in ThemeInput) (*Theme, error) {
	if !by.IsModerator() {
		return nil, ErrForbidden
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	if _, err := s.ConsultationByID(ctx, consultationID); err != nil {
		return nil, err
	}
	t := &Theme{ConsultationID: consultationID, Name: in.Name, Description: in.Description, Position: in.Position, CreatedAt: s.Now()}
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err := tx.NewSelect().Model((*Theme)(nil)).Where("consultation_id = ?", consultationID).Count(ctx)
		if err != nil {
			return dbErr("count themes", err)
		}
		if n >= maxThemes {
			return Invalid("name", fmt.Sprintf("A consultation has at most %d themes.", maxThemes))
		}
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return Invalid("name", "This consultation already has a theme with this name.")
			}
			return dbErr("insert theme", err)
		}
		return s.audit(ctx, tx, by, "add_theme", "consultation", strconv.FormatInt(consultationID, 10), t.Name)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// UpdateTheme renames, describes or moves a theme; moderators only.
func (s *Store) UpdateTheme(ctx context.Context, by *Account, themeID int64, in ThemeInput) (*Theme, error) {
	if !by.IsModerator() {
		return nil, ErrForbidden
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	t, err := s.ThemeByID(ctx, themeID)
	if err != nil {
		return nil, err
	}
	t.Name, t.Description, t.Position = in.Name, in.Description, in.Position
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model(t).WherePK().Exec(ctx); err != nil {
			if isUniqueViolation(err) {
				return Invalid("name", "This consultation already has a theme with this name.")
			}
			return dbErr("update theme", err)
		}
		return s.audit(ctx, tx, by, "update_theme", "consultation", strconv.FormatInt(t.ConsultationID, 10), t.Name)
	})
	return t, err
}

// DeleteTheme removes a theme; contributions filed under it become
// unthemed (in every table that carries theme_id).
func (s *Store) DeleteTheme(ctx context.Context, by *Account, themeID int64) error {
	if !by.IsModerator() {
		return ErrForbidden
	}
	t, err := s.ThemeByID(ctx, themeID)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		tables := []string{"workshop_contributions"}
		for _, src := range contributionSources {
			if ok, err := hasColumns(ctx, tx, s.Dialect, src.Table, "theme_id"); err != nil {
				return err
			} else if ok {
				tables = append(tables, src.Table)
			}
		}
		for _, table := range tables {
			if _, err := tx.NewUpdate().TableExpr(table).Set("theme_id = NULL").Where("theme_id = ?", themeID).Exec(ctx); err != nil {
				return dbErr("unthemed "+table, err)
			}
		}
		if _, err := tx.NewDelete().Model(t).WherePK().Exec(ctx); err != nil {
			return dbErr("delete theme", err)
		}
		return s.audit(ctx, tx, by, "delete_theme", "consultation", strconv.FormatInt(t.ConsultationID, 10), t.Name)
	})
}

// ThemeByID loads a theme.
func (s *Store) ThemeByID(ctx context.Context, id int64) (*Theme, error) {
	t := new(Theme)
	err := s.DB.NewSelect().Model(t).Where("id = ?", id).Scan(ctx)
	return t, dbErr("theme by id", err)
}

// Themes lists a consultation's themes in their display order.
func (s *Store) Themes(ctx context.Context, consultationID int64) ([]*Theme, error) {
	var out []*Theme
	err := s.DB.NewSelect().Model(&out).Where("consultation_id = ?", consultationID).Order("position", "name").Scan(ctx)
	return out, dbErr("themes", err)
}

// refMessages refuse a consultation or theme id that is not one (see
// ParseRef and checkRefs).
var refMessages = map[string]string{
	"consultation": "The consultation id is not valid.",
	"theme":        "The theme id is not valid.",
}

// ParseRef reads the id of a consultation or theme (field) that a form
// or the API gives as text, adding a field error to v when it is not one.
// "" and "0" (what the forms' "none" options send) mean none; anything
// else must be a positive whole number, so that a tampered value is
// refused instead of read as none. Whether it names a consultation of
// the space, or a theme of that consultation, is CheckConsultationRef's
// and CheckTheme's to say.
func ParseRef(v *ValidationError, field, s string) int64 {
	if s == "" || s == "0" {
		return 0
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		v.Add(field, refMessages[field])
		return 0
	}
	return id
}

// CheckTheme refuses a theme id (0: none) that is not one of the
// consultation's themes, as a list filtered by theme does: an unknown
// theme would otherwise list everything.
func (s *Store) CheckTheme(ctx context.Context, consultationID, themeID int64) error {
	return checkTheme(ctx, s.DB, consultationID, themeID)
}

// checkTheme is CheckTheme within db, a transaction when creating.
func checkTheme(ctx context.Context, db bun.IDB, consultationID, themeID int64) error {
	if themeID == 0 {
		return nil
	}
	n, err := db.NewSelect().Model((*Theme)(nil)).Where("id = ? AND consultation_id = ?", themeID, consultationID).Count(ctx)
	if err != nil {
		return dbErr("check theme", err)
	}
	if n == 0 {
		return Invalid("theme", "This theme does not belong to the consultation.")
	}
	return nil
}
