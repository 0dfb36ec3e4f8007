package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Petition states. A petition is open until its deadline (closes_at) or
// until its addressee responds (answered); "closed" is not stored, it is
// an open petition past its deadline (see State).
const (
	PetitionOpen     = "open"
	PetitionClosed   = "closed"
	PetitionAnswered = "answered"
)

// PetitionStates lists the states, for filters.
var PetitionStates = []string{PetitionOpen, PetitionClosed, PetitionAnswered}

// Petition limits; titles and texts share the proposal limits.
const (
	MaxPetitionGoal = 10_000_000
	// MaxPetitionDuration bounds a deadline, so a typo (year 3025) does
	// not create a petition that never closes.
	MaxPetitionDuration = 3 * 365 * 24 * time.Hour
)

// Milestones are the percentages of the goal recorded (once each) and
// announced when the signatures reach them.
var Milestones = []int{25, 50, 75, 100}

// Events about petitions and signatures. Data is a JSON object:
//   - petition.created: {"uri"}
//   - signature.added, signature.removed: {"signature_id", "petition_uri",
//     "remote" (the origin must be told), "public", "signatures", "goal"}
//   - petition.milestone: {"uri", "percent", "signatures", "goal"}
//   - petition.update: {"uri", "update_id", "update_uri", "body_html"}
//   - petition.answered: {"uri", "response_html"}
//   - petition.readdressed: {"uri", "addressee_uri"}
//   - petition.closed: {"uri", "closed_by"}
const (
	EventPetitionCreated   = "petition.created"
	EventSignatureAdded    = "signature.added"
	EventSignatureRemoved  = "signature.removed"
	EventPetitionMilestone = "petition.milestone"
	EventPetitionUpdate    = "petition.update"
	EventPetitionAnswered  = "petition.answered"
	// EventPetitionReaddressed: a moderator gave the petition a new
	// addressee (ReaddressPetition); its copies must learn of it.
	EventPetitionReaddressed = "petition.readdressed"
	// EventPetitionClosed: its author or a moderator closed the petition
	// before its deadline (ClosePetition).
	EventPetitionClosed = "petition.closed"
)

// Petition asks a decision-maker (its addressee) for something; members
// sign it towards a goal, its author posts updates, the addressee
// responds. Remote petitions (Local false) are cached copies.
type Petition struct {
	bun.BaseModel  `bun:"table:petitions"`
	ID             int64  `bun:",pk,autoincrement"`
	URI            string `bun:"uri,notnull"`
	URL            string `bun:"url,notnull"`
	Local          bool   `bun:",notnull"`
	Origin         string `bun:",notnull"`
	SpaceID        int64  `bun:",nullzero"`
	AuthorID       int64  `bun:",notnull"`
	AddresseeID    int64  `bun:",nullzero"` // actor of the decision-maker
	ConsultationID int64  `bun:",nullzero"`
	// RemoteConsultationID is, on a copy, its origin's consultation
	// (RemoteConsultation); 0 for local objects and copies of none.
	RemoteConsultationID int64      `bun:",nullzero"`
	ThemeID              int64      `bun:",nullzero"`
	Title                string     `bun:",notnull"`
	Body                 string     `bun:",notnull"`
	BodyHTML             string     `bun:"body_html,notnull"`
	Search               string     `bun:",notnull"`
	Goal                 int        `bun:",notnull"`
	SignaturesCount      int        `bun:",notnull"`
	ClosesAt             *time.Time `bun:",nullzero"`
	Status               string     `bun:",notnull"` // open or answered; see State
	Response             string     `bun:",notnull"`
	ResponseHTML         string     `bun:"response_html,notnull"`
	RespondedAt          *time.Time `bun:",nullzero"`
	// ResponseEditedAt is when the addressee last edited the response
	// (EditPetitionResponse); nil: never.
	ResponseEditedAt *time.Time `bun:",nullzero"`
	// ResponseVersion counts the edits of the response (from 1), as the
	// Version of what else is edited (EditVersion).
	ResponseVersion int64 `bun:",notnull,default:1"`
	// ReaddressedAt is when a moderator last gave the petition a new
	// addressee (ReaddressPetition); nil: never.
	ReaddressedAt *time.Time `bun:",nullzero"`
	// ClosedBy says who closed the petition before its deadline
	// (ClosePetition, which sets ClosesAt to that moment): ClosedByAuthor
	// or ClosedByModerator; "" when open or closed at its deadline.
	ClosedBy  string     `bun:",notnull"`
	HiddenAt  *time.Time `bun:",nullzero"`
	DeletedAt *time.Time `bun:",nullzero"`
	CreatedAt time.Time  `bun:",notnull"`
	UpdatedAt time.Time  `bun:",notnull"`

	Author    *Actor `bun:"-"`
	Addressee *Actor `bun:"-"`
	Space     *Space `bun:"-"`
}

