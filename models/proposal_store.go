package models

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// ProposalByID loads a proposal (hidden ones too: callers decide who sees
// them; deleted ones are ErrNotFound) with its author, answerer, tags and
// space.
func (s *Store) ProposalByID(ctx context.Context, id int64) (*Proposal, error) {
	return s.proposalWhere(ctx, "id = ?", id)
}

// ProposalByURI loads a proposal by its ActivityPub id, local or remote.
func (s *Store) ProposalByURI(ctx context.Context, uri string) (*Proposal, error) {
	return s.proposalWhere(ctx, "uri = ?", uri)
}

func (s *Store) proposalWhere(ctx context.Context, cond string, arg any) (*Proposal, error) {
	p := new(Proposal)
	if err := s.DB.NewSelect().Model(p).Where(cond, arg).Where("deleted_at IS NULL").Scan(ctx); err != nil {
		return nil, dbErr("proposal", err)
	}
	if err := s.attachProposals(ctx, []*Proposal{p}); err != nil {
		return nil, err
	}
	if p.Local && p.SupportsCount > 0 {
		ok, err := s.DB.NewSelect().Model((*Support)(nil)).Where("proposal_id = ? AND actor_id = ?", p.ID, p.AuthorID).Exists(ctx)
		if err != nil {
			return nil, dbErr("author supports", err)
		}
		p.AuthorSupports = ok
	}
	if p.SpaceID != 0 {
		sp, err := s.SpaceByID(ctx, p.SpaceID)
		if err != nil {
			return nil, err
		}
		p.Space = sp
	}
	return p, nil
}

// ProposalView is a proposal as one viewer sees it.
type ProposalView struct {
	*Proposal
	// Supported reports whether the viewer supports it.
	Supported bool
}

// ViewProposal loads a proposal for a viewer (nil: anonymous), hidden ones
// included: both doors show a hidden proposal to moderators only (HiddenAt).
func (s *Store) ViewProposal(ctx context.Context, id int64, viewer *Account) (*ProposalView, error) {
	p, err := s.ProposalByID(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &ProposalView{Proposal: p}
	if viewer != nil && viewer.Actor != nil {
		v.Supported, err = s.DB.NewSelect().Model((*Support)(nil)).
			Where("proposal_id = ? AND actor_id = ?", id, viewer.Actor.ID).Exists(ctx)
		if err != nil {
			return nil, dbErr("supported", err)
		}
	}
	return v, nil
}

// attachProposals loads the authors, answerers and tags of ps in three
// queries.
func (s *Store) attachProposals(ctx context.Context, ps []*Proposal) error {
	if len(ps) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(ps))
	actorIDs := make([]int64, 0, len(ps))
	for _, p := range ps {
		ids = append(ids, p.ID)
		actorIDs = append(actorIDs, p.AuthorID)
		if p.AnsweredBy != 0 {
			actorIDs = append(actorIDs, p.AnsweredBy)
		}
	}
	actors, err := s.actorsByID(ctx, actorIDs)
	if err != nil {
		return err
	}
	var tags []proposalTag
	if err := s.DB.NewSelect().Model(&tags).Where("proposal_id IN (?)", bun.In(ids)).Order("proposal_id", "tag_key").Scan(ctx); err != nil {
		return dbErr("proposal tags", err)
	}
	byID := make(map[int64]*Proposal, len(ps))
	for _, p := range ps {
		p.Author, p.Answerer, p.Tags = actors[p.AuthorID], actors[p.AnsweredBy], nil
		byID[p.ID] = p
	}
	for _, t := range tags {
		byID[t.ProposalID].Tags = append(byID[t.ProposalID].Tags, t.Tag)
	}
	return nil
}

// actorsByID loads actors by id.
func (s *Store) actorsByID(ctx context.Context, ids []int64) (map[int64]*Actor, error) {
	out := map[int64]*Actor{}
	if len(ids) == 0 {
		return out, nil
	}
	var actors []*Actor
	if err := s.DB.NewSelect().Model(&actors).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, dbErr("actors", err)
	}
	for _, a := range actors {
		out[a.ID] = a
	}
	return out, nil
}

