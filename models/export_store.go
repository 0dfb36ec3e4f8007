package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// Projections of the civic tables read by exports. They name only public
// columns, so a secret (ballot_secret, e-mail…) cannot leak through a
// new field of the internal structs.

type xProposal struct {
	bun.BaseModel  `bun:"table:proposals"`
	ID             int64      `bun:"id"`
	URI            string     `bun:"uri"`
	URL            string     `bun:"url"`
	AuthorID       int64      `bun:"author_id"`
	ConsultationID *int64     `bun:"consultation_id"`
	Title          string     `bun:"title"`
	Body           string     `bun:"body"`
	Status         string     `bun:"status"`
	SupportsCount  int        `bun:"supports_count"`
	ThresholdAt    *time.Time `bun:"threshold_reached_at"`
	Answer         string     `bun:"answer"`
	AnsweredAt     *time.Time `bun:"answered_at"`
	CreatedAt      time.Time  `bun:"created_at"`
	UpdatedAt      time.Time  `bun:"updated_at"`
}

type xPetition struct {
	bun.BaseModel   `bun:"table:petitions"`
	ID              int64      `bun:"id"`
	URI             string     `bun:"uri"`
	URL             string     `bun:"url"`
	AuthorID        int64      `bun:"author_id"`
	AddresseeID     *int64     `bun:"addressee_id"`
	ConsultationID  *int64     `bun:"consultation_id"`
	Title           string     `bun:"title"`
	Body            string     `bun:"body"`
	Goal            int        `bun:"goal"`
	SignaturesCount int        `bun:"signatures_count"`
	ClosesAt        *time.Time `bun:"closes_at"`
	ClosedBy        string     `bun:"closed_by"`
	Status          string     `bun:"status"`
	Response        string     `bun:"response"`
	RespondedAt     *time.Time `bun:"responded_at"`
	CreatedAt       time.Time  `bun:"created_at"`
}

type xComment struct {
	bun.BaseModel `bun:"table:comments"`
	ID            int64      `bun:"id"`
	URI           string     `bun:"uri"`
	ObjectType    string     `bun:"object_type"`
	ObjectID      int64      `bun:"object_id"`
	ParentID      *int64     `bun:"parent_id"`
	AuthorID      int64      `bun:"author_id"`
	Stance        string     `bun:"stance"`
	Body          string     `bun:"body"`
	CreatedAt     time.Time  `bun:"created_at"`
	EditedAt      *time.Time `bun:"edited_at"`
}

type xHandle struct {
	ID        int64      `bun:"id"`
	Username  string     `bun:"username"`
	Host      string     `bun:"host"`
	DeletedAt *time.Time `bun:"deleted_at"`
}

