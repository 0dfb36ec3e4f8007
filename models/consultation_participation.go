package models

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// What the phases of an object's consultation say of taking part in it,
// for the doors to show before anyone tries: pages hide a form the phase
// would refuse, the API says why, federation closes the poll when votes
// stop. The rule itself stays Consultation.Check, applied by
// checkConsultation when the action arrives.

// PhaseRefusal returns the *PhaseError with which the consultation ref
// names (an object's ConsultationRef: its own, or a copy's origin's) would
// refuse action now (what CastVote, Support, Sign… answer), or nil when
// its phase allows action or ref is zero (no consultation: nothing is
// read). It is checkConsultation's answer (a withdrawn consultation
// refuses everything; an unknown local one is a *ValidationError).
func (s *Store) PhaseRefusal(ctx context.Context, ref ConsultationRef, action string) (*PhaseError, error) {
	err := s.checkConsultation(ctx, s.DB, ref, action)
	var pe *PhaseError
	if errors.As(err, &pe) {
		return pe, nil
	}
	return nil, err
}

// AllowedUntil is when the consultation stops allowing action for good:
// the end of the last phase that allows it, or its withdrawal when
// sooner; nil when no phase allows action (the closed phase has no end).
// For ActionVote it is the end of the contribution phase, when a
// consultation's polls stop taking votes.
func (c *Consultation) AllowedUntil(action string) *time.Time {
	var end *time.Time
	for _, p := range c.Phases() {
		if p.EndsAt != nil && p.EndsAt.After(p.StartsAt) && PhaseAllows(p.Name, action) {
			end = p.EndsAt
		}
	}
	if end != nil && c.DeletedAt != nil && c.DeletedAt.Before(*end) {
		t := *c.DeletedAt
		end = &t
	}
	return end
}

// AllowedFrom is when the consultation starts allowing action: the start
// of the first phase (not skipped) that allows it; nil when none does or
// once withdrawn. For ActionVote it is the start of the contribution
// phase, before which its polls go out without options (federation).
func (c *Consultation) AllowedFrom(action string) *time.Time {
	if c.DeletedAt != nil {
		return nil
	}
	for _, p := range c.Phases() {
		if p.EndsAt != nil && p.EndsAt.After(p.StartsAt) && PhaseAllows(p.Name, action) {
			t := p.StartsAt
			return &t
		}
	}
	return nil
}

// ParticipationEnd returns when the consultation consultationID stops
// allowing action for good (Consultation.AllowedUntil), nil when
// consultationID is 0 (nothing is read) or no phase allows action. One
// read of the consultation, withdrawn ones included.
func (s *Store) ParticipationEnd(ctx context.Context, consultationID int64, action string) (*time.Time, error) {
	if consultationID == 0 {
		return nil, nil
	}
	c, err := s.ConsultationRecord(ctx, consultationID)
	if err != nil {
		return nil, err
	}
	return c.AllowedUntil(action), nil
}

// ConsultationRecord reads the consultation id as stored, withdrawn ones
// included (DeletedAt set) and nothing attached: what federation says of
// it on its proposals, debates and petitions.
func (s *Store) ConsultationRecord(ctx context.Context, id int64) (*Consultation, error) {
	c := new(Consultation)
	if err := s.DB.NewSelect().Model(c).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, dbErr("consultation record", err)
	}
	return c, nil
}

// ConsultationPolls lists the local debates and petitions of a
// consultation that may still take votes or signatures on their own terms
// (public, not hidden nor deleted, not closed nor past their close,
// petitions not answered): those whose published poll ends with the
// consultation's contribution phase (federation sends them an Update when
// the dates change, for Mastodon; odn peers also get the consultation's
// own Update).
func (s *Store) ConsultationPolls(ctx context.Context, consultationID int64) ([]CivicRef, error) {
	now := s.Now()
	var out []CivicRef
	err := s.DB.NewRaw(`
SELECT 'debate' AS type, id, created_at FROM debates
  WHERE consultation_id = ? AND local AND hidden_at IS NULL AND deleted_at IS NULL AND phase <> 'closed'
  AND (closes_at IS NULL OR closes_at > ?) AND (phase <> 'draft' OR (opens_at IS NOT NULL AND opens_at <= ?))
UNION ALL SELECT 'petition', id, created_at FROM petitions
  WHERE consultation_id = ? AND local AND hidden_at IS NULL AND deleted_at IS NULL AND status = 'open'
  AND (closes_at IS NULL OR closes_at > ?)
ORDER BY created_at, id`, consultationID, now, now, consultationID, now).Scan(ctx, &out)
	if err != nil {
		return nil, dbErr("consultation polls", err)
	}
	return out, nil
}

