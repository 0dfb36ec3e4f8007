package models

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opendemocracynow/odn/models/fold"
	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"
)

// Proposal statuses. A proposal is open when created; reaching its
// space's support threshold moves it to threshold_reached (once: losing
// supports later does not move it back); moderators set accepted,
// rejected or answered with an official answer; its author may withdraw
// it while it is open or past the threshold.
const (
	ProposalOpen             = "open"
	ProposalThresholdReached = "threshold_reached"
	ProposalAccepted         = "accepted"
	ProposalRejected         = "rejected"
	ProposalAnswered         = "answered"
	ProposalWithdrawn        = "withdrawn"
)

// ProposalStatuses lists every status, for filters.
var ProposalStatuses = []string{ProposalOpen, ProposalThresholdReached, ProposalAnswered, ProposalAccepted, ProposalRejected, ProposalWithdrawn}

// supportableStatuses accept new supports and withdrawals of support:
// "answered" is an answer without a final decision, so supports go on; an
// accepted, rejected or withdrawn proposal keeps the tally it was decided
// with.
var supportableStatuses = []string{ProposalOpen, ProposalThresholdReached, ProposalAnswered}

// Limits of proposal (and petition) input; documented in the API too.
const (
	MinTitleLen  = 3      // characters
	MaxTitleLen  = 140    // characters, like a headline
	MaxBodyLen   = 20_000 // characters of Markdown
	MaxTags      = 10
	MaxTagLen    = 32
	maxRemoteLen = 200_000 // bytes of HTML accepted from another instance
)

// Events about proposals and supports. Data is a JSON object:
//   - proposal.created, proposal.updated, proposal.withdrawn: {"uri"}
//   - proposal.answered: {"uri", "status", "answer_html"}
//   - proposal.threshold: {"uri", "supports", "threshold"}
//   - support.added, support.removed: {"support_id", "proposal_uri",
//     "remote" (true when the proposal lives on another instance, which
//     federation must tell), "supports" (the new count)}
const (
	EventProposalCreated   = "proposal.created"
	EventProposalUpdated   = "proposal.updated"
	EventProposalWithdrawn = "proposal.withdrawn"
	EventProposalAnswered  = "proposal.answered"
	EventProposalThreshold = "proposal.threshold"
	EventSupportAdded      = "support.added"
	EventSupportRemoved    = "support.removed"
)

// Proposal is an idea put to a space, which members support. Local
// proposals live here; remote ones (Local false) are cached copies of
// another instance's, which is authoritative for their status and tally.
type Proposal struct {
	bun.BaseModel `bun:"table:proposals"`
	ID            int64  `bun:",pk,autoincrement"`
	URI           string `bun:"uri,notnull"`
	// URL is the HTML permalink: ours for local proposals, the origin's
	// for remote ones.
	URL    string `bun:"url,notnull"`
	Local  bool   `bun:",notnull"`
	Origin string `bun:",notnull"` // host of a remote proposal, "" when local
	// SpaceID is the local space the proposal belongs to (for a remote
	// one, the local space relaying it; 0: none).
	SpaceID        int64 `bun:",nullzero"`
	AuthorID       int64 `bun:",notnull"`
	ConsultationID int64 `bun:",nullzero"`
	// RemoteConsultationID is, on a copy, its origin's consultation
	// (RemoteConsultation); 0 for local objects and copies of none.
	RemoteConsultationID int64      `bun:",nullzero"`
	ThemeID              int64      `bun:",nullzero"`
	Title                string     `bun:",notnull"`
	Body                 string     `bun:",notnull"` // Markdown source (empty for remote)
	BodyHTML             string     `bun:"body_html,notnull"`
	Search               string     `bun:",notnull"` // folded text for search, see foldText
	Status               string     `bun:",notnull"`
	SupportsCount        int        `bun:",notnull"`
	ThresholdReachedAt   *time.Time `bun:",nullzero"`
	Answer               string     `bun:",notnull"` // official answer, Markdown
	AnswerHTML           string     `bun:"answer_html,notnull"`
	AnsweredBy           int64      `bun:",nullzero"` // actor of the moderator
	AnsweredAt           *time.Time `bun:",nullzero"`
	HiddenAt             *time.Time `bun:",nullzero"`
	DeletedAt            *time.Time `bun:",nullzero"`
	CreatedAt            time.Time  `bun:",notnull"`
	UpdatedAt            time.Time  `bun:",notnull"`
	// Version counts its edits (from 1): an edit made from another one is
	// refused with ErrEditConflict (see EditVersion).
	Version int64 `bun:",notnull,default:1"`

	// AuthorSupports reports whether its author supports it (loaded by
	// ProposalByID for a local proposal with supports; see Editable).
	AuthorSupports bool `bun:"-"`

	Tags     []string `bun:"-"`
	Author   *Actor   `bun:"-"`
	Answerer *Actor   `bun:"-"`
	Space    *Space   `bun:"-"`
}

