package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// contributionSource is a civic table whose rows may belong to a
// consultation: the civic-table conventions (id, uri, author_id,
// consultation_id, theme_id, hidden_at, deleted_at, created_at) let one
// query count, list and locate them all.
type contributionSource struct {
	Kind  string // "proposal"
	Table string // "proposals"
	Title string // column holding the title or question
	// Where keeps only published rows (alias t); each ? is the current time.
	Where string
}

// participationSource is a table of actions by actors on the items of a
// contribution source (supports, votes, signatures, comments).
type participationSource struct {
	Kind        string // "support"
	Table       string // "supports"
	Parent      string // contribution source table, e.g. "proposals"
	ParentCol   string // column referencing the parent's id
	ActorCol    string // column referencing actors.id
	Where       string // extra condition on the row (alias x), "" for none; each ? is the consultation id
	Contributes bool   // counted as a contribution (comments), not only as participation
}

// contributionSources and participationSources list what consultation
// statistics, listings, maps and synthesis recipients look at. A table
// that does not exist (yet) is skipped, so each civic part can land on
// its own; each part may add its entries in init.
var (
	contributionSources = []contributionSource{
		{Kind: "proposal", Table: "proposals", Title: "title"},
		// Draft debates are unpublished (ListDebates' rule for non-moderators).
		{Kind: "debate", Table: "debates", Title: "question",
			Where: "t.phase <> 'draft' OR (t.opens_at IS NOT NULL AND t.opens_at <= ?) OR (t.closes_at IS NOT NULL AND t.closes_at <= ?)"},
		{Kind: "petition", Table: "petitions", Title: "title"},
	}
	participationSources = []participationSource{
		{Kind: "support", Table: "supports", Parent: "proposals", ParentCol: "proposal_id", ActorCol: "actor_id"},
		{Kind: "vote", Table: "debate_ballots", Parent: "debates", ParentCol: "debate_id", ActorCol: "actor_id"},
		{Kind: "signature", Table: "signatures", Parent: "petitions", ParentCol: "petition_id", ActorCol: "actor_id"},
		commentSource(ObjectTypeProposal, "proposals"),
		commentSource(ObjectTypeDebate, "debates"),
		commentSource(ObjectTypePetition, "petitions"),
	}
)

// commentSource counts the comments on the items of parent (of type
// typ) as their threads show them to everyone: not deleted, not hidden
// nor below a hidden comment (shownComments, walked from the top-level
// comments of the consultation's items only).
func commentSource(typ, parent string) participationSource {
	return participationSource{Kind: "comment", Table: "comments", Parent: parent, ParentCol: "object_id", ActorCol: "author_id", Contributes: true,
		Where: "x.object_type = '" + typ + "' AND x.deleted_at IS NULL AND x.id IN (" +
			shownComments("h.object_type = '"+typ+"' AND h.object_id IN (SELECT id FROM "+parent+" WHERE consultation_id = ?)") + ")"}
}

// tableColumns returns the column names of table, empty when the table
// does not exist.
func tableColumns(ctx context.Context, db bun.IDB, d Dialect, table string) (map[string]bool, error) {
	var names []string
	var err error
	if d == Postgres {
		err = db.NewRaw("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?", table).Scan(ctx, &names)
	} else {
		err = db.NewRaw("SELECT name FROM pragma_table_info(?)", table).Scan(ctx, &names)
	}
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	out := make(map[string]bool, len(names))
	for _, n := range names {
		out[strings.ToLower(n)] = true
	}
	return out, nil
}

// hasColumns reports whether table exists with all of cols.
func hasColumns(ctx context.Context, db bun.IDB, d Dialect, table string, cols ...string) (bool, error) {
	have, err := tableColumns(ctx, db, d, table)
	if err != nil || len(have) == 0 {
		return false, err
	}
	for _, c := range cols {
		if !have[c] {
			return false, nil
		}
	}
	return true, nil
}

// liveSource is a contribution source present in the database, with the
// optional columns it has.
type liveSource struct {
	contributionSource
	hidden, deleted, theme, url bool
}

// liveSources returns the contribution sources whose tables exist with a
// consultation_id column.
func (s *Store) liveSources(ctx context.Context, db bun.IDB) ([]liveSource, error) {
	var out []liveSource
	for _, src := range contributionSources {
		cols, err := tableColumns(ctx, db, s.Dialect, src.Table)
		if err != nil {
			return nil, err
		}
		if !cols["consultation_id"] || !cols["author_id"] || !cols["id"] || !cols["created_at"] || !cols["uri"] || !cols[src.Title] {
			continue
		}
		out = append(out, liveSource{contributionSource: src, hidden: cols["hidden_at"], deleted: cols["deleted_at"], theme: cols["theme_id"], url: cols["url"]})
	}
	return out, nil
}