// proposalTag is one tag of a proposal: Tag as shown ("écologie"),
// TagKey as matched ("ecologie", TagKey), unique per proposal.
type proposalTag struct {
	bun.BaseModel `bun:"table:proposal_tags"`
	ProposalID    int64  `bun:",pk"`
	Tag           string `bun:",pk"`
	TagKey        string `bun:"tag_key,notnull"`
}

// setProposalTags replaces the tags of a proposal.
func setProposalTags(ctx context.Context, tx bun.IDB, id int64, tags []string) error {
	if _, err := tx.NewDelete().Model((*proposalTag)(nil)).Where("proposal_id = ?", id).Exec(ctx); err != nil {
		return dbErr("clear tags", err)
	}
	if len(tags) == 0 {
		return nil
	}
	rows := make([]proposalTag, len(tags))
	for i, t := range tags {
		rows[i] = proposalTag{ProposalID: id, Tag: t, TagKey: TagKey(t)}
	}
	_, err := tx.NewInsert().Model(&rows).Exec(ctx)
	return dbErr("set tags", err)
}

// ProposalQuery selects proposals of a space for a list.
type ProposalQuery struct {
	Space  string // space name (required)
	Tag    string
	Status string // "" lists every status but withdrawn
	Search string // words that must all appear in the title or body
	Sort   string // SortNewest (default), SortSupports or SortRandom
	Seed   uint64 // the seed of SortRandom
	Cursor string // from the previous page's NextCursor
	Limit  int
}

// ProposalList is one page of proposals.
type ProposalList struct {
	Space      *Space
	Items      []*Proposal
	NextCursor string
}

// ListProposals lists the visible (not hidden, not deleted) proposals of a
// space, filtered and sorted as q says; see docs/RANKING.md.
func (s *Store) ListProposals(ctx context.Context, q ProposalQuery) (*ProposalList, error) {
	if q.Status != "" && !slices.Contains(ProposalStatuses, q.Status) {
		return nil, Invalid("status", "Unknown status.")
	}
	if searchTooLong(q.Search) {
		return nil, Invalid("q", errSearchTooLong)
	}
	tag := ""
	if q.Tag != "" {
		tags, _ := NormalizeTags([]string{q.Tag})
		if len(tags) != 1 {
			return nil, Invalid("tag", "This tag is not valid.")
		}
		tag = TagKey(tags[0])
	}
	sp, err := s.SpaceByName(ctx, q.Space)
	if err != nil {
		return nil, err
	}
	filter := func(sq *bun.SelectQuery) *bun.SelectQuery {
		sq = sq.Where("space_id = ? AND hidden_at IS NULL AND deleted_at IS NULL", sp.ID)
		if q.Status == "" {
			sq = sq.Where("status <> ?", ProposalWithdrawn)
		} else {
			sq = sq.Where("status = ?", q.Status)
		}
		if tag != "" {
			sq = sq.Where("id IN (?)", s.DB.NewSelect().Model((*proposalTag)(nil)).Column("proposal_id").Where("tag_key = ?", tag))
		}
		return whereSearch(sq, q.Search)
	}
	items, next, err := listPage(ctx, s.DB, listSpec{
		filter: filter, sort: q.Sort, countCol: "supports_count", countSort: SortSupports,
		seed: q.Seed, cursor: q.Cursor, limit: q.Limit,
	}, func(p *Proposal) int64 { return p.ID })
	if err != nil {
		return nil, err
	}
	if err := s.attachProposals(ctx, items); err != nil {
		return nil, err
	}
	return &ProposalList{Space: sp, Items: items, NextCursor: next}, nil
}

