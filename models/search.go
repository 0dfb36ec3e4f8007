package models

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// What the site-wide search looks through (docs/RANKING.md, "Search").
const (
	SearchProposals     = "proposals"
	SearchDebates       = "debates"
	SearchPetitions     = "petitions"
	SearchConsultations = "consultations"
	SearchNews          = "news"
	// SearchComments are comments and replies on proposals, debates and
	// petitions, debate arguments among them.
	SearchComments = "comments"
)

// SearchKinds lists the kinds in the order results show them.
var SearchKinds = []string{SearchProposals, SearchDebates, SearchPetitions, SearchConsultations, SearchNews, SearchComments}

// SearchPreview is how many hits of each kind a search of every kind
// shows; the kind's own page lists the rest.
const SearchPreview = 3

// SearchQuery is a site-wide search.
type SearchQuery struct {
	Text  string // words that must all appear in the title or text
	Space string // a space's name; "" searches every space
	// Kind is one of SearchKinds, or "" for every kind: then Hits has the
	// first SearchPreview of each and Counts tells how many match.
	Kind string
	// Sort is SearchByRelevance (the default, "") or SearchByNew
	// ("newest", the lists' name, is SearchByNew too).
	Sort string
	// Before is the cursor of a kind's pages newest first: hits older
	// than this id. Given without Sort, it means SearchByNew (the page
	// links written before relevance).
	Before int64
	// Offset is the cursor of a kind's pages by relevance: how many hits
	// the earlier pages showed (at most MaxSearchOffset).
	Offset int
	Limit  int
}

// SearchHit is one thing found.
type SearchHit struct {
	Kind  string
	ID    int64
	Title string
	// Excerpt is plain text: a window of the hit's text around the first
	// searched word it holds, or its start when the words are only in
	// the title; "…" marks a cut side (excerpt.go).
	Excerpt string
	// Marks are where the searched words are in Excerpt.
	Marks []TextSpan
	Space *Space
	Date  time.Time // when it was published
	// On is, for a comment, the item it belongs to: its Kind, ID and
	// Title (the comment's Title is that title too; its Space is the
	// item's).
	On *SearchHit
	// Stance is a debate argument's (StanceFor, StanceAgainst), else "".
	Stance string
}

// SearchResults are a search's answer.
type SearchResults struct {
	Space *Space // the space searched, nil for all
	// Counts are the matches of each kind searched, every page included.
	Counts map[string]int
	Hits   []*SearchHit
	// Sort is the order of Hits: SearchByRelevance or SearchByNew.
	Sort string
	// Next is the cursor of the next page newest first (Kind searches),
	// 0 at the end; NextOffset the next page's by relevance, 0 at the end.
	Next       int64
	NextOffset int
}

// Total is the number of matches of every kind searched.
func (r *SearchResults) Total() int {
	n := 0
	for _, c := range r.Counts {
		n += c
	}
	return n
}

// searchSource is where one kind is found: what of it is shown, and the
// condition for it to be public (the lists' conditions: not hidden, not
// deleted, no withdrawn proposal, no draft debate; in a local space),
// whose every ? is the time of the search. Comments have their own
// condition and columns (searchComments).
type searchSource struct {
	table, title, html, date, public string
	comments                         bool
}

var searchSources = map[string]searchSource{
	SearchProposals: {"proposals", "title", "body_html", "created_at",
		"hidden_at IS NULL AND deleted_at IS NULL AND space_id IS NOT NULL AND status <> '" + ProposalWithdrawn + "'", false},
	SearchPetitions: {"petitions", "title", "body_html", "created_at",
		"hidden_at IS NULL AND deleted_at IS NULL AND space_id IS NOT NULL", false},
	// A debate is public once open: the SQL twin of PhaseAt (ListDebates).
	SearchDebates: {"debates", "question", "description_html", "created_at",
		"hidden_at IS NULL AND deleted_at IS NULL AND space_id IS NOT NULL AND " +
			"(phase IN ('open', 'closed') OR (opens_at IS NOT NULL AND opens_at <= ?) OR (closes_at IS NOT NULL AND closes_at <= ?))", false},
	SearchConsultations: {"consultations", "title", "summary", "created_at", "deleted_at IS NULL", false},
	SearchNews:          {"news", "title", "body_html", "published_at", "deleted_at IS NULL", false},
	SearchComments:      {table: "comments", comments: true},
}

// where is the condition for a thing of src to be found at now, in the
// space spaceID (0: any), with its arguments.
func (src searchSource) where(now time.Time, spaceID int64) (string, []any) {
	if src.comments {
		return searchComments.where(now, spaceID)
	}
	cond, args := src.public, repeatArg(now, strings.Count(src.public, "?"))
	if spaceID != 0 {
		cond, args = cond+" AND space_id = ?", append(args, spaceID)
	}
	return cond, args
}

// columns selects a hit's id, space_id, title, text and date.
func (src searchSource) columns() string {
	if src.comments {
		return searchComments.columns()
	}
	return "id, space_id, " + src.title + " AS title, " + src.html + " AS text, " + src.date + " AS date"
}

// searchRow is a hit as read.
type searchRow struct {
	ID      int64     `bun:"id"`
	SpaceID int64     `bun:"space_id"`
	Title   string    `bun:"title"`
	Text    string    `bun:"text"`
	Date    time.Time `bun:"date"`
	// A comment's item and stance.
	ObjectType string `bun:"object_type"`
	ObjectID   int64  `bun:"object_id"`
	Stance     string `bun:"stance"`
}