// visible is the WHERE clause keeping live, unmoderated, published rows
// of src (alias t) in the consultation, with its arguments.
func (src liveSource) visible(consultationID int64, now time.Time) (string, []any) {
	w, args := "t.consultation_id = ?", []any{consultationID}
	if src.hidden {
		w += " AND t.hidden_at IS NULL"
	}
	if src.deleted {
		w += " AND t.deleted_at IS NULL"
	}
	if src.Where != "" {
		w += " AND (" + src.Where + ")"
		for range strings.Count(src.Where, "?") {
			args = append(args, now)
		}
	}
	return w, args
}

// liveParticipation returns the participation sources present in the
// database whose parent is a live source.
func (s *Store) liveParticipation(ctx context.Context, db bun.IDB, live []liveSource) ([]participationSource, map[string]liveSource, error) {
	parents := map[string]liveSource{}
	for _, l := range live {
		parents[l.Table] = l
	}
	var out []participationSource
	for _, p := range participationSources {
		if _, ok := parents[p.Parent]; !ok {
			continue
		}
		ok, err := hasColumns(ctx, db, s.Dialect, p.Table, p.ParentCol, p.ActorCol, "created_at")
		if err != nil {
			return nil, nil, err
		}
		if ok {
			out = append(out, p)
		}
	}
	return out, parents, nil
}

// contributionRow is one contribution (or participation) of a
// consultation as statistics see it.
type contributionRow struct {
	Kind     string
	ObjectID int64
	ActorID  int64
	ThemeID  int64
	Workshop bool
	Online   bool // a contribution rather than a mere vote/support/signature
	Weight   int  // workshop participants
	Place    string
	When     time.Time
}

// consultationRows loads every contribution and participation of a
// consultation: sources, participation, workshop contributions.
func (s *Store) consultationRows(ctx context.Context, db bun.IDB, consultationID int64) ([]contributionRow, error) {
	live, err := s.liveSources(ctx, db)
	if err != nil {
		return nil, err
	}
	parts, parents, err := s.liveParticipation(ctx, db, live)
	if err != nil {
		return nil, err
	}
	var out []contributionRow
	type raw struct {
		ObjectID  int64     `bun:"object_id"`
		ActorID   int64     `bun:"actor_id"`
		ThemeID   *int64    `bun:"theme_id"`
		CreatedAt time.Time `bun:"created_at"`
	}
	for _, src := range live {
		theme := "NULL"
		if src.theme {
			theme = "t.theme_id"
		}
		var rows []raw
		where, args := src.visible(consultationID, s.Now())
		q := fmt.Sprintf("SELECT t.id AS object_id, t.author_id AS actor_id, %s AS theme_id, t.created_at FROM %s AS t WHERE %s", theme, src.Table, where)
		if err := db.NewRaw(q, args...).Scan(ctx, &rows); err != nil {
			return nil, fmt.Errorf("load %s of consultation: %w", src.Table, err)
		}
		for _, r := range rows {
			out = append(out, contributionRow{Kind: src.Kind, ObjectID: r.ObjectID, ActorID: r.ActorID, ThemeID: deref(r.ThemeID), Online: true, When: r.CreatedAt})
		}
	}
	for _, p := range parts {
		parent := parents[p.Parent]
		theme := "NULL"
		if parent.theme {
			theme = "t.theme_id"
		}
		where, args := parent.visible(consultationID, s.Now())
		if p.Where != "" {
			where += " AND (" + p.Where + ")"
			for range strings.Count(p.Where, "?") {
				args = append(args, consultationID)
			}
		}
		var rows []raw
		q := fmt.Sprintf("SELECT t.id AS object_id, x.%s AS actor_id, %s AS theme_id, x.created_at FROM %s AS x JOIN %s AS t ON t.id = x.%s WHERE %s",
			p.ActorCol, theme, p.Table, p.Parent, p.ParentCol, where)
		if err := db.NewRaw(q, args...).Scan(ctx, &rows); err != nil {
			return nil, fmt.Errorf("load %s of consultation: %w", p.Table, err)
		}
		for _, r := range rows {
			out = append(out, contributionRow{Kind: p.Kind, ObjectID: r.ObjectID, ActorID: r.ActorID, ThemeID: deref(r.ThemeID), Online: p.Contributes, When: r.CreatedAt})
		}
	}
	var ws []*WorkshopContribution
	if err := db.NewSelect().Model(&ws).Where("consultation_id = ? AND deleted_at IS NULL AND hidden_at IS NULL", consultationID).Scan(ctx); err != nil {
		return nil, dbErr("load workshop contributions", err)
	}
	for _, w := range ws {
		out = append(out, contributionRow{Kind: "workshop", ObjectID: w.ID, ThemeID: deref(w.ThemeID), Workshop: true, Weight: w.Participants, Place: w.Place, When: w.HeldAt})
	}
	return out, nil
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