// Supportable reports whether the proposal takes (and gives back) supports.
func (p *Proposal) Supportable() bool {
	return slices.Contains(supportableStatuses, p.Status)
}

// ErrNotEditable refuses to edit a proposal that is not Editable (both
// the edit and the edit form say why).
var ErrNotEditable = fmt.Errorf("%w: a proposal can be edited only while it is open and nobody else supports it", ErrConflict)

// EditError is why its author may not edit p now (nil: they may):
// ErrHiddenNotEditable once moderators hid it, ErrNotEditable when it is
// not Editable. UpdateProposal and the edit form both ask it.
func (p *Proposal) EditError() error {
	switch {
	case p.HiddenAt != nil:
		return ErrHiddenNotEditable
	case !p.Editable():
		return ErrNotEditable
	}
	return nil
}

// Editable reports whether its author may still edit it: open and without
// any support but the author's own, so nobody else supported a text that
// later changed (supporting one's own proposal, as many do, must not lock
// it). AuthorSupports is loaded with the proposal (ProposalByID).
func (p *Proposal) Editable() bool {
	others := p.SupportsCount
	if p.AuthorSupports {
		others--
	}
	return p.Local && p.Status == ProposalOpen && others <= 0
}

// Withdrawable reports whether its author may still withdraw it.
func (p *Proposal) Withdrawable() bool {
	return p.Local && (p.Status == ProposalOpen || p.Status == ProposalThresholdReached)
}

// ProposalInput is what a member writes. Consultation and Theme are
// optional ids (0: none) of a consultation of the same space and of one of
// its themes.
type ProposalInput struct {
	Title        string
	Body         string
	Tags         []string
	Consultation int64
	Theme        int64
	// IfVersion is the version the edit was made from (its If-Match, a
	// form's hidden field): another is refused with ErrEditConflict; 0
	// accepts any. Creating ignores it.
	IfVersion int64
}