// RemoteProposal is a proposal of another instance as federation read it.
type RemoteProposal struct {
	URI, URL    string // its ActivityPub id and HTML page
	AuthorID    int64  // the (remote) author's actor, resolved by federation
	SpaceID     int64  // the local space relaying it, 0 for none
	Title       string
	ContentHTML string // sanitised here
	Tags        []string
	Status      string // one of ProposalStatuses; unknown values mean open
	Supports    int    // the origin's tally
	Threshold   int    // the origin space's support threshold (0: none or unknown)
	AnswerHTML  string // sanitised here
	// AnsweredAt is when the origin last decided it (odn:answeredAt),
	// the published of its answer Note: nil when never, or not said.
	AnsweredAt *time.Time
	Published  time.Time
	Updated    time.Time
	// Consultation is the origin's consultation the proposal belongs to
	// (nil: none), whose phases then govern supports here.
	Consultation *RemoteConsultation
}

// UpsertRemoteProposal stores or refreshes the local copy of a remote
// proposal, keyed by URI. The origin is authoritative for its status and
// tally, which replace ours, from its author only: local proposals and
// other actors' are never overwritten (ErrForbidden), and an update older
// than the copy (FEP-9967: retries and batches arrive out of order) changes
// nothing. No event is emitted: federation itself is the source; the
// local supporters are told of the changes it makes, as the origin tells
// its own (notifyRemoteProposal).
func (s *Store) UpsertRemoteProposal(ctx context.Context, in RemoteProposal) (*Proposal, error) {
	origin, err := s.remoteOrigin(in.URI)
	if err != nil {
		return nil, err
	}
	title, body, err := remoteText(in.Title, in.ContentHTML)
	if err != nil {
		return nil, err
	}
	if in.AuthorID <= 0 {
		return nil, Invalid("author", "The author is missing.")
	}
	tags := remoteTags(in.Tags)
	status := in.Status
	if !slices.Contains(ProposalStatuses, status) {
		status = ProposalOpen
	}
	now := s.Now()
	p := &Proposal{
		URI: in.URI, URL: in.URL, Local: false, Origin: origin, SpaceID: in.SpaceID, AuthorID: in.AuthorID,
		Title: title, BodyHTML: body, Search: foldText(title + "\n" + PlainText(body)), Status: status,
		SupportsCount: max(in.Supports, 0), AnswerHTML: SanitizeHTML(in.AnswerHTML), AnsweredAt: in.AnsweredAt,
		CreatedAt: orNow(in.Published, now), UpdatedAt: orNow(in.Updated, now),
	}
	if p.URL == "" {
		p.URL = p.URI
	}
	if p.AnsweredAt != nil {
		t := p.AnsweredAt.UTC().Truncate(time.Microsecond)
		p.AnsweredAt, in.AnsweredAt = &t, &t
	}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// The consultation's row first, as for debates and petitions: one
		// lock order on PostgreSQL.
		rid, err := s.upsertRemoteConsultation(ctx, tx, origin, in.Consultation)
		if err != nil {
			return err
		}
		p.RemoteConsultationID = rid
		old, err := s.lockCopy(ctx, tx, in.URI)
		if err != nil {
			return err
		}
		res, err := tx.NewInsert().Model(p).On("CONFLICT (uri) DO UPDATE").
			Set("url = EXCLUDED.url, space_id = COALESCE(EXCLUDED.space_id, proposal.space_id), title = EXCLUDED.title").
			Set("body_html = EXCLUDED.body_html, search = EXCLUDED.search, status = EXCLUDED.status").
			Set("supports_count = EXCLUDED.supports_count, updated_at = EXCLUDED.updated_at").
			Set("remote_consultation_id = EXCLUDED.remote_consultation_id").
			// The answer comes in its own Note (SetRemoteAnswer): an Update
			// of the proposal without one keeps it.
			Set("answer_html = CASE WHEN EXCLUDED.answer_html = '' THEN proposal.answer_html ELSE EXCLUDED.answer_html END").
			// The latest decision known, from this Update or the answer
			// Note (which may come first): never back to an older one.
			Set("answered_at = CASE WHEN proposal.answered_at IS NULL OR EXCLUDED.answered_at > proposal.answered_at" +
				" THEN EXCLUDED.answered_at ELSE proposal.answered_at END").
			Where("NOT proposal.local AND proposal.author_id = EXCLUDED.author_id").
			Where("proposal.updated_at < EXCLUDED.updated_at").Exec(ctx)
		if err != nil {
			return dbErr("upsert remote proposal", err)
		}
		if err := tx.NewSelect().Model(p).Where("uri = ?", in.URI).Scan(ctx); err != nil {
			return dbErr("remote proposal", err)
		}
		if p.Local {
			return fmt.Errorf("%w: %s is a local proposal", ErrForbidden, in.URI)
		}
		if p.AuthorID != in.AuthorID {
			return fmt.Errorf("%w: %s is another actor's proposal", ErrForbidden, in.URI)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// An update not newer than the copy changes nothing, but may
			// name the consultation of a copy that lacks it.
			p.RemoteConsultationID, err = linkCopyConsultation(ctx, tx, "proposals", p.ID, p.RemoteConsultationID, rid)
			return err
		}
		if err := setProposalTags(ctx, tx, p.ID, tags); err != nil {
			return err
		}
		if old == nil {
			return nil // a new copy: no one here takes part in it yet
		}
		return s.notifyRemoteProposal(ctx, tx, old, p, in)
	})
	if err != nil {
		return nil, err
	}
	return p, s.attachProposals(ctx, []*Proposal{p}) // with its tags
}