// State is the petition's state at now: open, closed (deadline passed)
// or answered.
func (p *Petition) State(now time.Time) string {
	if p.Status == PetitionOpen && p.ClosesAt != nil && !now.Before(*p.ClosesAt) {
		return PetitionClosed
	}
	return p.Status
}

// GoalReached reports whether the signatures reached the goal.
func (p *Petition) GoalReached() bool { return p.Goal > 0 && p.SignaturesCount >= p.Goal }

// Percent is the progress towards the goal, capped at 100.
func (p *Petition) Percent() int {
	if p.Goal <= 0 {
		return 0
	}
	return min(100, p.SignaturesCount*100/p.Goal)
}

// PetitionInput is what a member writes. Addressee is the user name of a
// local decision-maker account; ClosesAt, Consultation and Theme are
// optional (see ProposalInput).
type PetitionInput struct {
	Title        string
	Body         string
	Addressee    string
	Goal         int
	ClosesAt     *time.Time
	Consultation int64
	Theme        int64
}

// Validate checks in as CreatePetition does at now, for a form that joins
// these problems to its own (ValidationError.Join).
func (in *PetitionInput) Validate(now time.Time) error { return in.validate(now) }

func (in *PetitionInput) validate(now time.Time) error {
	v := &ValidationError{}
	in.Title = strings.Join(strings.Fields(in.Title), " ")
	checkTitle(v, in.Title)
	in.Body = strings.TrimSpace(in.Body)
	checkBody(v, "body", "text", in.Body)
	in.Addressee = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(in.Addressee), "@"))
	if in.Addressee == "" {
		v.Add("addressee", "The addressee must be a verified decision-maker.")
	}
	if in.Goal < 1 || in.Goal > MaxPetitionGoal {
		v.Add("goal", fmt.Sprintf("The goal must be between 1 and %d signatures.", MaxPetitionGoal))
	}
	if in.ClosesAt != nil {
		t := in.ClosesAt.UTC().Truncate(time.Microsecond)
		in.ClosesAt = &t
		switch {
		case !t.After(now):
			v.Add("closes_at", "The deadline must be in the future.")
		case t.Sub(now) > MaxPetitionDuration:
			v.Add("closes_at", "The deadline must be within three years.")
		}
	}
	checkRefs(v, in.Consultation, in.Theme)
	return v.Err()
}