// Export gathers a space's open data, or one item's (q.Kind, q.ID). An
// unknown space or item, or one that is hidden, deleted, remote or in
// another space, is ErrNotFound.
// With Kind and ID set, Space may be empty: the item's own space is used.
func (s *Store) Export(ctx context.Context, q ExportQuery) (*Export, error) {
	if q.Space == "" {
		o, err := lookupObject(ctx, s.DB, q.Kind, q.ID)
		if err != nil || !slices.Contains(CommentableTypes, q.Kind) || o.SpaceID == 0 {
			return nil, ErrNotFound
		}
		sp, err := s.SpaceByID(ctx, o.SpaceID)
		if err != nil {
			return nil, err
		}
		q.Space = sp.Name
	}
	sp, err := s.SpaceByName(ctx, q.Space)
	if err != nil {
		return nil, err
	}
	e := &Export{
		Generator: "odn", ExportedAt: s.Now(), Licence: LicenceOf(sp.Licence), Notes: exportNotes,
		Space: ExportSpace{Name: sp.Name, Title: sp.Title, Kind: sp.Kind, Description: sp.Description, Policy: sp.Policy,
			URI: sp.Actor.URI, URL: s.URLs.Base + "/s/" + sp.Name},
		Proposals: []*ExportProposal{}, Debates: []*ExportDebate{}, Petitions: []*ExportPetition{}, Comments: []*ExportComment{},
	}
	switch q.Kind {
	case "", ObjectTypeProposal, ObjectTypeDebate, ObjectTypePetition:
	default:
		return nil, ErrNotFound
	}
	err = s.snapshot(ctx, func(ctx context.Context, db bun.IDB) error {
		x := &exporter{s: s, tx: db, e: e, space: sp.ID, q: q, handles: map[int64]string{}}
		for _, step := range []func(context.Context) error{x.proposals, x.debates, x.petitions, x.comments, x.resolveHandles} {
			if err := step(ctx); err != nil {
				return err
			}
		}
		if q.Kind != "" && len(e.Proposals)+len(e.Debates)+len(e.Petitions) == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// snapshot runs fn over a consistent read view, so that counts, receipts
// and comments agree: a read-only repeatable-read transaction on
// PostgreSQL; on a SQLite file (WAL), a deferred transaction on a
// connection of its own, whose snapshot is taken at its first read and
// which takes no write lock (the store's own transactions are BEGIN
// IMMEDIATE, which would block every writer for the whole export). A
// shared-cache memory database (tests) would lock its tables against
// writers instead, so there fn reads outside a transaction.
func (s *Store) snapshot(ctx context.Context, fn func(ctx context.Context, db bun.IDB) error) error {
	switch {
	case s.Dialect == Postgres:
		return s.DB.RunInTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead},
			func(ctx context.Context, tx bun.Tx) error { return fn(ctx, tx) })
	case !s.walFile:
		return fn(ctx, s.DB)
	}
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		return dbErr("export snapshot", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return dbErr("export snapshot", err)
	}
	err = fn(ctx, conn)
	// Always end the transaction, even when ctx is done; a connection
	// that cannot end it is dropped rather than returned to the pool
	// inside a transaction.
	if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck // the error is the point
	}
	return err
}

// exporter fills one Export inside one transaction.
type exporter struct {
	s       *Store
	tx      bun.IDB
	e       *Export
	space   int64
	q       ExportQuery
	handles map[int64]string // actor id → handle, resolved at the end
	setters []func()         // assign handles once resolved
}

// visible restricts a civic table to the space's local, visible rows (and
// to the selected item).
func (x *exporter) visible(q *bun.SelectQuery, kind string) *bun.SelectQuery {
	q = q.Where("space_id = ?", x.space).Where("local").Where("hidden_at IS NULL").Where("deleted_at IS NULL").Order("id")
	if x.q.Kind != "" {
		if x.q.Kind != kind {
			return q.Where("1 = 0")
		}
		q = q.Where("id = ?", x.q.ID)
	}
	return q
}

// author records that an actor's handle must be written through set.
func (x *exporter) author(id int64, set func(string)) {
	x.handles[id] = ""
	x.setters = append(x.setters, func() { set(x.handles[id]) })
}

