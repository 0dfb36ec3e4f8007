package models

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Consultation phases, in order. Before its information phase a
// consultation is upcoming; after its synthesis phase it is closed.
const (
	PhaseUpcoming     = "upcoming"
	PhaseInformation  = "information"
	PhaseContribution = "contribution"
	PhaseSynthesis    = "synthesis"
	PhaseClosed       = "closed"
	// PhaseWithdrawn names, on pages, a consultation its moderators
	// withdrew: it takes nothing more (Check answers as for closed).
	PhaseWithdrawn = "withdrawn"
)

// PhaseNames lists the phases a consultation goes through, in order.
var PhaseNames = []string{PhaseInformation, PhaseContribution, PhaseSynthesis, PhaseClosed}

// phaseAllows is the rule of what each phase allows; anything not listed
// is refused. The synthesis phase keeps comments open so that people can
// react to the draft synthesis and to each other, but takes no new
// proposals, votes, supports or signatures: the material being
// synthesised must not move. Workshop sheets may still be typed in during
// the synthesis phase (paper lags behind), not after.
var phaseAllows = map[string][]string{
	PhaseContribution: {ActionPropose, ActionComment, ActionVote, ActionWorkshop},
	PhaseSynthesis:    {ActionComment, ActionWorkshop},
}

// Event kinds of consultations. Data is {"title": "…"}.
const (
	EventConsultationCreated = "consultation.created"
	EventConsultationUpdated = "consultation.updated"
	EventConsultationDeleted = "consultation.deleted"
)

// Limits of consultation fields.
const (
	MaxConsultationTitle   = 200
	MaxConsultationSummary = 1000
	MaxConsultationBody    = 50000
	MaxBannerAlt           = 300
)

// Consultation is a question put to the public within a space for a
// period: information, then contribution, then synthesis, then closed.
// Proposals, debates and petitions may belong to one (their
// consultation_id), and it holds information sheets, files, a FAQ,
// themes, workshop contributions and a synthesis.
type Consultation struct {
	bun.BaseModel  `bun:"table:consultations"`
	ID             int64     `bun:",pk,autoincrement"`
	URI            string    `bun:"uri,notnull"`
	SpaceID        int64     `bun:",notnull"`
	Title          string    `bun:",notnull"`
	Summary        string    `bun:",notnull"`
	Body           string    `bun:",notnull"`
	BodyHTML       string    `bun:"body_html,notnull"`
	Search         string    `bun:",notnull"` // folded title, summary and body
	BannerID       *int64    `bun:",nullzero"`
	BannerAlt      string    `bun:",notnull"`
	OpensAt        time.Time `bun:",notnull"`
	ContributionAt time.Time `bun:",notnull"`
	SynthesisAt    time.Time `bun:",notnull"`
	ClosesAt       time.Time `bun:",notnull"`
	MapEnabled     bool      `bun:",notnull"`
	CreatedBy      *int64    `bun:",nullzero"`
	AuthorID       int64     `bun:",notnull"`
	Local          bool      `bun:",notnull"`
	Origin         string    `bun:",notnull"`
	CreatedAt      time.Time `bun:",notnull"`
	UpdatedAt      time.Time `bun:",notnull"`
	// Version counts its edits (from 1): an edit made from another one is
	// refused with ErrEditConflict (see EditVersion).
	Version   int64      `bun:",notnull,default:1"`
	DeletedAt *time.Time `bun:",nullzero"`

	// Banner is the banner image, when BannerID is set (loaded by
	// ConsultationByID).
	Banner *Upload `bun:"-"`
}

// Phase is one period of a consultation; EndsAt is nil for the last
// (closed) phase.
type Phase struct {
	Name     string     `json:"name"`
	StartsAt time.Time  `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at"`
}

// Phases returns the four phases with their dates. A phase whose start
// equals its end is skipped by the consultation (e.g. no information
// phase) but still listed.
func (c *Consultation) Phases() []Phase {
	b := []time.Time{c.OpensAt, c.ContributionAt, c.SynthesisAt, c.ClosesAt}
	out := make([]Phase, 0, 4)
	for i, name := range PhaseNames {
		p := Phase{Name: name, StartsAt: b[i]}
		if i < 3 {
			end := b[i+1]
			p.EndsAt = &end
		}
		out = append(out, p)
	}
	return out
}

