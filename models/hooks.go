package models

import (
	"context"

	"github.com/uptrace/bun"
)

// Actions a consultation phase may allow or refuse.
const (
	ActionPropose  = "propose"  // create a proposal, debate or petition
	ActionComment  = "comment"  // comment or argue
	ActionVote     = "vote"     // vote, support or sign
	ActionWorkshop = "workshop" // record an offline contribution
)

// consultationGuard, when set (by consultation.go), refuses an action that
// the current phase of a consultation does not allow. Civic rules call
// checkConsultation before writing, for web, API and federation alike.
var consultationGuard func(ctx context.Context, s *Store, tx bun.IDB, consultationID int64, action string) error

// checkConsultation applies the phase rules of the consultation ref names
// (none: nothing is read): a local one's, or on a copy its origin's.
func (s *Store) checkConsultation(ctx context.Context, tx bun.IDB, ref ConsultationRef, action string) error {
	switch {
	case ref.ID != 0 && consultationGuard != nil:
		return consultationGuard(ctx, s, tx, ref.ID, action)
	case ref.RemoteID != 0:
		return s.checkRemoteConsultation(ctx, tx, ref.RemoteID, action)
	}
	return nil
}