// ConsultationAudience lists the inboxes (shared ones where known), each
// once and none of a blocked domain, of the instances that may hold
// copies of the consultation's proposals, debates and petitions besides
// its space's followers: those of the remote actors who took part in them
// (supports, votes, signatures, comments) and of the remote followers of
// their local authors. Federation sends them the consultation's Update
// when its dates change.
func (s *Store) ConsultationAudience(ctx context.Context, consultationID int64) ([]string, error) {
	var rows []struct {
		Inbox string
		Host  string
	}
	err := s.DB.NewRaw(`
SELECT CASE WHEN a.shared_inbox <> '' THEN a.shared_inbox ELSE a.inbox END AS inbox, a.host AS host
  FROM actors AS a WHERE NOT a.local AND a.deleted_at IS NULL AND a.id IN (
    SELECT actor_id FROM supports WHERE proposal_id IN (SELECT id FROM proposals WHERE consultation_id = ?)
    UNION SELECT actor_id FROM debate_ballots WHERE debate_id IN (SELECT id FROM debates WHERE consultation_id = ?)
    UNION SELECT actor_id FROM signatures WHERE petition_id IN (SELECT id FROM petitions WHERE consultation_id = ?)
    UNION SELECT author_id FROM comments WHERE consultation_id = ?)
UNION
SELECT f.follower_inbox, f.follower_host FROM follows AS f
  WHERE f.state = ? AND f.follower_inbox <> '' AND f.followee_id IN (
    SELECT author_id FROM proposals WHERE consultation_id = ? AND local
    UNION SELECT author_id FROM debates WHERE consultation_id = ? AND local
    UNION SELECT author_id FROM petitions WHERE consultation_id = ? AND local)`,
		consultationID, consultationID, consultationID, consultationID, FollowAccepted,
		consultationID, consultationID, consultationID).Scan(ctx, &rows)
	if err != nil {
		return nil, dbErr("consultation audience", err)
	}
	blocked, err := s.blockedSet(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		if r.Inbox != "" && !seen[r.Inbox] && !blocked.has(r.Host) {
			seen[r.Inbox] = true
			out = append(out, r.Inbox)
		}
	}
	return out, nil
}

// ConsultationContext is what the page of a proposal, debate or petition
// says of the consultation it belongs to: its title, its page (a path
// here, or on a copy its origin's page; "" once withdrawn, as the page is
// gone) and its current phase (PhaseWithdrawn once withdrawn); Origin is
// the host of a copy's consultation, "" for a local one. Refusal says,
// from the same read and the same instant, what the phase refuses.
type ConsultationContext struct {
	Title, URL, Phase, Origin string

	c  *Consultation
	at time.Time
}

// Refusal is the *PhaseError with which the consultation refuses action
// at the instant the context was read (what CastVote, Support, Sign…
// would answer then), nil when its phase allows action or cc is nil (no
// consultation). It links the consultation's page, unless withdrawn.
func (cc *ConsultationContext) Refusal(action string) *PhaseError {
	if cc == nil {
		return nil
	}
	return cc.c.refusal(cc.at, action, cc.URL)
}

// refusal is the *PhaseError with which c refuses action at t, linking
// page; nil when its phase allows action.
func (c *Consultation) refusal(t time.Time, action, page string) *PhaseError {
	var pe *PhaseError
	if errors.As(c.Check(t, action), &pe) {
		pe.URL = page
	}
	return pe
}

// consultationOf reads the consultation ref names (nil for none: nothing
// is read) and its page: a path here, or a copy's origin's page, "" once
// withdrawn (the page is gone); a copy's carries its origin's host in
// Origin. The one read behind checkConsultation, PhaseRefusal and
// ConsultationContextOf, so that the rule and what pages say of it agree.
func (s *Store) consultationOf(ctx context.Context, db bun.IDB, ref ConsultationRef) (*Consultation, string, error) {
	switch {
	case ref.ID != 0:
		c := new(Consultation)
		if err := db.NewSelect().Model(c).Where("id = ?", ref.ID).Scan(ctx); err != nil {
			return nil, "", dbErr("consultation", err)
		}
		if c.DeletedAt != nil {
			return c, "", nil
		}
		return c, "/consultations/" + strconv.FormatInt(c.ID, 10), nil
	case ref.RemoteID != 0:
		r := new(RemoteConsultation)
		if err := db.NewSelect().Model(r).Where("id = ?", ref.RemoteID).Scan(ctx); err != nil {
			return nil, "", dbErr("remote consultation", err)
		}
		if r.WithdrawnAt != nil {
			return r.consultation(), "", nil
		}
		return r.consultation(), r.URL, nil
	}
	return nil, "", nil
}

// ConsultationContextOf describes the consultation ref names, read once:
// nil for none (or an unknown local one).
func (s *Store) ConsultationContextOf(ctx context.Context, ref ConsultationRef) (*ConsultationContext, error) {
	c, page, err := s.consultationOf(ctx, s.DB, ref)
	if errors.Is(err, ErrNotFound) && ref.ID != 0 {
		return nil, nil
	} else if err != nil || c == nil {
		return nil, err
	}
	out := &ConsultationContext{URL: page}
	if ref.ID == 0 { // a copy's: say whose
		out.Origin = c.Origin
	}
	out.c, out.at = c, s.Now()
	out.Title, out.Phase = c.Title, c.PhaseAt(out.at)
	if c.DeletedAt != nil {
		out.Phase = PhaseWithdrawn
	}
	return out, nil
}
