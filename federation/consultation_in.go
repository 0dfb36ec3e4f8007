package federation

import (
	"context"
	"errors"
	"net/http"

	"github.com/opendemocracynow/odn/models"
)

// Another instance's consultation, as this instance keeps it for the
// copies of its items (models.RemoteConsultation): each copy's document
// names its phases; the consultation's own Update, which its space sends
// when the dates change or it is withdrawn, refreshes them for every copy
// at once; and copies that get no Update (fetched by a lookup or through
// a relay, here where no member follows the space nor took part) have
// their consultation fetched again hourly, so that its phases are not
// believed longer than that without a word from its origin.

func init() {
	updateHandlers["OrderedCollection"] = updateConsultation
}

// updateConsultation applies the Update of an odn consultation, sent by
// its space: the owner its copies named (handleUpdate checked only that
// the sender is the document's attributedTo, on its host). Other
// collections are ignored.
func updateConsultation(ctx context.Context, s *Service, in *incoming, obj map[string]any) error {
	if civicKind(obj) != ODNTypeConsultation || hostOf(idOf(obj["id"])) == s.host {
		return nil
	}
	err := s.store.RefreshRemoteConsultation(ctx, in.actor.Host, in.actor.URI, remoteConsultation(obj))
	if errors.Is(err, models.ErrForbidden) {
		return dropError{err}
	}
	return err
}

// consultationRefreshBatch bounds the consultations fetched again in one
// round of housekeeping.
const consultationRefreshBatch = 50

// RefreshRemoteConsultations fetches again, from their origin, the remote
// consultations not confirmed for models.RemoteConsultationCheckEvery
// (models.RemoteConsultationsDue) and applies what it says: new phases, or
// a withdrawal (410 Gone). Each is marked checked whatever the answer, so
// an origin down is asked again in an hour, not at every round. It
// returns how many were asked.
func (s *Service) RefreshRemoteConsultations(ctx context.Context) (int, error) {
	due, err := s.store.RemoteConsultationsDue(ctx, consultationRefreshBatch)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	f, err := s.signedFetcher(ctx)
	if err != nil {
		return 0, err
	}
	for _, rc := range due {
		if err := s.refreshConsultation(ctx, f, rc); err != nil {
			s.log.InfoContext(ctx, "remote consultation refresh", "uri", rc.URI, "err", err)
		}
		if err := s.store.MarkRemoteConsultationChecked(ctx, rc.URI); err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

// refreshConsultation fetches one remote consultation through f.
func (s *Service) refreshConsultation(ctx context.Context, f *Fetcher, rc models.RemoteConsultation) error {
	if s.blocks.blocked(ctx, rc.Origin) {
		return ErrBlocked
	}
	m, _, err := f.Fetch(ctx, rc.URI)
	var se *StatusError
	switch {
	case errors.As(err, &se) && se.Code == http.StatusGone:
		return s.store.WithdrawRemoteConsultation(ctx, rc.URI)
	case err != nil:
		return err
	case civicKind(m) != ODNTypeConsultation || idOf(m["id"]) != rc.URI:
		return drop("%s is no consultation", rc.URI)
	}
	return s.store.RefreshRemoteConsultation(ctx, rc.Origin, "", remoteConsultation(m))
}
