package models

import (
	"context"
	"errors"
)

// What the phases of an object's consultation say of taking part in it,
// for the doors to show before anyone tries: pages hide a form the phase
// would refuse, the API says why, federation closes the poll when votes
// stop. The rule itself stays Consultation.Check, applied by
// checkConsultation when the action arrives.

// PhaseRefusal returns the *PhaseError with which the consultation
// consultationID would refuse action now (what CastVote, Support, Sign…
// answer), or nil when its phase allows action or consultationID is 0
// (no consultation: nothing is read). It reads the consultation once, as
// the guard does (a withdrawn one refuses everything); other errors are
// the guard's (an unknown consultation is a *ValidationError).
func (s *Store) PhaseRefusal(ctx context.Context, consultationID int64, action string) (*PhaseError, error) {
	err := s.checkConsultation(ctx, s.DB, consultationID, action)
	var pe *PhaseError
	if errors.As(err, &pe) {
		return pe, nil
	}
	return nil, err
}