func (x *exporter) proposals(ctx context.Context) error {
	var rows []xProposal
	if err := x.visible(x.tx.NewSelect().Model(&rows), ObjectTypeProposal).Scan(ctx); err != nil {
		return dbErr("export proposals", err)
	}
	ids := make([]int64, 0, len(rows))
	byID := map[int64]*ExportProposal{}
	for _, r := range rows {
		p := &ExportProposal{ID: r.ID, URI: r.URI, URL: orURI(r.URL, r.URI), Title: r.Title, Body: r.Body, Tags: []string{},
			Status: r.Status, Supports: r.SupportsCount, ThresholdAt: r.ThresholdAt, Answer: r.Answer, AnsweredAt: r.AnsweredAt,
			ConsultationID: deref(r.ConsultationID), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
		x.author(r.AuthorID, func(h string) { p.Author = h })
		x.e.Proposals = append(x.e.Proposals, p)
		ids, byID[r.ID] = append(ids, r.ID), p
	}
	if len(ids) == 0 {
		return nil
	}
	var tags []struct {
		ProposalID int64  `bun:"proposal_id"`
		Tag        string `bun:"tag"`
	}
	err := x.tx.NewSelect().Table("proposal_tags").Column("proposal_id", "tag").Where("proposal_id IN (?)", bun.In(ids)).
		Order("proposal_id", "tag").Scan(ctx, &tags)
	if err != nil {
		return dbErr("export tags", err)
	}
	for _, t := range tags {
		byID[t.ProposalID].Tags = append(byID[t.ProposalID].Tags, t.Tag)
	}
	return nil
}

func (x *exporter) debates(ctx context.Context) error {
	var rows []*Debate
	q := x.tx.NewSelect().Model(&rows).Where("d.space_id = ?", x.space).Where("d.local").
		Where("d.hidden_at IS NULL").Where("d.deleted_at IS NULL").OrderExpr("d.id")
	if x.q.Kind != "" {
		if x.q.Kind != ObjectTypeDebate {
			return nil
		}
		q = q.Where("d.id = ?", x.q.ID)
	}
	if err := q.Scan(ctx); err != nil {
		return dbErr("export debates", err)
	}
	now := x.s.Now()
	for _, r := range rows {
		if r.Current = r.PhaseAt(now); r.Current == DebateDraft {
			continue
		}
		d := &ExportDebate{ID: r.ID, URI: r.URI, URL: orURI(r.URL, r.URI), Question: r.Question, Description: r.Description,
			Multiple: r.Multiple, Phase: r.Current, OpensAt: r.OpensAt, ClosesAt: r.ClosesAt, ClosedAt: r.ClosedAt,
			PublicBallot: r.PublicBallot, ConsultationID: r.ConsultationID, CreatedAt: r.CreatedAt,
			ResultsPublished: r.ResultsVisible(nil),
			Options:          []ExportOption{}, ByInstance: map[string]int{}, Receipts: []ExportReceipt{}}
		x.author(r.AuthorID, func(h string) { d.Author = h })
		counts := fitCounts(r.Counts, len(r.Options))
		for i, n := range r.Options {
			o := ExportOption{Index: i, Name: n}
			if d.ResultsPublished {
				o.Count = counts[i]
			}
			d.Options = append(d.Options, o)
		}
		if d.ResultsPublished {
			d.Voters, d.ResultsUpdatedAt = r.Voters, r.ResultsUpdatedAt
			if err := x.ballots(ctx, r, d); err != nil {
				return err
			}
		}
		x.e.Debates = append(x.e.Debates, d)
	}
	return nil
}

// ballots adds a published debate's per-instance breakdown and, once it
// is closed, its receipts (the debates' own rule, see Store.Ballots).
func (x *exporter) ballots(ctx context.Context, r *Debate, d *ExportDebate) error {
	var hosts []struct {
		Host string `bun:"host"`
		N    int    `bun:"n"`
	}
	err := x.tx.NewSelect().Table("debate_ballots").ColumnExpr("host, COUNT(*) AS n").Where("debate_id = ?", d.ID).
		Group("host").Order("host").Scan(ctx, &hosts)
	if err != nil {
		return dbErr("export breakdown", err)
	}
	for _, h := range hosts {
		d.ByInstance[h.Host] = h.N
	}
	if r.Current != DebateClosed {
		return nil
	}
	list, err := ballotList(ctx, x.tx, r)
	if err != nil {
		return err
	}
	for _, b := range list {
		if b.Options == nil {
			b.Options = []string{}
		}
		d.Receipts = append(d.Receipts, ExportReceipt(b))
	}
	return nil
}

func (x *exporter) petitions(ctx context.Context) error {
	var rows []xPetition
	if err := x.visible(x.tx.NewSelect().Model(&rows), ObjectTypePetition).Scan(ctx); err != nil {
		return dbErr("export petitions", err)
	}
	for _, r := range rows {
		p := &ExportPetition{ID: r.ID, URI: r.URI, URL: orURI(r.URL, r.URI), Title: r.Title, Body: r.Body, Goal: r.Goal,
			Signatures: r.SignaturesCount, Status: r.Status, ClosesAt: r.ClosesAt, ClosedBy: r.ClosedBy, Response: r.Response, RespondedAt: r.RespondedAt,
			ConsultationID: deref(r.ConsultationID), CreatedAt: r.CreatedAt,
			Milestones: []ExportMilestone{}, PublicSigners: []ExportSigner{}, Updates: []ExportUpdate{}}
		x.author(r.AuthorID, func(h string) { p.Author = h })
		if r.AddresseeID != nil {
			x.author(*r.AddresseeID, func(h string) { p.Addressee = h })
		}
		if err := x.petitionDetails(ctx, p); err != nil {
			return err
		}
		x.e.Petitions = append(x.e.Petitions, p)
	}
	return nil
}

func (x *exporter) petitionDetails(ctx context.Context, p *ExportPetition) error {
	err := x.tx.NewSelect().Table("petition_milestones").Column("percent", "signatures", "reached_at").
		Where("petition_id = ?", p.ID).Order("percent").Scan(ctx, &p.Milestones)
	if err != nil {
		return dbErr("export milestones", err)
	}
	err = x.tx.NewSelect().Table("petition_updates").Column("uri", "body", "created_at").
		Where("petition_id = ?", p.ID).Order("id").Scan(ctx, &p.Updates)
	if err != nil {
		return dbErr("export petition updates", err)
	}
	var signers []struct {
		ActorID   int64     `bun:"actor_id"`
		CreatedAt time.Time `bun:"created_at"`
	}
	// Only signers who chose public display; the others are a count.
	err = x.tx.NewSelect().Table("signatures").Column("actor_id", "created_at").
		Where("petition_id = ? AND public", p.ID).Order("id").Scan(ctx, &signers)
	if err != nil {
		return dbErr("export signers", err)
	}
	for _, sg := range signers {
		i := len(p.PublicSigners)
		p.PublicSigners = append(p.PublicSigners, ExportSigner{SignedAt: sg.CreatedAt})
		x.author(sg.ActorID, func(h string) { p.PublicSigners[i].Signer = h })
	}
	return nil
}

// comments adds the comments the exported objects' threads show to
// everyone (shownComments: not those below a hidden comment either).
func (x *exporter) comments(ctx context.Context) error {
	targets := map[string][]int64{}
	for _, p := range x.e.Proposals {
		targets[ObjectTypeProposal] = append(targets[ObjectTypeProposal], p.ID)
	}
	for _, d := range x.e.Debates {
		targets[ObjectTypeDebate] = append(targets[ObjectTypeDebate], d.ID)
	}
	for _, p := range x.e.Petitions {
		targets[ObjectTypePetition] = append(targets[ObjectTypePetition], p.ID)
	}
	for _, typ := range CommentableTypes {
		ids := targets[typ]
		if len(ids) == 0 {
			continue
		}
		var rows []xComment
		err := x.tx.NewSelect().Model(&rows).Where("deleted_at IS NULL").
			Where("id IN ("+shownComments("h.object_type = ? AND h.object_id IN (?)")+")", typ, bun.In(ids)).
			Order("id").Scan(ctx)
		if err != nil {
			return dbErr("export comments", err)
		}
		for _, r := range rows {
			c := &ExportComment{ID: r.ID, URI: r.URI, ObjectType: r.ObjectType, ObjectID: r.ObjectID, ParentID: deref(r.ParentID),
				Stance: r.Stance, Body: r.Body, CreatedAt: r.CreatedAt, EditedAt: r.EditedAt}
			x.author(r.AuthorID, func(h string) { c.Author = h })
			x.e.Comments = append(x.e.Comments, c)
		}
	}
	slices.SortFunc(x.e.Comments, func(a, b *ExportComment) int { return int(a.ID - b.ID) })
	return nil
}

// resolveHandles turns actor ids into name@host handles ("" for erased
// accounts) in one query.
func (x *exporter) resolveHandles(ctx context.Context) error {
	if len(x.handles) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(x.handles))
	for id := range x.handles {
		ids = append(ids, id)
	}
	var rows []xHandle
	err := x.tx.NewSelect().Table("actors").Column("id", "username", "host", "deleted_at").Where("id IN (?)", bun.In(ids)).Scan(ctx, &rows)
	if err != nil {
		return dbErr("export handles", err)
	}
	for _, a := range rows {
		if a.DeletedAt == nil && a.Username != "" {
			x.handles[a.ID] = a.Username + "@" + a.Host
		}
	}
	for _, set := range x.setters {
		set()
	}
	return nil
}

func orURI(url, uri string) string {
	if url != "" {
		return url
	}
	return uri
}
