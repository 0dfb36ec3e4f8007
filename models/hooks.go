package models

import (
	"context"
	"errors"

	"github.com/uptrace/bun"
)

// Actions a consultation phase may allow or refuse.
const (
	ActionPropose  = "propose"  // create a proposal, debate or petition
	ActionComment  = "comment"  // comment or argue
	ActionVote     = "vote"     // vote, support or sign
	ActionWorkshop = "workshop" // record an offline contribution
)

// checkConsultation applies the phase rules of the consultation ref names
// (none: nothing is read): a local one's, or on a copy its origin's. Civic
// rules call it before writing, for web, API and federation alike; the
// refusal is a *PhaseError linking the consultation's page.
func (s *Store) checkConsultation(ctx context.Context, tx bun.IDB, ref ConsultationRef, action string) error {
	c, page, err := s.consultationOf(ctx, tx, ref)
	switch {
	case errors.Is(err, ErrNotFound) && ref.ID != 0:
		return Invalid("consultation", "This consultation does not exist.")
	case err != nil || c == nil:
		return err
	}
	if pe := c.refusal(s.Now(), action, page); pe != nil {
		return pe
	}
	return nil
}
