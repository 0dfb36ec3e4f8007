package models

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// PetitionByID loads a petition (hidden ones too; deleted ones are
// ErrNotFound) with its author, addressee and space.
func (s *Store) PetitionByID(ctx context.Context, id int64) (*Petition, error) {
	return s.petitionWhere(ctx, "id = ?", id)
}

// PetitionByURI loads a petition by its ActivityPub id, local or remote.
func (s *Store) PetitionByURI(ctx context.Context, uri string) (*Petition, error) {
	return s.petitionWhere(ctx, "uri = ?", uri)
}

func (s *Store) petitionWhere(ctx context.Context, cond string, arg any) (*Petition, error) {
	p := new(Petition)
	if err := s.DB.NewSelect().Model(p).Where(cond, arg).Where("deleted_at IS NULL").Scan(ctx); err != nil {
		return nil, dbErr("petition", err)
	}
	if err := s.attachPetitions(ctx, []*Petition{p}); err != nil {
		return nil, err
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

// visiblePetition loads a petition that is neither deleted nor hidden.
func (s *Store) visiblePetition(ctx context.Context, id int64) (*Petition, error) {
	p, err := s.PetitionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.HiddenAt != nil {
		return nil, ErrNotFound
	}
	return p, nil
}

func (s *Store) attachPetitions(ctx context.Context, ps []*Petition) error {
	var ids []int64
	for _, p := range ps {
		ids = append(ids, p.AuthorID)
		if p.AddresseeID != 0 {
			ids = append(ids, p.AddresseeID)
		}
	}
	actors, err := s.actorsByID(ctx, ids)
	if err != nil {
		return err
	}
	for _, p := range ps {
		p.Author, p.Addressee = actors[p.AuthorID], actors[p.AddresseeID]
	}
	return nil
}

// PetitionMilestone records when a petition reached a share of its goal.
type PetitionMilestone struct {
	bun.BaseModel `bun:"table:petition_milestones"`
	PetitionID    int64     `bun:",pk"`
	Percent       int       `bun:",pk"`
	Signatures    int       `bun:",notnull"`
	ReachedAt     time.Time `bun:",notnull"`
}

// PublicSigner is a signature shown with its signer's name.
type PublicSigner struct {
	Name, Handle, URL string
	SignedAt          time.Time
}

// PetitionView is a petition as one viewer sees it, with what its page
// shows.
type PetitionView struct {
	*Petition
	State      string // State at the time of the view
	Signed     bool   // the viewer signed it
	Updates    []PetitionUpdate
	Milestones []PetitionMilestone
	// Signers are the newest public signatures (at most maxShownSigners);
	// PublicCount counts them all, the rest signed anonymously.
	Signers     []PublicSigner
	PublicCount int
	// AddresseeCanAnswer is AddresseeCanAnswer of the petition: false
	// when its addressee can no longer answer, and a moderator may give
	// it a new one (unless it was answered).
	AddresseeCanAnswer bool
}

// maxShownSigners bounds the public signatures a petition page lists.
const maxShownSigners = 50

// ViewPetition loads a petition for a viewer (nil: anonymous), hidden ones
// included: both doors show a hidden petition to moderators only (HiddenAt).
func (s *Store) ViewPetition(ctx context.Context, id int64, viewer *Account) (*PetitionView, error) {
	p, err := s.PetitionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &PetitionView{Petition: p, State: p.State(s.Now())}
	if v.AddresseeCanAnswer, err = s.AddresseeCanAnswer(ctx, p); err != nil {
		return nil, err
	}
	if viewer != nil && viewer.Actor != nil {
		v.Signed, err = s.DB.NewSelect().Model((*Signature)(nil)).Where("petition_id = ? AND actor_id = ?", id, viewer.Actor.ID).Exists(ctx)
		if err != nil {
			return nil, dbErr("signed", err)
		}
	}
	if err := s.DB.NewSelect().Model(&v.Updates).Where("petition_id = ?", id).Order("id DESC").Limit(100).Scan(ctx); err != nil {
		return nil, dbErr("petition updates", err)
	}
	if err := s.DB.NewSelect().Model(&v.Milestones).Where("petition_id = ?", id).Order("percent").Scan(ctx); err != nil {
		return nil, dbErr("petition milestones", err)
	}
	public := s.DB.NewSelect().Model((*Signature)(nil)).Where("petition_id = ? AND public", id)
	publicCount, err := public.Count(ctx)
	if err != nil {
		return nil, dbErr("public signatures", err)
	}
	v.PublicCount = int(publicCount)
	var rows []struct {
		Name      string    `bun:"name"`
		Username  string    `bun:"username"`
		Host      string    `bun:"host"`
		URL       string    `bun:"url"`
		CreatedAt time.Time `bun:"created_at"`
	}
	err = s.DB.NewSelect().TableExpr("signatures AS sig").Join("JOIN actors AS a ON a.id = sig.actor_id").
		ColumnExpr("a.name, a.username, a.host, a.url, sig.created_at").
		Where("sig.petition_id = ? AND sig.public AND a.deleted_at IS NULL", id).
		OrderExpr("sig.id DESC").Limit(maxShownSigners).Scan(ctx, &rows)
	if err != nil {
		return nil, dbErr("signers", err)
	}
	for _, r := range rows {
		a := Actor{Name: r.Name, Username: r.Username, Host: r.Host}
		v.Signers = append(v.Signers, PublicSigner{Name: a.DisplayName(), Handle: a.Handle(), URL: r.URL, SignedAt: r.CreatedAt})
	}
	return v, nil
}

// PetitionQuery selects petitions of a space for a list.
type PetitionQuery struct {
	Space  string // space name (required)
	State  string // "" for all, or one of PetitionStates
	Search string
	Sort   string // SortNewest (default), SortSignatures or SortRandom
	Seed   uint64
	Cursor string
	Limit  int
}

// PetitionList is one page of petitions.
type PetitionList struct {
	Space      *Space
	Items      []*Petition
	NextCursor string
}

// ListPetitions lists the visible petitions of a space.
func (s *Store) ListPetitions(ctx context.Context, q PetitionQuery) (*PetitionList, error) {
	if q.State != "" && !slices.Contains(PetitionStates, q.State) {
		return nil, Invalid("state", "Unknown state.")
	}
	if searchTooLong(q.Search) {
		return nil, Invalid("q", errSearchTooLong)
	}
	sp, err := s.SpaceByName(ctx, q.Space)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	filter := func(sq *bun.SelectQuery) *bun.SelectQuery {
		sq = sq.Where("space_id = ? AND hidden_at IS NULL AND deleted_at IS NULL", sp.ID)
		switch q.State {
		case PetitionOpen:
			sq = sq.Where("status = ? AND (closes_at IS NULL OR closes_at > ?)", PetitionOpen, now)
		case PetitionClosed:
			sq = sq.Where("status = ? AND closes_at <= ?", PetitionOpen, now)
		case PetitionAnswered:
			sq = sq.Where("status = ?", PetitionAnswered)
		}
		return whereSearch(sq, q.Search)
	}
	items, next, err := listPage(ctx, s.DB, listSpec{
		filter: filter, sort: q.Sort, countCol: "signatures_count", countSort: SortSignatures,
		seed: q.Seed, cursor: q.Cursor, limit: q.Limit,
	}, func(p *Petition) int64 { return p.ID })
	if err != nil {
		return nil, err
	}
	if err := s.attachPetitions(ctx, items); err != nil {
		return nil, err
	}
	return &PetitionList{Space: sp, Items: items, NextCursor: next}, nil
}

// RemotePetition is a petition of another instance as federation read it.
type RemotePetition struct {
	URI, URL     string
	AuthorID     int64 // resolved by federation
	AddresseeID  int64 // 0 when unknown
	SpaceID      int64 // the local space relaying it, 0 for none
	Title        string
	ContentHTML  string // sanitised here
	Goal         int
	Signatures   int // the origin's tally
	ClosesAt     *time.Time
	Answered     bool
	ResponseHTML string // sanitised here
	RespondedAt  *time.Time
	Published    time.Time
	Updated      time.Time
	// Consultation is the origin's consultation the petition belongs to
	// (nil: none), whose phases then govern signatures here.
	Consultation *RemoteConsultation
}

// UpsertRemotePetition stores or refreshes the local copy of a remote
// petition, keyed by URI; the origin's tally and state replace ours, from
// its author only. Local petitions and other actors' are never
// overwritten (ErrForbidden); an update older than the copy changes
// nothing; no event. The milestones its count reaches are recorded on the
// copy, and its local signers told of the goal reached, once.
func (s *Store) UpsertRemotePetition(ctx context.Context, in RemotePetition) (*Petition, error) {
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
	now := s.Now()
	p := &Petition{
		URI: in.URI, URL: in.URL, Origin: origin, SpaceID: in.SpaceID, AuthorID: in.AuthorID, AddresseeID: in.AddresseeID,
		Title: title, BodyHTML: body, Search: foldText(title + "\n" + PlainText(body)),
		Goal: min(max(in.Goal, 1), MaxPetitionGoal), SignaturesCount: max(in.Signatures, 0), Status: PetitionOpen,
		ResponseHTML: SanitizeHTML(in.ResponseHTML), RespondedAt: in.RespondedAt,
		CreatedAt: orNow(in.Published, now), UpdatedAt: orNow(in.Updated, now),
	}
	if in.ClosesAt != nil {
		t := in.ClosesAt.UTC().Truncate(time.Microsecond)
		p.ClosesAt = &t
	}
	if in.Answered {
		p.Status = PetitionAnswered
	}
	if p.URL == "" {
		p.URL = p.URI
	}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rid, err := s.upsertRemoteConsultation(ctx, tx, origin, in.Consultation)
		if err != nil {
			return err
		}
		p.RemoteConsultationID = rid
		res, err := tx.NewInsert().Model(p).On("CONFLICT (uri) DO UPDATE").
			Set("url = EXCLUDED.url, space_id = COALESCE(EXCLUDED.space_id, petition.space_id), title = EXCLUDED.title").
			Set("addressee_id = COALESCE(EXCLUDED.addressee_id, petition.addressee_id)").
			Set("body_html = EXCLUDED.body_html, search = EXCLUDED.search, goal = EXCLUDED.goal").
			Set("signatures_count = EXCLUDED.signatures_count, closes_at = EXCLUDED.closes_at, status = EXCLUDED.status").
			Set("updated_at = EXCLUDED.updated_at, remote_consultation_id = EXCLUDED.remote_consultation_id").
			// The response comes in its own Note (SetRemoteAnswer): an
			// Update of the petition without one keeps it.
			Set("response_html = CASE WHEN EXCLUDED.response_html = '' THEN petition.response_html ELSE EXCLUDED.response_html END").
			Set("responded_at = COALESCE(EXCLUDED.responded_at, petition.responded_at)").
			Where("NOT petition.local AND petition.author_id = EXCLUDED.author_id").
			Where("petition.updated_at < EXCLUDED.updated_at").Exec(ctx)
		if err != nil {
			return dbErr("upsert remote petition", err)
		}
		if err := tx.NewSelect().Model(p).Where("uri = ?", in.URI).Scan(ctx); err != nil {
			return dbErr("remote petition", err)
		}
		if p.Local {
			return fmt.Errorf("%w: %s is a local petition", ErrForbidden, in.URI)
		}
		if p.AuthorID != in.AuthorID {
			return fmt.Errorf("%w: %s is another actor's petition", ErrForbidden, in.URI)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// An update not newer than the copy changes nothing, but may
			// name the consultation of a copy that lacks it.
			p.RemoteConsultationID, err = linkCopyConsultation(ctx, tx, "petitions", p.ID, p.RemoteConsultationID, rid)
			return err
		}
		// The milestones the origin's count reaches, as the origin records
		// them: the local signers are told of the goal reached. Each is
		// recorded once, so a replay or an older count tells no one twice.
		_, err = s.reachMilestones(ctx, tx, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, s.attachPetitions(ctx, []*Petition{p})
}

func init() {
	countTables["petitions"] = struct{ table, where string }{"petitions", "local AND hidden_at IS NULL AND deleted_at IS NULL"}
	countTables["signatures"] = struct{ table, where string }{"signatures", "1 = 1"}
	notificationObjects[ObjectTypePetition] = func(ctx context.Context, s *Store, ids []int64) (map[int64]NotificationObject, error) {
		var ps []Petition
		err := s.DB.NewSelect().Model(&ps).Column("id", "title").
			Where("id IN (?) AND hidden_at IS NULL AND deleted_at IS NULL", bun.In(ids)).Scan(ctx)
		if err != nil {
			return nil, dbErr("notified petitions", err)
		}
		out := make(map[int64]NotificationObject, len(ps))
		for _, p := range ps {
			out[p.ID] = NotificationObject{Title: p.Title, URL: fmt.Sprintf("/pe/%d", p.ID)}
		}
		return out, nil
	}
}

// Deciders lists the live, enabled accounts marked as verified
// decision-makers, who may be the addressees of petitions.
func (s *Store) Deciders(ctx context.Context) ([]*Account, error) {
	var out []*Account
	err := s.DB.NewSelect().Model(&out).Where("decider AND NOT disabled AND deleted_at IS NULL").Order("username").Scan(ctx)
	return out, dbErr("deciders", err)
}
