package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// ConsultationItem is a proposal, debate or petition attached to a
// consultation, as its page lists them.
type ConsultationItem struct {
	Kind      string    `json:"kind"`
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	URI       string    `json:"uri"`
	ThemeID   int64     `json:"theme_id,omitempty"`
	AuthorID  int64     `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// ConsultationItems lists what is attached to a consultation, of one
// theme when themeID is not 0, newest first, at most limit (clamped).
func (s *Store) ConsultationItems(ctx context.Context, consultationID, themeID int64, limit int) ([]ConsultationItem, error) {
	live, err := s.liveSources(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	var out []ConsultationItem
	for _, src := range live {
		if themeID != 0 && !src.theme {
			continue
		}
		theme := "0"
		if src.theme {
			theme = "COALESCE(t.theme_id, 0)"
		}
		link := "t.uri"
		if src.url {
			link = "COALESCE(NULLIF(t.url, ''), t.uri)"
		}
		where, args := src.visible(consultationID, s.Now())
		q := fmt.Sprintf("SELECT t.id, t.%s AS title, %s AS uri, %s AS theme_id, t.author_id, t.created_at FROM %s AS t WHERE %s",
			src.Title, link, theme, src.Table, where)
		if themeID != 0 {
			q += " AND t.theme_id = ?"
			args = append(args, themeID)
		}
		q += fmt.Sprintf(" ORDER BY t.created_at DESC LIMIT %d", clampLimit(limit))
		var rows []ConsultationItem
		if err := s.DB.NewRaw(q, args...).Scan(ctx, &rows); err != nil {
			return nil, fmt.Errorf("consultation %s: %w", src.Table, err)
		}
		for i := range rows {
			rows[i].Kind = src.Kind
		}
		out = append(out, rows...)
	}
	slices.SortFunc(out, func(a, b ConsultationItem) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(out) > clampLimit(limit) {
		out = out[:clampLimit(limit)]
	}
	return out, nil
}

// ConsultationItemIDs returns the ids (ActivityPub uri) of what is
// attached to a consultation and shown to everyone, oldest first, at most
// MaxRemoteSynthesisItems: the synthesis names them, so that instances
// holding copies know whose participants to tell.
func (s *Store) ConsultationItemIDs(ctx context.Context, consultationID int64) ([]string, error) {
	live, err := s.liveSources(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	var q strings.Builder
	var args []any
	for i, src := range live {
		if i > 0 {
			q.WriteString(" UNION ALL ")
		}
		where, wargs := src.visible(consultationID, s.Now())
		fmt.Fprintf(&q, "SELECT t.uri, t.created_at FROM %s AS t WHERE %s", src.Table, where)
		args = append(args, wargs...)
	}
	if len(live) == 0 {
		return nil, nil
	}
	var rows []struct {
		URI       string    `bun:"uri"`
		CreatedAt time.Time `bun:"created_at"`
	}
	fmt.Fprintf(&q, " ORDER BY created_at, uri LIMIT %d", MaxRemoteSynthesisItems)
	if err := s.DB.NewRaw(q.String(), args...).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("consultation item ids: %w", err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.URI
	}
	return out, nil
}

// Location places a contribution on a consultation's map.
type Location struct {
	bun.BaseModel  `bun:"table:contribution_locations"`
	ObjectType     string    `bun:",pk"`
	ObjectID       int64     `bun:",pk"`
	ConsultationID int64     `bun:",notnull"`
	Lat            float64   `bun:",notnull"`
	Lon            float64   `bun:",notnull"`
	CreatedAt      time.Time `bun:",notnull"`
}

// SetContributionLocation places (lat and lon set) or unplaces (both nil)
// a proposal, debate or petition of a consultation on its map, inside the
// caller's transaction; creators of civic objects may call it.
func (s *Store) SetContributionLocation(ctx context.Context, tx bun.IDB, kind string, objectID, consultationID int64, lat, lon *float64) error {
	if err := validateLatLon(lat, lon); err != nil {
		return Invalid("lat", err.Error())
	}
	if _, err := tx.NewDelete().Model((*Location)(nil)).Where("object_type = ? AND object_id = ?", kind, objectID).Exec(ctx); err != nil {
		return dbErr("unplace contribution", err)
	}
	if lat == nil {
		return nil
	}
	l := &Location{ObjectType: kind, ObjectID: objectID, ConsultationID: consultationID, Lat: *lat, Lon: *lon, CreatedAt: s.Now()}
	_, err := tx.NewInsert().Model(l).Exec(ctx)
	return dbErr("place contribution", err)
}

// LocateContribution lets the author of an attached proposal, debate or
// petition (or a moderator) place it on its consultation's map, when the
// consultation has a map.
func (s *Store) LocateContribution(ctx context.Context, by *Account, kind string, objectID int64, lat, lon *float64) error {
	consultationID, err := s.locator(ctx, by, kind, objectID)
	if err != nil {
		return err
	}
	c, err := s.ConsultationByID(ctx, consultationID)
	if err != nil {
		return err
	}
	if !c.MapEnabled {
		return Invalid("lat", "This consultation has no map.")
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.SetContributionLocation(ctx, tx, kind, objectID, c.ID, lat, lon)
	})
}

// MayLocateContribution reports whether by may place the contribution
// (LocateContribution) or take it off the map: its author or a
// moderator (authorise.go). What the contribution allows (attached to a
// consultation) is told only to them.
func (s *Store) MayLocateContribution(ctx context.Context, by *Account, kind string, objectID int64) error {
	_, err := s.locator(ctx, by, kind, objectID)
	return err
}

// PlacesOnMap is LocateContribution's rule of who: the author of a
// contribution, whose id is authorID, places it on the map, or a
// moderator.
func PlacesOnMap(by *Account, authorID int64) bool {
	return by != nil && by.Actor != nil && (authorID == by.Actor.ID || by.IsModerator())
}

// MayPlaceOnMap reports whether by may place anything on the
// consultation id's map, before the map page's form, which names the
// contribution, is read: a moderator, or the author of a contribution to
// it that may be placed (placeable: the rule LocateContribution applies
// to the one named). Which one, and whether it may be placed, is
// LocateContribution's to say.
func (s *Store) MayPlaceOnMap(ctx context.Context, by *Account, id int64) error {
	if by == nil || by.Actor == nil {
		return ErrUnauthorized
	}
	if _, err := s.ConsultationByID(ctx, id); err != nil {
		return err
	}
	if PlacesOnMap(by, 0) { // authorID 0 is no one's: true for a moderator
		return nil
	}
	live, err := s.liveSources(ctx, s.DB)
	if err != nil {
		return err
	}
	for _, src := range live {
		ok, err := s.placeable(ctx, src, id, "t.author_id = ?", by.Actor.ID)
		if err != nil || ok {
			return err
		}
	}
	return ErrForbidden
}

// placeable reports whether a contribution of src to the consultation
// consultationID matching cond (on alias t, with args) may be placed on
// its map: one the map shows (liveSource.visible: published, neither
// hidden by moderation nor deleted). It is the one rule of both
// MayPlaceOnMap (asked before the form) and locator (the action), so
// that the first lets through exactly whom the second serves.
func (s *Store) placeable(ctx context.Context, src liveSource, consultationID int64, cond string, args ...any) (bool, error) {
	where, wargs := src.visible(consultationID, s.Now())
	n, err := s.DB.NewSelect().TableExpr(src.Table+" AS t").Where(where, wargs...).Where(cond, args...).Count(ctx)
	if err != nil {
		return false, dbErr("placeable on map", err)
	}
	return n > 0, nil
}

// locator checks that by may place the contribution kind/objectID on its
// consultation's map: its author or a moderator (PlacesOnMap), of a
// contribution attached to a consultation that may be placed (placeable;
// ErrNotFound when deleted, hidden or unpublished); it returns the
// consultation's id.
func (s *Store) locator(ctx context.Context, by *Account, kind string, objectID int64) (int64, error) {
	if by == nil || by.Actor == nil {
		return 0, ErrUnauthorized
	}
	live, err := s.liveSources(ctx, s.DB)
	if err != nil {
		return 0, err
	}
	i := slices.IndexFunc(live, func(l liveSource) bool { return l.Kind == kind })
	if i < 0 {
		return 0, Invalid("kind", "must be proposal, debate or petition")
	}
	var row struct {
		AuthorID       int64  `bun:"author_id"`
		ConsultationID *int64 `bun:"consultation_id"`
	}
	q := fmt.Sprintf("SELECT author_id, consultation_id FROM %s WHERE id = ?", live[i].Table)
	if err := s.DB.NewRaw(q, objectID).Scan(ctx, &row); err != nil {
		return 0, dbErr("locate contribution", err)
	}
	if !PlacesOnMap(by, row.AuthorID) {
		return 0, ErrForbidden
	}
	if row.ConsultationID == nil {
		return 0, Invalid("kind", "Only contributions to a consultation are placed on its map.")
	}
	ok, err := s.placeable(ctx, live[i], *row.ConsultationID, "t.id = ?", objectID)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("locate contribution: %w", ErrNotFound)
	}
	return *row.ConsultationID, nil
}

// MapPoint is a located contribution.
type MapPoint struct {
	Kind     string  `json:"kind"`
	ID       int64   `json:"id"`
	Title    string  `json:"title"`
	URL      string  `json:"url"`
	Lat      float64 `json:"lat"`
	Lon      float64 `json:"lon"`
	Workshop bool    `json:"workshop"`
	Place    string  `json:"place,omitempty"`
}

// MapPoints lists a consultation's located contributions: attached items
// placed by their authors and workshop contributions with coordinates.
func (s *Store) MapPoints(ctx context.Context, consultationID int64) ([]MapPoint, error) {
	items, err := s.ConsultationItems(ctx, consultationID, 0, 100)
	if err != nil {
		return nil, err
	}
	var locs []Location
	if err := s.DB.NewSelect().Model(&locs).Where("consultation_id = ?", consultationID).Scan(ctx); err != nil {
		return nil, dbErr("locations", err)
	}
	var out []MapPoint
	for _, l := range locs {
		for _, it := range items {
			if it.Kind == l.ObjectType && it.ID == l.ObjectID {
				out = append(out, MapPoint{Kind: it.Kind, ID: it.ID, Title: it.Title, URL: it.URI, Lat: l.Lat, Lon: l.Lon})
			}
		}
	}
	ws, err := s.WorkshopContributions(ctx, consultationID, 0)
	if err != nil {
		return nil, err
	}
	for _, w := range ws {
		if w.Lat != nil && w.Lon != nil {
			out = append(out, MapPoint{Kind: "workshop", ID: w.ID, Title: w.Title, URL: w.URI, Lat: *w.Lat, Lon: *w.Lon, Workshop: true, Place: w.Place})
		}
	}
	slices.SortFunc(out, func(a, b MapPoint) int { return strings.Compare(a.Title, b.Title) })
	return out, nil
}