// remoteOrigin checks that uri is an http(s) id of another instance and
// returns its host.
func (s *Store) remoteOrigin(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", Invalid("uri", "The id must be an http(s) URL.")
	}
	if strings.EqualFold(u.Host, s.URLs.Host()) {
		return "", fmt.Errorf("%w: %s is a local id", ErrForbidden, uri)
	}
	return strings.ToLower(u.Host), nil
}

// remoteText cleans the title and HTML content of a remote object: the
// title becomes plain text cut to MaxTitleLen (or the start of the content
// when missing), the content is sanitised and bounded.
func remoteText(title, contentHTML string) (string, string, error) {
	if len(contentHTML) > maxRemoteLen {
		return "", "", Invalid("content", fmt.Sprintf("The content must have at most %d bytes.", maxRemoteLen))
	}
	body := SanitizeHTML(contentHTML)
	title = strings.Join(strings.Fields(PlainText(title)), " ")
	if title == "" {
		title = strings.Join(strings.Fields(PlainText(body)), " ")
	}
	title = Excerpt(title, MaxTitleLen)
	if title == "" {
		return "", "", Invalid("title", "Please write the title.")
	}
	return title, body, nil
}

// remoteTags keeps the first MaxTags valid tags of a remote object (in
// their display form, accents kept; one per TagKey, as NormalizeTags) and
// drops the others, rather than refusing the object.
func remoteTags(in []string) []string {
	var out []string
	for _, t := range in[:min(len(in), 4*MaxTags)] {
		norm, problem := NormalizeTags([]string{t})
		if problem == "" && len(norm) == 1 && len(out) < MaxTags &&
			!slices.ContainsFunc(out, func(o string) bool { return TagKey(o) == TagKey(norm[0]) }) {
			out = append(out, norm[0])
		}
	}
	return out
}

func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t.UTC().Truncate(time.Microsecond)
}

func init() {
	countTables["proposals"] = struct{ table, where string }{"proposals", "local AND hidden_at IS NULL AND deleted_at IS NULL"}
	countTables["supports"] = struct{ table, where string }{"supports", "1 = 1"}
	notificationObjects[ObjectTypeProposal] = func(ctx context.Context, s *Store, ids []int64) (map[int64]NotificationObject, error) {
		var ps []Proposal
		err := s.DB.NewSelect().Model(&ps).Column("id", "title").
			Where("id IN (?) AND hidden_at IS NULL AND deleted_at IS NULL", bun.In(ids)).Scan(ctx)
		if err != nil {
			return nil, dbErr("notified proposals", err)
		}
		out := make(map[int64]NotificationObject, len(ps))
		for _, p := range ps {
			out[p.ID] = NotificationObject{Title: p.Title, URL: fmt.Sprintf("/p/%d", p.ID)}
		}
		return out, nil
	}
}
