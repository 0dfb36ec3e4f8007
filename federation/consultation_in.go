package federation

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
)

// Another instance's consultation, as this instance keeps it for the
// copies of its items (models.RemoteConsultation). A copy's description
// of it creates the record; what changes it is only the consultation's
// own document, fetched from its id: when a copy names a newer version,
// when its space sends the consultation's Update (a hint: the embedded
// object is not believed as such, since another account or group of the
// host could send one, or an Announce carry one), and hourly for a
// record not fetched for an hour (copies fetched by a lookup or through a
// relay, here where no member follows the space, its authors nor took
// part, get no Update).

func init() {
	updateHandlers["OrderedCollection"] = updateConsultation
}

// updateConsultation takes the Update of an odn consultation as a hint:
// the consultation is fetched from its id when copies of it are held here.
// Other collections are ignored.
func updateConsultation(ctx context.Context, s *Service, in *incoming, obj map[string]any) error {
	uri := idOf(obj["id"])
	if civicKind(obj) != ODNTypeConsultation || hostOf(uri) == s.host {
		return nil
	}
	return s.followConsultation(ctx, uri, updatedOf(obj), false)
}

// followConsultation fetches the remote consultation uri again when a
// copy of one of its items, or its Update, names a version newer than the
// one held — any, while the record holds only a copy's description (none
// held: nothing to do). For copies (perCopy), not when it was fetched less
// than a minute ago: an origin whose clock runs ahead names a version
// newer than the one held (taken as now) in every copy it sends, and gets
// one fetch a minute, not one per delivery. Its Update, sent once per
// change, is always followed.
func (s *Service) followConsultation(ctx context.Context, uri string, version time.Time, perCopy bool) error {
	held, checked, ok, err := s.store.RemoteConsultationVersion(ctx, uri)
	if err != nil || !ok || !version.Truncate(time.Microsecond).After(held) ||
		(perCopy && checked != nil && checked.After(s.store.Now().Add(-time.Minute))) {
		return err
	}
	f, err := s.signedFetcher(ctx)
	if err != nil {
		return err
	}
	return s.refreshConsultation(ctx, f, uri)
}

// consultationRefreshBatch is how many consultations one claim takes
// (at most five of one origin, models.ClaimRemoteConsultations), and
// consultationRefreshBudget how long a round of housekeeping may go on
// claiming more.
const (
	consultationRefreshBatch  = 50
	consultationRefreshBudget = 2 * time.Minute
)

// RefreshRemoteConsultations fetches again, from their origin, the remote
// consultations not fetched for about models.RemoteConsultationCheckEvery
// (models.ClaimRemoteConsultations, which marks them checked whatever the
// answer: an origin down is asked again in an hour, and another node does
// not take them meanwhile) and applies what they say: new phases, or a
// withdrawal (410 Gone). It returns how many were asked.
func (s *Service) RefreshRemoteConsultations(ctx context.Context) (int, error) {
	f, err := s.signedFetcher(ctx)
	if err != nil {
		return 0, err
	}
	// Batches until none is due, or the round's time is spent (slow
	// origins, many consultations: the rest waits for the next round).
	start, asked := time.Now(), 0
	for time.Since(start) < consultationRefreshBudget {
		due, err := s.store.ClaimRemoteConsultations(ctx, consultationRefreshBatch)
		if err != nil || len(due) == 0 {
			return asked, err
		}
		for _, rc := range due {
			if err := s.refreshConsultation(ctx, f, rc.URI); err != nil {
				s.log.InfoContext(ctx, "remote consultation refresh", "uri", rc.URI, "err", err)
			}
		}
		asked += len(due)
	}
	return asked, nil
}

// refreshConsultation fetches the remote consultation uri through f and
// applies its document (models.RefreshRemoteConsultation), or its
// withdrawal when its origin answers 410 Gone.
func (s *Service) refreshConsultation(ctx context.Context, f *Fetcher, uri string) error {
	origin := hostOf(uri)
	if s.blocks.blocked(ctx, origin) {
		return ErrBlocked
	}
	m, _, err := f.Fetch(ctx, uri)
	var se *StatusError
	switch {
	case errors.As(err, &se) && se.Code == http.StatusGone:
		if !strings.EqualFold(hostOf(se.URL), origin) {
			return err // Gone elsewhere, after a redirect: not the consultation's word
		}
		return s.store.WithdrawRemoteConsultation(ctx, uri)
	case err != nil:
		return err
	case civicKind(m) != ODNTypeConsultation || idOf(m["id"]) != uri:
		return drop("%s is no consultation", uri)
	}
	return s.store.RefreshRemoteConsultation(ctx, origin, remoteConsultation(m))
}