// PhaseAt returns the phase the consultation is in at t.
func (c *Consultation) PhaseAt(t time.Time) string {
	switch {
	case t.Before(c.OpensAt):
		return PhaseUpcoming
	case t.Before(c.ContributionAt):
		return PhaseInformation
	case t.Before(c.SynthesisAt):
		return PhaseContribution
	case t.Before(c.ClosesAt):
		return PhaseSynthesis
	}
	return PhaseClosed
}

// PhaseAllows reports whether phase allows action (one of the Action*
// constants).
func PhaseAllows(phase, action string) bool { return slices.Contains(phaseAllows[phase], action) }

// Allowed lists the actions allowed at t, for pages that say "what you
// can do now".
func (c *Consultation) Allowed(t time.Time) []string { return phaseAllows[c.PhaseAt(t)] }

// PhaseError is the refusal of an action that the current phase of a
// consultation does not allow. It wraps ErrClosed, so every door answers
// it as a conflict; its fields let pages explain it in the reader's
// language.
type PhaseError struct {
	Consultation string    // title
	Phase        string    // current phase
	Action       string    // refused action
	Next         time.Time // when the action becomes possible (zero: never again)
	// URL is the consultation's page: a path here for a local one, the
	// origin's page for a copy's.
	URL string
}

func (e *PhaseError) Error() string {
	verb := map[string]string{ActionPropose: "new contributions", ActionComment: "comments", ActionVote: "votes, supports and signatures", ActionWorkshop: "workshop contributions"}[e.Action]
	if verb == "" {
		verb = e.Action
	}
	msg := fmt.Sprintf("the consultation %q is in its %s phase, which does not accept %s", e.Consultation, e.Phase, verb)
	if !e.Next.IsZero() {
		msg += " (they open on " + e.Next.UTC().Format("2006-01-02 15:04 UTC") + ")"
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrClosed) true.
func (e *PhaseError) Unwrap() error { return ErrClosed }

// Check returns a *PhaseError when the phase at t does not allow action.
func (c *Consultation) Check(t time.Time, action string) error {
	phase := c.PhaseAt(t)
	if c.DeletedAt != nil {
		phase = PhaseClosed
	}
	if PhaseAllows(phase, action) {
		return nil
	}
	e := &PhaseError{Consultation: c.Title, Phase: phase, Action: action}
	if c.DeletedAt == nil {
		for _, p := range c.Phases() {
			if p.StartsAt.After(t) && PhaseAllows(p.Name, action) && (p.EndsAt == nil || p.EndsAt.After(p.StartsAt)) {
				e.Next = p.StartsAt
				break
			}
		}
	}
	return e
}

func init() {
	countTables["consultations"] = struct{ table, where string }{"consultations", "deleted_at IS NULL"}
}

// ConsultationInput is what a moderator fills in to create or edit a
// consultation. Phase boundaries must be in order; equal boundaries skip
// a phase (OpensAt == ContributionAt: no information phase).
type ConsultationInput struct {
	Title          string    `json:"title"`
	Summary        string    `json:"summary"`
	Body           string    `json:"body"`
	OpensAt        time.Time `json:"opens_at"`
	ContributionAt time.Time `json:"contribution_at"`
	SynthesisAt    time.Time `json:"synthesis_at"`
	ClosesAt       time.Time `json:"closes_at"`
	BannerID       *int64    `json:"banner_id"`
	BannerAlt      string    `json:"banner_alt"`
	MapEnabled     bool      `json:"map"`
	// IfVersion is the version the edit was made from (its If-Match, a
	// form's hidden field): another is refused with ErrEditConflict; 0
	// accepts any. Creating ignores it.
	IfVersion int64 `json:"-"`
}

// PhasesToInput fills the phase boundaries of in from a list of phases
// {name, starts_at, ends_at} as the API takes them. Missing phases take
// no time; ends_at, when given, must match the next phase's start.
func (in *ConsultationInput) PhasesToInput(phases []Phase) error {
	v := &ValidationError{}
	starts := map[string]time.Time{}
	ends := map[string]time.Time{}
	for _, p := range phases {
		if !slices.Contains(PhaseNames, p.Name) {
			v.Add("phases", "Phase names are information, contribution, synthesis and closed.")
			continue
		}
		if _, dup := starts[p.Name]; dup {
			v.Add("phases", "Each phase may be given once.")
		}
		starts[p.Name] = p.StartsAt
		if p.EndsAt != nil {
			ends[p.Name] = *p.EndsAt
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	c, ok := starts[PhaseContribution]
	if !ok {
		return Invalid("phases", "A consultation needs a contribution phase.")
	}
	get := func(name string, def time.Time) time.Time {
		if t, ok := starts[name]; ok {
			return t
		}
		return def
	}
	in.OpensAt = get(PhaseInformation, c)
	in.ContributionAt = c
	end, ok := ends[PhaseContribution]
	if !ok {
		end = get(PhaseSynthesis, time.Time{})
	}
	in.SynthesisAt = get(PhaseSynthesis, end)
	synthEnd, ok := ends[PhaseSynthesis]
	if !ok {
		synthEnd = in.SynthesisAt
	}
	in.ClosesAt = get(PhaseClosed, synthEnd)
	for i, name := range PhaseNames[:3] {
		if e, ok := ends[name]; ok && !e.Equal(get(PhaseNames[i+1], e)) {
			v.Add("phases", "Each phase must end when the next one starts.")
		}
	}
	return v.Err()
}

// Validate checks in as CreateConsultation and UpdateConsultation do,
// for a form that joins these problems to its own (ValidationError.Join).
func (in *ConsultationInput) Validate() error { return in.validate() }

func (in *ConsultationInput) validate() error {
	v := &ValidationError{}
	in.Title = strings.TrimSpace(in.Title)
	if n := utf8.RuneCountInString(in.Title); n < 3 || n > MaxConsultationTitle {
		v.Add("title", fmt.Sprintf("must have 3 to %d characters", MaxConsultationTitle))
	}
	in.Summary = strings.TrimSpace(in.Summary)
	if utf8.RuneCountInString(in.Summary) > MaxConsultationSummary {
		v.Add("summary", fmt.Sprintf("must have at most %d characters", MaxConsultationSummary))
	}
	if utf8.RuneCountInString(in.Body) > MaxConsultationBody {
		v.Add("body", fmt.Sprintf("must have at most %d characters", MaxConsultationBody))
	}
	switch {
	case in.OpensAt.IsZero() || in.ContributionAt.IsZero() || in.SynthesisAt.IsZero() || in.ClosesAt.IsZero():
		v.Add("phases", "Every phase needs a start date.")
	case in.ContributionAt.Before(in.OpensAt) || in.SynthesisAt.Before(in.ContributionAt) || in.ClosesAt.Before(in.SynthesisAt):
		v.Add("phases", "Phases must follow each other: information, contribution, synthesis, closed.")
	case !in.SynthesisAt.After(in.ContributionAt):
		v.Add("phases", "The contribution phase must last some time.")
	}
	in.OpensAt, in.ContributionAt = in.OpensAt.UTC().Truncate(time.Second), in.ContributionAt.UTC().Truncate(time.Second)
	in.SynthesisAt, in.ClosesAt = in.SynthesisAt.UTC().Truncate(time.Second), in.ClosesAt.UTC().Truncate(time.Second)
	in.BannerAlt = strings.TrimSpace(in.BannerAlt)
	if in.BannerID != nil && *in.BannerID == 0 {
		in.BannerID = nil
	}
	if in.BannerID != nil && in.BannerAlt == "" {
		v.Add("banner_alt", "A banner image needs a text alternative.")
	}
	if utf8.RuneCountInString(in.BannerAlt) > MaxBannerAlt {
		v.Add("banner_alt", fmt.Sprintf("must have at most %d characters", MaxBannerAlt))
	}
	return v.Err()
}

// checkBanner makes sure a banner is an image uploaded in the same space.
func checkBanner(ctx context.Context, tx bun.IDB, spaceID int64, id *int64) error {
	if id == nil {
		return nil
	}
	u := new(Upload)
	if err := lockUpload(tx, tx.NewSelect().Model(u).Where("id = ?", *id)).Scan(ctx); err != nil || u.SpaceID != spaceID || !u.IsImage() {
		return Invalid("banner_id", "The banner must be an image uploaded to this space.")
	}
	return nil
}

// CreateConsultation opens a consultation in a space; moderators only.
func (s *Store) CreateConsultation(ctx context.Context, by *Account, spaceName string, in ConsultationInput) (*Consultation, error) {
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
	if by.Actor == nil {
		return nil, fmt.Errorf("create consultation: account %d has no actor", by.ID)
	}
	now := s.Now()
	c := &Consultation{
		URI: s.URLs.Base + "/consultations/new-" + newUploadKey(), SpaceID: sp.ID, Title: in.Title, Summary: in.Summary,
		Body: in.Body, BodyHTML: RenderMarkdown(in.Body), BannerID: in.BannerID, BannerAlt: in.BannerAlt,
		OpensAt: in.OpensAt, ContributionAt: in.ContributionAt, SynthesisAt: in.SynthesisAt, ClosesAt: in.ClosesAt,
		MapEnabled: in.MapEnabled, CreatedBy: &by.ID, AuthorID: by.Actor.ID, Local: true, CreatedAt: now, UpdatedAt: now,
		Search: foldText(in.Title + "\n" + in.Summary + "\n" + in.Body),
	}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := checkBanner(ctx, tx, sp.ID, in.BannerID); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return dbErr("insert consultation", err)
		}
		c.URI = s.URLs.ConsultationURI(c.ID)
		if _, err := tx.NewUpdate().Model(c).Column("uri").WherePK().Exec(ctx); err != nil {
			return dbErr("set consultation uri", err)
		}
		if err := s.audit(ctx, tx, by, "create_consultation", "consultation", strconv.FormatInt(c.ID, 10), c.Title); err != nil {
			return err
		}
		return s.emit(ctx, tx, Event{Kind: EventConsultationCreated, ObjectType: "consultation", ObjectID: c.ID,
			ActorID: sp.ActorID, SpaceID: sp.ID, Data: consultationData(map[string]any{"title": c.Title})})
	})
	if err != nil {
		return nil, err
	}
	return c, s.attachBanners(ctx, c)
}

