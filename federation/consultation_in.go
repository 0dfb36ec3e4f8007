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
// host could send one, or an Announce carry one), and by a round every
// few minutes for a record that is due, such as one not fetched for an
// hour (copies fetched by a lookup or through a relay, here where no
// member follows the space, its authors nor took part, get no Update).

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
// (at most five of one origin, models.ClaimRemoteConsultations);
// consultationRefreshBudget how long a round (runConsultationRefresh) may go on
// fetching; consultationFetchTimeout bounds one fetch, redirects
// included; and consultationRefreshLease is how long a claimed
// consultation is left to this node. The lease outlasts the longest a
// round holds a claimed record before settling it (the budget, then one
// last fetch and its record: under three minutes), so no other node
// fetches it meanwhile; and it is short, so that one this node did not
// settle (stopped mid-round, or out of time) is due again for any node
// minutes later, not in an hour. consultationRefreshEvery is how often a
// node looks for due records (runConsultationRefresh): under the lease,
// so that a record left unsettled is taken again soon after it ends.
const (
	consultationRefreshEvery  = 4 * time.Minute
	consultationRefreshBatch  = 50
	consultationRefreshBudget = 2 * time.Minute
	consultationFetchTimeout  = 30 * time.Second
	consultationRefreshLease  = 5 * time.Minute
)

// RefreshRemoteConsultations fetches again, from their origin, the remote
// consultations not fetched for about models.RemoteConsultationCheckEvery
// (models.ClaimRemoteConsultations, a lease: another node does not take
// them meanwhile) and applies what they say: new phases, or a withdrawal
// (410 Gone). Any other answer of the origin (a 404, a document that is
// no consultation) has it asked again in an hour as well; no answer
// (unreachable, too slow, a 5xx) in a while that grows with each such
// fetch in a row (models.RemoteConsultationUnanswered), and the origin's
// other consultations are not asked in the same round. It returns how
// many were asked.
func (s *Service) RefreshRemoteConsultations(ctx context.Context) (int, error) {
	f, err := s.signedFetcher(ctx)
	if err != nil {
		return 0, err
	}
	// Batches until none is due, or the round's time is spent (slow
	// origins, many consultations: the rest, leased, is due again when
	// the lease ends).
	start, asked := time.Now(), 0
	silent := map[string]bool{} // origins that did not answer this round
	for time.Since(start) < consultationRefreshBudget {
		due, err := s.store.ClaimRemoteConsultations(ctx, consultationRefreshBatch, consultationRefreshLease)
		if err != nil || len(due) == 0 {
			return asked, err
		}
		for _, rc := range due {
			if ctx.Err() != nil || time.Since(start) >= consultationRefreshBudget {
				return asked, ctx.Err()
			}
			if silent[rc.Origin] || s.blocks.blocked(ctx, rc.Origin) {
				// Another of its consultations just got no answer: each
				// of the others would wait as long for none. A blocked
				// domain is not asked at all, and waits as long.
				s.recordRefresh(ctx, rc.URI, errOriginSilent)
				silent[rc.Origin] = true
				continue
			}
			fctx, cancel := context.WithTimeout(ctx, consultationFetchTimeout)
			err := s.refreshConsultation(fctx, f, rc.URI)
			cancel()
			if ctx.Err() != nil {
				return asked, ctx.Err() // stopping: left to the lease
			}
			asked++
			if !s.recordRefresh(ctx, rc.URI, err) {
				silent[rc.Origin] = true
			}
		}
	}
	return asked, nil
}

// errOriginSilent stands for the fetch not made of a consultation whose
// origin did not answer another a moment before.
var errOriginSilent = errors.New("origin did not answer this round")

// recordRefresh records the outcome of refetching the claimed remote
// consultation uri, err from refreshConsultation, and reports whether its
// origin answered. Applied (nil) is recorded already; a permanent error
// is the origin's answer (a 404, a document that is no consultation):
// again in an hour; anything else is no answer, its domain blocked here
// included (it was not asked, and its last answer stays what it was).
func (s *Service) recordRefresh(ctx context.Context, uri string, err error) bool {
	if err == nil {
		return true
	}
	s.log.InfoContext(ctx, "remote consultation refresh", "uri", uri, "err", err)
	answered := permanent(err) && !errors.Is(err, ErrBlocked)
	record := s.store.RemoteConsultationUnanswered
	if answered {
		record = s.store.MarkRemoteConsultationChecked
	}
	if rerr := record(ctx, uri); rerr != nil {
		s.log.ErrorContext(ctx, "record remote consultation refresh", "uri", uri, "err", rerr)
	}
	return answered
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
