package models

import (
	"context"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// FeedEntry is one item of an Atom feed: a proposal, debate, petition or
// petition update.
type FeedEntry struct {
	Kind      string // ObjectType* or "petition_update"
	ID        int64
	URI       string
	URL       string
	Title     string
	HTML      string // sanitised at write time
	Author    string // handle, "" for an erased account
	Published time.Time
	Updated   time.Time

	authorID int64
}

// Feed is what an Atom feed shows.
type Feed struct {
	Space   *Space
	Kind    string // "" for every kind of the space
	Title   string // the petition's title for a petition's updates
	Entries []FeedEntry
}

// FeedSize is the number of entries of a feed.
const FeedSize = 50

// SpaceFeed returns the newest visible local proposals, debates (drafts
// excluded) and petitions of a space, or of one kind (ObjectType*).
func (s *Store) SpaceFeed(ctx context.Context, spaceName, kind string) (*Feed, error) {
	if kind != "" && !slices.Contains(CommentableTypes, kind) {
		return nil, ErrNotFound
	}
	sp, err := s.SpaceByName(ctx, spaceName)
	if err != nil {
		return nil, err
	}
	f := &Feed{Space: sp, Kind: kind}
	type source struct{ kind, table, title, html string }
	sources := []source{
		{ObjectTypeProposal, "proposals", "title", "body_html"},
		{ObjectTypeDebate, "debates", "question", "description_html"},
		{ObjectTypePetition, "petitions", "title", "body_html"},
	}
	now := s.Now()
	for _, src := range sources {
		if kind != "" && kind != src.kind {
			continue
		}
		var rows []struct {
			ID        int64     `bun:"id"`
			URI       string    `bun:"uri"`
			URL       string    `bun:"url"`
			Title     string    `bun:"title"`
			HTML      string    `bun:"html"`
			AuthorID  int64     `bun:"author_id"`
			CreatedAt time.Time `bun:"created_at"`
			UpdatedAt time.Time `bun:"updated_at"`
		}
		q := s.DB.NewSelect().TableExpr("?", bun.Ident(src.table)).
			ColumnExpr("id, uri, url, author_id, created_at, updated_at").
			ColumnExpr("? AS title, ? AS html", bun.Ident(src.title), bun.Ident(src.html)).
			Where("space_id = ? AND local AND hidden_at IS NULL AND deleted_at IS NULL", sp.ID).
			OrderExpr("created_at DESC, id DESC").Limit(FeedSize)
		if src.kind == ObjectTypeDebate { // the SQL twin of Debate.PhaseAt: no drafts
			q = q.Where("(phase <> 'draft' OR (opens_at IS NOT NULL AND opens_at <= ?) OR (closes_at IS NOT NULL AND closes_at <= ?))", now, now)
		}
		if err := q.Scan(ctx, &rows); err != nil {
			return nil, dbErr("feed "+src.table, err)
		}
		for _, r := range rows {
			f.Entries = append(f.Entries, FeedEntry{Kind: src.kind, ID: r.ID, URI: r.URI, URL: orURI(r.URL, r.URI), Title: r.Title,
				HTML: r.HTML, authorID: r.AuthorID, Published: r.CreatedAt, Updated: r.UpdatedAt})
		}
	}
	slices.SortFunc(f.Entries, func(a, b FeedEntry) int {
		if c := b.Published.Compare(a.Published); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	if len(f.Entries) > FeedSize {
		f.Entries = f.Entries[:FeedSize]
	}
	return f, s.feedAuthors(ctx, f)
}

// PetitionFeed returns the updates of a visible local petition, newest
// first.
func (s *Store) PetitionFeed(ctx context.Context, petitionID int64) (*Feed, error) {
	o, err := lookupObject(ctx, s.DB, ObjectTypePetition, petitionID)
	if err != nil {
		return nil, err
	}
	if !o.visible() || !o.Local || o.SpaceID == 0 {
		return nil, ErrNotFound
	}
	sp, err := s.SpaceByID(ctx, o.SpaceID)
	if err != nil {
		return nil, err
	}
	f := &Feed{Space: sp, Kind: "petition_update", Title: o.Label}
	var rows []struct {
		ID        int64      `bun:"id"`
		URI       string     `bun:"uri"`
		BodyHTML  string     `bun:"body_html"`
		AuthorID  int64      `bun:"author_id"`
		CreatedAt time.Time  `bun:"created_at"`
		EditedAt  *time.Time `bun:"edited_at"`
	}
	err = s.DB.NewSelect().Table("petition_updates").Column("id", "uri", "body_html", "author_id", "created_at", "edited_at").
		Where("petition_id = ?", petitionID).OrderExpr("id DESC").Limit(FeedSize).Scan(ctx, &rows)
	if err != nil {
		return nil, dbErr("feed petition updates", err)
	}
	for _, r := range rows {
		updated := r.CreatedAt
		if r.EditedAt != nil {
			updated = *r.EditedAt // feed readers show the edited text again
		}
		f.Entries = append(f.Entries, FeedEntry{Kind: "petition_update", ID: r.ID, URI: r.URI, URL: orURI(o.URL, o.URI), Title: o.Label,
			HTML: r.BodyHTML, authorID: r.AuthorID, Published: r.CreatedAt, Updated: updated})
	}
	return f, s.feedAuthors(ctx, f)
}

// feedAuthors fills the entries' author handles in one query.
func (s *Store) feedAuthors(ctx context.Context, f *Feed) error {
	x := &exporter{s: s, tx: s.DB, handles: map[int64]string{}}
	for i := range f.Entries {
		x.author(f.Entries[i].authorID, func(h string) { f.Entries[i].Author = h })
	}
	return x.resolveHandles(ctx)
}