// UpdateConsultation edits a consultation, dates included (to extend or
// shorten a phase); moderators only. An edit made from another version
// than the current one (in.IfVersion) is refused with ErrEditConflict.
func (s *Store) UpdateConsultation(ctx context.Context, by *Account, id int64, in ConsultationInput) (*Consultation, error) {
	if !by.IsModerator() {
		return nil, ErrForbidden
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	c, err := s.ConsultationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	c.Title, c.Summary, c.Body, c.BodyHTML = in.Title, in.Summary, in.Body, RenderMarkdown(in.Body)
	c.Search = foldText(in.Title + "\n" + in.Summary + "\n" + in.Body)
	c.BannerID, c.BannerAlt, c.MapEnabled = in.BannerID, in.BannerAlt, in.MapEnabled
	c.Banner = nil // attachBanners loads the new one; none if removed
	// dates_changed tells federation to republish the consultation's polls,
	// whose endTime follows the end of its contribution phase.
	datesChanged := !c.OpensAt.Equal(in.OpensAt) || !c.ContributionAt.Equal(in.ContributionAt) ||
		!c.SynthesisAt.Equal(in.SynthesisAt) || !c.ClosesAt.Equal(in.ClosesAt)
	c.OpensAt, c.ContributionAt, c.SynthesisAt, c.ClosesAt = in.OpensAt, in.ContributionAt, in.SynthesisAt, in.ClosesAt
	c.UpdatedAt = s.Now()
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := checkBanner(ctx, tx, c.SpaceID, in.BannerID); err != nil {
			return err
		}
		var err error
		if c.Version, err = claimVersion(ctx, tx, "consultations", "version", c.ID, in.IfVersion); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(c).WherePK().Exec(ctx); err != nil {
			return dbErr("update consultation", err)
		}
		if err := s.audit(ctx, tx, by, "update_consultation", "consultation", strconv.FormatInt(c.ID, 10), c.Title); err != nil {
			return err
		}
		return s.emit(ctx, tx, Event{Kind: EventConsultationUpdated, ObjectType: "consultation", ObjectID: c.ID,
			ActorID: c.AuthorID, SpaceID: c.SpaceID, Data: consultationData(map[string]any{"title": c.Title, "dates_changed": datesChanged})})
	})
	if err != nil {
		return nil, err
	}
	return c, s.attachBanners(ctx, c)
}