// CreatePetition creates a petition addressed to a local decision-maker
// (an account marked Decider) by an actor allowed to take part in the
// space.
func (s *Store) CreatePetition(ctx context.Context, by *Actor, spaceName string, in PetitionInput) (*Petition, error) {
	now := s.Now()
	if err := in.validate(now); err != nil {
		return nil, err
	}
	addressee, err := s.verifiedDecider(ctx, in.Addressee)
	if err != nil {
		return nil, err
	}
	sp, err := s.SpaceByName(ctx, spaceName)
	if err != nil {
		return nil, err
	}
	if err := sp.MayParticipate(by); err != nil {
		return nil, err
	}
	p := &Petition{
		Local: true, SpaceID: sp.ID, AuthorID: by.ID, AddresseeID: addressee.Actor.ID, ConsultationID: in.Consultation, ThemeID: in.Theme,
		Title: in.Title, Body: in.Body, BodyHTML: RenderMarkdown(in.Body), Search: foldText(in.Title + "\n" + in.Body),
		Goal: in.Goal, ClosesAt: in.ClosesAt, Status: PetitionOpen, CreatedAt: now, UpdatedAt: now,
		Author: by, Addressee: addressee.Actor, Space: sp,
	}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.CheckConsultationRef(ctx, tx, sp.ID, p.ConsultationID, p.ThemeID); err != nil {
			return err
		}
		mint := func() { p.URI = s.URLs.Base + "/pe/" + strconv.FormatInt(p.ID, 10); p.URL = p.URI }
		if err := insertLocal(ctx, tx, p, &p.URI, mint, "uri", "url"); err != nil {
			return err
		}
		return s.emit(ctx, tx, petitionEvent(EventPetitionCreated, p, by.ID, map[string]any{"uri": p.URI}))
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// verifiedDecider is the account a petition may be addressed to, named
// by user name (a leading @ and case ignored): a verified decision-maker
// not disabled; a *ValidationError on the addressee field otherwise.
func (s *Store) verifiedDecider(ctx context.Context, name string) (*Account, error) {
	name = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "@"))
	if name == "" {
		return nil, Invalid("addressee", "The addressee must be a verified decision-maker.")
	}
	acc, err := s.AccountByUsername(ctx, name)
	if errors.Is(err, ErrNotFound) || (err == nil && (!acc.Decider || acc.Disabled)) {
		return nil, Invalid("addressee", "The addressee must be a verified decision-maker.")
	}
	return acc, err
}

func petitionEvent(kind string, p *Petition, actorID int64, data map[string]any) Event {
	return Event{Kind: kind, ObjectType: ObjectTypePetition, ObjectID: p.ID, ActorID: actorID, SpaceID: p.SpaceID, Data: eventData(data)}
}

// PetitionUpdate is news the author posts to the signers.
type PetitionUpdate struct {
	bun.BaseModel `bun:"table:petition_updates"`
	ID            int64     `bun:",pk,autoincrement"`
	URI           string    `bun:"uri,notnull"`
	PetitionID    int64     `bun:",notnull"`
	AuthorID      int64     `bun:",notnull"`
	Body          string    `bun:",notnull"`
	BodyHTML      string    `bun:"body_html,notnull"`
	CreatedAt     time.Time `bun:",notnull"`
	// EditedAt is when it was last edited (EditPetitionUpdate, or an
	// Update from the origin of a copy); nil: never.
	EditedAt *time.Time `bun:",nullzero"`
	// Version counts its edits (from 1): an edit made from another one is
	// refused with ErrEditConflict (see EditVersion).
	Version int64 `bun:",notnull,default:1"`
}

