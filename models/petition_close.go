package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Who closed a petition before its deadline (Petition.ClosedBy).
const (
	ClosedByAuthor    = "author"
	ClosedByModerator = "moderator"
)

// PetitionClosable reports whether acc may close p now (ClosePetition): a
// local, visible petition still open at now, by its author or a
// moderator. The page and its confirmation ask it before offering the
// button.
func PetitionClosable(acc *Account, p *Petition, now time.Time) bool {
	if acc == nil || acc.Actor == nil || p == nil || !p.Local || p.HiddenAt != nil || p.State(now) != PetitionOpen {
		return false
	}
	return acc.Actor.ID == p.AuthorID || acc.IsModerator()
}

// ClosePetition closes an open local petition before its deadline, for
// its author (the decision was taken, the petition moved elsewhere) or a
// moderator (ErrForbidden for anyone else, and for a petition of another
// server, which its origin closes). The petition's deadline becomes now,
// so it takes no more signatures and reads as closed everywhere the
// deadline is read; it stays readable with its signatures, and ClosedBy
// says who closed it. In one transaction the audit log records it, the
// signers (and the author, when a moderator closed it) are told, and an
// event lets federation send the petition's final Update. ErrClosed when
// it is already closed or answered.
func (s *Store) ClosePetition(ctx context.Context, by *Account, petitionID int64) (*Petition, error) {
	if by == nil || by.Actor == nil {
		return nil, ErrUnauthorized
	}
	p, err := s.visiblePetition(ctx, petitionID)
	if err != nil {
		return nil, err
	}
	if !p.Local {
		return nil, fmt.Errorf("%w: a petition of another server is closed there", ErrForbidden)
	}
	closedBy := ClosedByAuthor
	if by.Actor.ID != p.AuthorID {
		if !by.IsModerator() {
			return nil, fmt.Errorf("%w: only its author or a moderator closes a petition", ErrForbidden)
		}
		closedBy = ClosedByModerator
	}
	now := s.Now()
	if p.State(now) != PetitionOpen {
		return nil, ErrClosed
	}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*Petition)(nil)).Set("closes_at = ?", now).
			Set("closed_by = ?", closedBy).Set("updated_at = ?", now).
			Where("id = ? AND status = ? AND (closes_at IS NULL OR closes_at > ?)", p.ID, PetitionOpen, now).Exec(ctx)
		if err != nil {
			return dbErr("close petition", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrClosed // answered or closed meanwhile
		}
		p.ClosesAt, p.ClosedBy, p.UpdatedAt = &now, closedBy, now
		if err := s.audit(ctx, tx, by, "petition_closed", ObjectTypePetition, fmt.Sprint(p.ID), closedBy); err != nil {
			return err
		}
		audience, err := petitionAudience(ctx, tx, p, closedBy == ClosedByModerator)
		if err != nil {
			return err
		}
		n := Notification{Kind: NotifyPetitionClosed, ObjectType: ObjectTypePetition, ObjectID: p.ID, ActorID: by.Actor.ID, Data: closedBy}
		if err := s.Notify(ctx, tx, without(audience, by.ID), n); err != nil {
			return err
		}
		return s.emit(ctx, tx, petitionEvent(EventPetitionClosed, p, by.Actor.ID,
			map[string]any{"uri": p.URI, "closed_by": closedBy}))
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}