// DeleteConsultation withdraws a consultation (soft delete); what was
// attached to it stays, read-only, as checkConsultation refuses everything. Its
// published synthesis, the one part of it federated, goes with it: its id
// answers 410 Gone and the event tells federation to send its Delete.
func (s *Store) DeleteConsultation(ctx context.Context, by *Account, id int64) error {
	if !by.IsModerator() {
		return ErrForbidden
	}
	c, err := s.ConsultationByID(ctx, id)
	if err != nil {
		return err
	}
	sp, err := s.SpaceByID(ctx, c.SpaceID)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model(c).Set("deleted_at = ?", s.Now()).WherePK().Exec(ctx); err != nil {
			return dbErr("delete consultation", err)
		}
		var published []string // the synthesis's id, once published
		err := tx.NewSelect().Model((*Synthesis)(nil)).Column("uri").Where("consultation_id = ? AND published_at IS NOT NULL", c.ID).Scan(ctx, &published)
		if err != nil {
			return dbErr("synthesis of deleted consultation", err)
		}
		for _, uri := range published {
			if err := s.AddTombstoneTx(ctx, tx, uri, "Note", sp.Actor.URI); err != nil {
				return err
			}
		}
		if err := s.audit(ctx, tx, by, "delete_consultation", "consultation", strconv.FormatInt(id, 10), c.Title); err != nil {
			return err
		}
		return s.emit(ctx, tx, Event{Kind: EventConsultationDeleted, ObjectType: "consultation", ObjectID: c.ID,
			ActorID: c.AuthorID, SpaceID: c.SpaceID, Data: consultationData(map[string]any{"title": c.Title})})
	})
}