// tagRE is a tag's display form: letters of any script (with their
// combining marks), digits and "-", starting with a letter or digit.
var tagRE = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{M}\p{N}-]*$`)

// Validate checks in as CreateProposal and UpdateProposal do, for a form
// that joins these problems to its own (ValidationError.Join).
func (in *ProposalInput) Validate() error { return in.validate() }

// validate normalises and checks the input.
func (in *ProposalInput) validate() error {
	v := &ValidationError{}
	in.Title = strings.Join(strings.Fields(in.Title), " ")
	checkTitle(v, in.Title)
	in.Body = strings.TrimSpace(in.Body)
	checkBody(v, "body", "text", in.Body)
	tags, err := NormalizeTags(in.Tags)
	if err != "" {
		v.Add("tags", err)
	}
	in.Tags = tags
	checkRefs(v, in.Consultation, in.Theme)
	return v.Err()
}

// checkRefs refuses negative consultation and theme ids; whether they
// exist is checked in the creating transaction (CheckConsultationRef).
func checkRefs(v *ValidationError, consultation, theme int64) {
	if consultation < 0 {
		v.Add("consultation", refMessages["consultation"])
	}
	if theme < 0 {
		v.Add("theme", refMessages["theme"])
	}
}

func checkTitle(v *ValidationError, title string) {
	if n := utf8.RuneCountInString(title); n < MinTitleLen || n > MaxTitleLen {
		v.Add("title", fmt.Sprintf("The title must have %d to %d characters.", MinTitleLen, MaxTitleLen))
	}
}

// checkBody requires 1..MaxBodyLen characters of Markdown in field; what
// names it in the messages ("text", "answer", "response").
func checkBody(v *ValidationError, field, what, body string) {
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		v.Add(field, fmt.Sprintf("Please write the %s.", what))
	case n > MaxBodyLen:
		v.Add(field, fmt.Sprintf("The %s must have at most %d characters.", what, MaxBodyLen))
	}
}

// NormalizeTags turns free text tags ("Vélo", "pistes cyclables",
// "#Écologie") into their display form: lower case with accents kept,
// words joined by "-" ("vélo", "pistes-cyclables", "écologie"). Tags are
// the same when their TagKey is (as Mastodon folds hashtags: "Écologie",
// "ecologie" and "écologie" are one tag): the first spelling is kept and
// later ones dropped, with empty ones. It reports a user-safe problem (""
// when none).
func NormalizeTags(in []string) ([]string, string) {
	var out []string
	seen := map[string]bool{}
	for _, t := range in {
		t = strings.ToLower(norm.NFC.String(t))
		t = strings.Trim(strings.Join(strings.Fields(t), "-"), "-#")
		if t == "" {
			continue
		}
		if utf8.RuneCountInString(t) > MaxTagLen || !tagRE.MatchString(t) {
			return nil, fmt.Sprintf("Each tag must have 1 to %d characters among letters, digits and -.", MaxTagLen)
		}
		if k := TagKey(t); !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		return nil, fmt.Sprintf("At most %d tags.", MaxTags)
	}
	return out, ""
}

// TagKey is the key a tag is matched and searched by: its display form
// (NormalizeTags) without accents, so "écologie" and "ecologie" find the
// same proposals.
func TagKey(tag string) string { return foldText(tag) }

// foldText is fold.Text: search columns and tag keys hold it. (It used to
// share one accent-stripping transformer between goroutines; a
// transform.Chain keeps state between calls, so concurrent writes raced.)
func foldText(s string) string { return fold.Text(s) }

// eventData encodes an event's Data object.
func eventData(m map[string]any) string {
	b, _ := json.Marshal(m) //nolint:errchkjson // plain values only
	return string(b)
}

// CreateProposal creates a proposal by an actor allowed to take part in
// the space (its policy and the consultation's phase apply).
func (s *Store) CreateProposal(ctx context.Context, by *Actor, spaceName string, in ProposalInput) (*Proposal, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	sp, err := s.SpaceByName(ctx, spaceName)
	if err != nil {
		return nil, err
	}
	if err := sp.MayParticipate(by); err != nil {
		return nil, err
	}
	now := s.Now()
	p := &Proposal{
		Local: true, SpaceID: sp.ID, AuthorID: by.ID, ConsultationID: in.Consultation, ThemeID: in.Theme,
		Title: in.Title, Body: in.Body, BodyHTML: RenderMarkdown(in.Body), Status: ProposalOpen,
		CreatedAt: now, UpdatedAt: now, Tags: in.Tags, Author: by, Space: sp,
	}
	p.Search = foldText(p.Title + "\n" + in.Body)
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.CheckConsultationRef(ctx, tx, sp.ID, p.ConsultationID, p.ThemeID); err != nil {
			return err
		}
		mint := func() { p.URI = s.URLs.Base + "/p/" + strconv.FormatInt(p.ID, 10); p.URL = p.URI }
		if err := insertLocal(ctx, tx, p, &p.URI, mint, "uri", "url"); err != nil {
			return err
		}
		if err := setProposalTags(ctx, tx, p.ID, p.Tags); err != nil {
			return err
		}
		return s.emit(ctx, tx, proposalEvent(EventProposalCreated, p, by.ID, map[string]any{"uri": p.URI}))
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// insertLocal inserts a new local object whose URI depends on its id,
// known only after the insert: the row goes in under a unique placeholder
// URI, then mint (with the id now set in model) sets the real URI fields,
// and cols ("uri", and "url" where the table has one) are written.
func insertLocal(ctx context.Context, tx bun.IDB, model any, uri *string, mint func(), cols ...string) error {
	*uri = "urn:odn:pending:" + randomSecret()
	if _, err := tx.NewInsert().Model(model).Exec(ctx); err != nil {
		return dbErr("insert", err)
	}
	mint()
	_, err := tx.NewUpdate().Model(model).Column(cols...).WherePK().Exec(ctx)
	return dbErr("set uri", err)
}

func proposalEvent(kind string, p *Proposal, actorID int64, data map[string]any) Event {
	return Event{Kind: kind, ObjectType: ObjectTypeProposal, ObjectID: p.ID, ActorID: actorID, SpaceID: p.SpaceID, Data: eventData(data)}
}

// UpdateProposal lets the author edit title, body and tags while the
// proposal is open and nobody but its author supports it (ErrNotEditable
// otherwise), not hidden by moderators (ErrHiddenNotEditable), and its
// consultation, if any, takes contributions (a *PhaseError otherwise).
// Its consultation and theme stay: an input naming others is refused,
// not ignored. An edit made from another version than the current one
// (in.IfVersion) is refused with ErrEditConflict.
func (s *Store) UpdateProposal(ctx context.Context, by *Actor, id int64, in ProposalInput) (*Proposal, error) {
	p, err := s.ProposalByID(ctx, id)
	if err != nil {
		return nil, err
	}
	// Who first, then the input (authorise.go).
	if err := proposalEditor(p, by); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	if err := p.EditError(); err != nil {
		return nil, err
	}
	if in.Consultation != 0 && in.Consultation != p.ConsultationID {
		return nil, Invalid("consultation", "The consultation of a proposal cannot be changed.")
	}
	if in.Theme != 0 && in.Theme != p.ThemeID {
		return nil, Invalid("theme", "The theme of a proposal cannot be changed.")
	}
	p.Title, p.Body, p.BodyHTML, p.Tags = in.Title, in.Body, RenderMarkdown(in.Body), in.Tags
	p.Search, p.UpdatedAt = foldText(p.Title+"\n"+p.Body), s.Now()
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// Only while its consultation takes contributions: what a
		// synthesis is being written from does not move.
		if err := s.checkConsultation(ctx, tx, p.ConsultationRef(), ActionPropose); err != nil {
			return err
		}
		var err error
		if p.Version, err = claimVersion(ctx, tx, "proposals", "version", p.ID, in.IfVersion); err != nil {
			return err
		}
		// The conditions are checked again under the row lock: a support
		// may have arrived since the proposal was read.
		res, err := tx.NewUpdate().Model(p).Column("title", "body", "body_html", "search", "updated_at", "version").
			WherePK().Where("status = ? AND hidden_at IS NULL", ProposalOpen).
			Where("NOT EXISTS (SELECT 1 FROM supports AS sup WHERE sup.proposal_id = proposal.id AND sup.actor_id <> proposal.author_id)").
			Exec(ctx)
		if err != nil {
			return dbErr("update proposal", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotEditable
		}
		if err := setProposalTags(ctx, tx, p.ID, p.Tags); err != nil {
			return err
		}
		return s.emit(ctx, tx, proposalEvent(EventProposalUpdated, p, by.ID, map[string]any{"uri": p.URI}))
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// WithdrawProposal lets the author withdraw an open (or past-threshold)
// proposal while its consultation, if any, takes contributions: it stays
// readable with the status withdrawn and takes no more supports.
func (s *Store) WithdrawProposal(ctx context.Context, by *Actor, id int64) (*Proposal, error) {
	p, err := s.ProposalByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if by == nil || by.ID != p.AuthorID || !p.Local {
		return nil, ErrForbidden
	}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkConsultation(ctx, tx, p.ConsultationRef(), ActionPropose); err != nil {
			return err // as an edit (UpdateProposal)
		}
		res, err := tx.NewUpdate().Model((*Proposal)(nil)).Set("status = ?", ProposalWithdrawn).Set("updated_at = ?", s.Now()).
			Where("id = ? AND status IN (?)", id, bun.In([]string{ProposalOpen, ProposalThresholdReached})).Exec(ctx)
		if err != nil {
			return dbErr("withdraw proposal", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrClosed
		}
		return s.emit(ctx, tx, proposalEvent(EventProposalWithdrawn, p, by.ID, map[string]any{"uri": p.URI}))
	})
	if err != nil {
		return nil, err
	}
	p.Status = ProposalWithdrawn
	return p, nil
}

// answerStatuses are the statuses a moderator may set.
var answerStatuses = []string{ProposalAccepted, ProposalRejected, ProposalAnswered}

// SetProposalStatus lets a moderator accept, reject or answer a local
// proposal with an official answer (Markdown, shown at the top; required
// for "answered", optional otherwise — an empty answer keeps the previous
// one). Supporters and the author are notified; the audit log records it.
func (s *Store) SetProposalStatus(ctx context.Context, by *Account, id int64, status, answer string) (*Proposal, error) {
	if by == nil {
		return nil, ErrUnauthorized
	}
	if !by.IsModerator() || by.Actor == nil {
		return nil, ErrForbidden
	}
	v := &ValidationError{}
	answer = strings.TrimSpace(answer)
	if !slices.Contains(answerStatuses, status) {
		v.Add("status", "The status must be accepted, rejected or answered.")
	}
	if status == ProposalAnswered || answer != "" {
		checkBody(v, "answer", "answer", answer)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	p, err := s.ProposalByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !p.Local {
		return nil, fmt.Errorf("%w: the instance of origin answers this proposal", ErrForbidden)
	}
	if p.Status == ProposalWithdrawn {
		return nil, ErrClosed
	}
	now := s.Now()
	p.Status, p.AnsweredBy, p.AnsweredAt, p.UpdatedAt, p.Answerer = status, by.Actor.ID, &now, now, by.Actor
	if answer != "" {
		p.Answer, p.AnswerHTML = answer, RenderMarkdown(answer)
	}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model(p).Column("status", "answer", "answer_html", "answered_by", "answered_at", "updated_at").
			WherePK().Where("status <> ?", ProposalWithdrawn).Exec(ctx)
		if err != nil {
			return dbErr("answer proposal", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrClosed
		}
		if err := s.audit(ctx, tx, by, "proposal_status:"+status, ObjectTypeProposal, fmt.Sprint(p.ID), ""); err != nil {
			return err
		}
		accounts, err := proposalAudience(ctx, tx, p)
		if err != nil {
			return err
		}
		accounts = without(accounts, by.ID)
		n := Notification{Kind: NotifyProposalAnswered, ObjectType: ObjectTypeProposal, ObjectID: p.ID, ActorID: by.Actor.ID, Data: status}
		if err := s.Notify(ctx, tx, accounts, n); err != nil {
			return err
		}
		return s.emit(ctx, tx, proposalEvent(EventProposalAnswered, p, by.Actor.ID,
			map[string]any{"uri": p.URI, "status": status, "answer_html": p.AnswerHTML}))
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ProposalAnswers returns the proposal.answered events of proposal id
// that carried an answer text, oldest first, each with when the outbox
// handled it (ProcessedAt; nil while pending): the first published the
// answer Note, the others updated it. Answer events are kept as history
// (PurgeEvents) and a proposal has a handful, read through the
// events_answers index.
func (s *Store) ProposalAnswers(ctx context.Context, id int64) ([]Event, error) {
	var evs []Event
	err := s.DB.NewSelect().Model(&evs).Column("id", "actor_id", "data", "created_at", "processed_at").
		Where("kind = ? AND object_type = ? AND object_id = ?", EventProposalAnswered, ObjectTypeProposal, id).
		Order("id").Scan(ctx)
	if err != nil {
		return nil, dbErr("proposal answers", err)
	}
	return slices.DeleteFunc(evs, func(ev Event) bool { return AnswerTextOf(ev) == "" }), nil
}

// AnswerTextOf is the answer (HTML) a proposal.answered event carried:
// the proposal's answer once the moderator wrote one, even when this
// answer only changed the status; empty while there was none.
func AnswerTextOf(ev Event) string {
	var d struct {
		AnswerHTML string `json:"answer_html"`
	}
	_ = json.Unmarshal([]byte(ev.Data), &d) // absent or malformed: none
	return d.AnswerHTML
}

// proposalAudience returns the local accounts of the author and the
// supporters of p, who hear about its threshold and answer.
func proposalAudience(ctx context.Context, tx bun.IDB, p *Proposal) ([]int64, error) {
	supporters := tx.NewSelect().Model((*Support)(nil)).Column("actor_id").Where("proposal_id = ?", p.ID)
	return accountIDsOfActors(ctx, tx, "id IN (?) OR id = ?", supporters, p.AuthorID)
}