// PostPetitionUpdate lets the author of a local petition post an update
// (Markdown), shown on the petition and sent to the signers'
// notifications, in any state (even after the response: "we met the
// mayor").
func (s *Store) PostPetitionUpdate(ctx context.Context, by *Actor, petitionID int64, body string) (*PetitionUpdate, error) {
	p, err := s.visiblePetition(ctx, petitionID)
	if err != nil {
		return nil, err
	}
	// Who first, then the input (authorise.go).
	if err := petitionAuthor(p, by); err != nil {
		return nil, err
	}
	body = strings.TrimSpace(body)
	v := &ValidationError{}
	checkBody(v, "body", "text", body)
	if err := v.Err(); err != nil {
		return nil, err
	}
	u := &PetitionUpdate{PetitionID: p.ID, AuthorID: by.ID, Body: body, BodyHTML: RenderMarkdown(body), CreatedAt: s.Now()}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		mint := func() { u.URI = fmt.Sprintf("%s/pe/%d/updates/%d", s.URLs.Base, u.PetitionID, u.ID) }
		if err := insertLocal(ctx, tx, u, &u.URI, mint, "uri"); err != nil {
			return err
		}
		signers, err := petitionAudience(ctx, tx, p, false)
		if err != nil {
			return err
		}
		n := Notification{Kind: NotifyPetitionUpdate, ObjectType: ObjectTypePetition, ObjectID: p.ID, ActorID: by.ID, Data: fmt.Sprint(u.ID)}
		if err := s.Notify(ctx, tx, signers, n); err != nil {
			return err
		}
		return s.emit(ctx, tx, petitionEvent(EventPetitionUpdate, p, by.ID, map[string]any{
			"uri": p.URI, "update_id": u.ID, "update_uri": u.URI, "body_html": u.BodyHTML}))
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// RespondPetition records the official response of the petition's
// addressee while a verified decision-maker (ErrForbidden for anyone
// else, and for them once their decider status is withdrawn); the petition
// becomes answered, takes no more signatures, and signers and author are
// told. A petition is answered once (ErrConflict after).
func (s *Store) RespondPetition(ctx context.Context, by *Account, petitionID int64, response string) (*Petition, error) {
	if by == nil || by.Actor == nil {
		return nil, ErrUnauthorized
	}
	response = strings.TrimSpace(response)
	p, err := s.visiblePetition(ctx, petitionID)
	if err != nil {
		return nil, err
	}
	if err := petitionAddressee(p, by); err != nil {
		return nil, err
	}
	// Out of office (decider status withdrawn, say after an election):
	// they no longer answer for the institution, and moderators may
	// re-address the petition (ReaddressPetition, the same rule).
	if ok, err := s.AddresseeCanAnswer(ctx, p); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("%w: the addressee is no longer a verified decision-maker", ErrForbidden)
	}
	v := &ValidationError{}
	checkBody(v, "response", "response", response)
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*Petition)(nil)).Set("status = ?", PetitionAnswered).
			Set("response = ?", response).Set("response_html = ?", RenderMarkdown(response)).
			Set("responded_at = ?", now).Set("updated_at = ?", now).
			Where("id = ? AND status <> ?", p.ID, PetitionAnswered).Exec(ctx)
		if err != nil {
			return dbErr("respond petition", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: this petition was already answered", ErrConflict)
		}
		p.Status, p.Response, p.ResponseHTML, p.RespondedAt, p.UpdatedAt = PetitionAnswered, response, RenderMarkdown(response), &now, now
		return s.announceResponse(ctx, tx, by, p, "petition_response", NotifyPetitionAnswered, EventPetitionAnswered)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// announceResponse records in tx what by did to p's official response
// (its first posting or an edit): the audit entry action, the
// notification kind to the signers and the author (but by), and the event
// kind that federation sends as the response Note's Create or Update.
func (s *Store) announceResponse(ctx context.Context, tx bun.Tx, by *Account, p *Petition, action, notify, event string) error {
	if err := s.audit(ctx, tx, by, action, ObjectTypePetition, fmt.Sprint(p.ID), ""); err != nil {
		return err
	}
	audience, err := petitionAudience(ctx, tx, p, true)
	if err != nil {
		return err
	}
	n := Notification{Kind: notify, ObjectType: ObjectTypePetition, ObjectID: p.ID, ActorID: by.Actor.ID}
	if err := s.Notify(ctx, tx, without(audience, by.ID), n); err != nil {
		return err
	}
	return s.emit(ctx, tx, petitionEvent(event, p, by.Actor.ID, map[string]any{"uri": p.URI, "response_html": p.ResponseHTML}))
}

// petitionAudience returns the local accounts of the signers of p, and of
// its author when withAuthor.
func petitionAudience(ctx context.Context, tx bun.IDB, p *Petition, withAuthor bool) ([]int64, error) {
	signers := tx.NewSelect().Model((*Signature)(nil)).Column("actor_id").Where("petition_id = ?", p.ID)
	if withAuthor {
		return accountIDsOfActors(ctx, tx, "id IN (?) OR id = ?", signers, p.AuthorID)
	}
	return accountIDsOfActors(ctx, tx, "id IN (?) AND id <> ?", signers, p.AuthorID)
}

// without returns ids without x.
func without(ids []int64, x int64) []int64 {
	return slices.DeleteFunc(ids, func(id int64) bool { return id == x })
}