// ConsultationByID loads a live consultation with its banner.
func (s *Store) ConsultationByID(ctx context.Context, id int64) (*Consultation, error) {
	c := new(Consultation)
	if err := s.DB.NewSelect().Model(c).Where("id = ? AND deleted_at IS NULL", id).Scan(ctx); err != nil {
		return nil, dbErr("consultation by id", err)
	}
	return c, s.attachBanners(ctx, c)
}

func (s *Store) attachBanners(ctx context.Context, cs ...*Consultation) error {
	return attachUploads(ctx, s, cs, func(c *Consultation) *int64 { return c.BannerID }, func(c *Consultation, u *Upload) { c.Banner = u })
}

// ConsultationFilter selects consultations of a space: Current keeps
// those not yet closed (upcoming included).
type ConsultationFilter struct {
	Current bool
	Limit   int
}

// ListConsultations lists a space's consultations, the most recently
// opened first.
func (s *Store) ListConsultations(ctx context.Context, spaceID int64, f ConsultationFilter) ([]*Consultation, error) {
	var out []*Consultation
	q := s.DB.NewSelect().Model(&out).Where("space_id = ? AND deleted_at IS NULL", spaceID).
		OrderExpr("opens_at DESC, id DESC").Limit(int64(clampLimit(f.Limit)))
	if f.Current {
		q = q.Where("closes_at > ?", s.Now())
	}
	if err := q.Scan(ctx); err != nil {
		return nil, dbErr("list consultations", err)
	}
	return out, s.attachBanners(ctx, out...)
}

// CheckConsultationRef validates the consultation and theme a new
// proposal, debate or petition of spaceID claims to belong to (0: none)
// and applies the phase rule for ActionPropose. Creators call it inside
// their transaction instead of checkConsultation when a theme may be set.
func (s *Store) CheckConsultationRef(ctx context.Context, tx bun.IDB, spaceID, consultationID, themeID int64) error {
	if consultationID == 0 {
		if themeID != 0 {
			return Invalid("theme", "A theme belongs to a consultation: choose the consultation too.")
		}
		return nil
	}
	c := new(Consultation)
	if err := tx.NewSelect().Model(c).Where("id = ? AND deleted_at IS NULL", consultationID).Scan(ctx); err != nil || c.SpaceID != spaceID {
		return Invalid("consultation", "This consultation does not exist in this space.")
	}
	if err := checkTheme(ctx, tx, consultationID, themeID); err != nil {
		return err
	}
	return c.Check(s.Now(), ActionPropose)
}

// ConsultationURI is the id (and permalink) of a local consultation.
func (u URLs) ConsultationURI(id int64) string {
	return u.Base + "/consultations/" + strconv.FormatInt(id, 10)
}