// Search finds the public proposals, debates, petitions, consultations,
// news and comments whose title or text holds a word beginning with each
// word of q.Text (folded: case and accents do not matter; searchTokens),
// best match first or newest first (q.Sort). It reads no more than the
// lists and comment threads show, so anyone may search.
func (s *Store) Search(ctx context.Context, q SearchQuery) (*SearchResults, error) {
	tokens := searchTokens(q.Text)
	sort, err := q.validate(tokens)
	if err != nil {
		return nil, err
	}
	kinds := SearchKinds
	if q.Kind != "" {
		kinds = []string{q.Kind}
	}
	res := &SearchResults{Counts: map[string]int{}, Sort: sort}
	var spaceID int64
	if q.Space != "" {
		sp, err := s.SpaceByName(ctx, q.Space)
		if err != nil {
			return nil, err
		}
		res.Space, spaceID = sp, sp.ID
	}
	limit := SearchPreview
	if q.Kind != "" {
		limit = clampLimit(q.Limit)
	}
	now := s.Now()
	for _, kind := range kinds {
		src := searchSources[kind]
		cond, args := src.where(now, spaceID)
		match, margs := searchMatch(s.DB, src.table, tokens)
		where := func(sq *bun.SelectQuery) *bun.SelectQuery {
			return sq.TableExpr(src.table).Join("JOIN ("+match+") AS m ON m.hit_id = "+src.table+".id", margs...).Where(cond, args...)
		}
		n, err := where(s.DB.NewSelect()).Count(ctx)
		res.Counts[kind] = int(n)
		if err != nil {
			return nil, dbErr("count "+kind, err)
		}
		if n == 0 {
			continue
		}
		var rows []searchRow
		sq := where(s.DB.NewSelect()).ColumnExpr(src.columns()).Limit(int64(limit + 1))
		switch {
		case sort == SearchByNew:
			sq = sq.OrderExpr("m.hit_id DESC") // the same id; ordering by the table's own would make SQLite scan it and probe the index row by row
			if q.Kind != "" && q.Before > 0 {
				sq = sq.Where("m.hit_id < ?", q.Before)
			}
		default:
			sq = sq.OrderExpr("m.hit_rank DESC, " + src.table + ".id DESC")
			if q.Kind != "" {
				sq = sq.Offset(int64(q.Offset))
			}
		}
		if err := sq.Scan(ctx, &rows); err != nil {
			return nil, dbErr("search "+kind, err)
		}
		if q.Kind != "" && len(rows) > limit {
			if sort == SearchByNew {
				res.Next = rows[limit-1].ID
			} else {
				res.NextOffset = q.Offset + limit
			}
		}
		for _, r := range rows[:min(len(rows), limit)] {
			h := &SearchHit{Kind: kind, ID: r.ID, Title: r.Title, Date: r.Date, Space: &Space{ID: r.SpaceID}}
			h.Excerpt, h.Marks = hitExcerpt(r.Text, kind == SearchConsultations, tokens)
			if src.comments {
				h.On, h.Stance = &SearchHit{Kind: searchComments.kindOf(r.ObjectType), ID: r.ObjectID, Title: r.Title}, r.Stance
			}
			res.Hits = append(res.Hits, h)
		}
	}
	return res, s.attachHitSpaces(ctx, res.Hits)
}

// validate checks q, of the given tokens, and tells the order of its hits.
func (q SearchQuery) validate(tokens []string) (string, error) {
	v := &ValidationError{}
	switch {
	case utf8.RuneCountInString(strings.Join(tokens, "")) < 2:
		v.Add("q", "Type at least two letters to search.")
	case searchTooLong(q.Text):
		v.Add("q", errSearchTooLong)
	}
	if q.Kind != "" {
		if _, ok := searchSources[q.Kind]; !ok {
			v.Add("kind", "Unknown kind: choose proposals, debates, petitions, consultations, news or comments.")
		}
	}
	sort := q.Sort
	switch sort {
	case "":
		sort = SearchByRelevance
		if q.Before > 0 {
			sort = SearchByNew
		}
	case SearchByRelevance, SearchByNew:
	case SortNewest:
		sort = SearchByNew
	default:
		v.Add("sort", "The order must be relevance or new.")
	}
	if q.Before < 0 || (q.Before > 0 && sort != SearchByNew) {
		v.Add("before", "This page link is not valid.")
	}
	switch {
	case q.Offset < 0 || (q.Offset > 0 && sort != SearchByRelevance):
		v.Add("offset", "This page link is not valid.")
	case q.Offset > MaxSearchOffset:
		v.Add("offset", "Pages by relevance stop at the 1,000th hit: add words, or sort by newest.")
	}
	return sort, v.Err()
}

// repeatArg is v n times, for a condition naming it n times; nil for
// none (bun warns of an empty, non-nil argument list).
func repeatArg(v any, n int) []any {
	if n == 0 {
		return nil
	}
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// attachHitSpaces replaces each hit's placeholder space by the space read.
func (s *Store) attachHitSpaces(ctx context.Context, hits []*SearchHit) error {
	ids := map[int64]bool{}
	for _, h := range hits {
		ids[h.Space.ID] = true
	}
	if len(ids) == 0 {
		return nil
	}
	var spaces []*Space
	list := make([]int64, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	if err := s.DB.NewSelect().Model(&spaces).Where("id IN (?)", bun.In(list)).Scan(ctx); err != nil {
		return dbErr("search spaces", err)
	}
	byID := make(map[int64]*Space, len(spaces))
	for _, sp := range spaces {
		byID[sp.ID] = sp
	}
	for _, h := range hits {
		if sp := byID[h.Space.ID]; sp != nil {
			h.Space = sp
		}
	}
	return nil
}

// searchText is the folded text a debate is found by: its question and
// description (a remote copy has only the description's HTML).
func (d *Debate) searchText() string {
	body := d.Description
	if body == "" {
		body = PlainText(d.DescriptionHTML)
	}
	return foldText(d.Question + "\n" + body)
}
