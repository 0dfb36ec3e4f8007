package models

import (
	"context"
	"errors"
	"slices"
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
// read). It reads the consultation once, as the guard does (a withdrawn
// one refuses everything); other errors are the guard's (an unknown
// consultation is a *ValidationError).
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

// RemoteContributors lists the live remote actors who took part in the
// consultation's proposals, debates and petitions (supports, votes,
// signatures, comments: participationSources), whom federation tells of
// a change of its dates: their instances hold copies of what they took
// part in.
func (s *Store) RemoteContributors(ctx context.Context, consultationID int64) ([]*Actor, error) {
	rows, err := s.consultationRows(ctx, s.DB, consultationID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		if r.ActorID != 0 {
			ids = append(ids, r.ActorID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var out []*Actor
	for _, chunk := range chunkIDs(ids, 400) {
		var part []*Actor
		err := s.DB.NewSelect().Model(&part).Where("id IN (?) AND NOT local AND deleted_at IS NULL", bun.In(chunk)).Order("id").Scan(ctx)
		if err != nil {
			return nil, dbErr("remote contributors", err)
		}
		out = append(out, part...)
	}
	return out, nil
}
