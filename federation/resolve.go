package federation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// objectResolvers store a fetched remote object of a civic type (Note,
// Question, Page…) and say what it became; the civic mapping registers
// them. m has been fetched from its origin with its id checked.
var objectResolvers = map[string]func(ctx context.Context, s *Service, m map[string]any) (*models.Resolved, error){}

// Resolve implements models.Resolver: a handle (name@host, @name@host,
// acct:name@host) goes through WebFinger to its actor; a URL is fetched
// (signed) and stored when it is an actor or a known object type. Peers'
// failures come back as models.ErrNotFound, a malformed query as a
// validation error, a blocked domain as models.ErrForbidden.
func (s *Service) Resolve(ctx context.Context, query string) (*models.Resolved, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	q := strings.TrimSpace(query)
	if !strings.Contains(q, "://") {
		return s.resolveHandle(ctx, q)
	}
	u, err := s.fetcher.checkURL(q)
	if err != nil {
		return nil, models.Invalid("uri", "Enter an address such as name@town.example or a URL.")
	}
	if s.blocks.blocked(ctx, u.Host) {
		return nil, fmt.Errorf("%w: %s is blocked", models.ErrForbidden, u.Host)
	}
	f, err := s.signedFetcher(ctx)
	if err != nil {
		return nil, err
	}
	m, _, err := f.Fetch(ctx, u.String())
	if err != nil {
		s.log.InfoContext(ctx, "lookup failed", "uri", q, "err", err)
		return nil, models.ErrNotFound
	}
	if actorTypes[typeOf(m)] {
		a, err := actorFromDoc(m)
		if err != nil {
			return nil, models.ErrNotFound
		}
		if a, err = s.store.UpsertRemoteActor(ctx, a); err != nil {
			return nil, err
		}
		return &models.Resolved{Kind: "actor", URI: a.URI, Actor: a}, nil
	}
	if r, ok := objectResolvers[typeOf(m)]; ok {
		return r(ctx, s, m)
	}
	return nil, models.ErrNotFound
}

// resolveHandle looks up name@host by WebFinger and fetches the actor; its
// preferredUsername must match the handle's name (Mastodon's reverse
// check, in its simplest form).
func (s *Service) resolveHandle(ctx context.Context, q string) (*models.Resolved, error) {
	user, host, err := ParseHandle(q)
	if err != nil {
		return nil, models.Invalid("handle", "Enter an address such as name@town.example or a URL.")
	}
	if host == s.host {
		return nil, models.ErrNotFound
	}
	if s.blocks.blocked(ctx, host) {
		return nil, fmt.Errorf("%w: %s is blocked", models.ErrForbidden, host)
	}
	href, err := s.fetcher.WebFinger(ctx, user, host)
	if err != nil {
		s.log.InfoContext(ctx, "webfinger failed", "handle", q, "err", err)
		return nil, models.ErrNotFound
	}
	a, err := s.fetchActor(ctx, href)
	if errors.Is(err, ErrBlocked) {
		return nil, models.ErrForbidden
	}
	if err != nil {
		s.log.InfoContext(ctx, "actor fetch failed", "handle", q, "err", err)
		return nil, models.ErrNotFound
	}
	if !strings.EqualFold(a.Username, user) {
		return nil, models.ErrNotFound
	}
	return &models.Resolved{Kind: "actor", URI: a.URI, Actor: a}, nil
}

// runHousekeeping purges old inbox items, delivered jobs and processed
// events hourly.
func (s *Service) runHousekeeping(ctx context.Context) {
	every(ctx, time.Hour, func() {
		if n, err := s.store.PurgeInboxItems(ctx, 14*24*time.Hour); err != nil {
			s.log.ErrorContext(ctx, "purge inbox", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "purged inbox items", "count", n)
		}
		if _, err := s.store.PurgeDeliveries(ctx, 7*24*time.Hour); err != nil {
			s.log.ErrorContext(ctx, "purge deliveries", "err", err)
		}
		if _, err := s.store.PurgeEvents(ctx, 7*24*time.Hour); err != nil {
			s.log.ErrorContext(ctx, "purge events", "err", err)
		}
		if _, err := s.store.ForgetDeletedKeys(ctx); err != nil {
			s.log.ErrorContext(ctx, "forget deleted keys", "err", err)
		}
	})
}

// every runs fn each d until ctx ends, the first time after d.
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fn()
	}
}

// runConsultationRefresh fetches again, every consultationRefreshEvery,
// the remote consultations that are due (RefreshRemoteConsultations).
// Each record has its own schedule (an hour after its origin answered, a
// growing wait after no answer, a lease's end), so a round finds few or
// none due, and costs one small claim; run hourly, those schedules would
// only take effect at the next hour.
func (s *Service) runConsultationRefresh(ctx context.Context) {
	every(ctx, consultationRefreshEvery, func() {
		if _, err := s.RefreshRemoteConsultations(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "refresh remote consultations", "err", err)
		}
	})
}

// BlockDomain blocks a domain through models and forgets the cached block
// list, so the inbox refuses the domain at once. Admin pages and the
// command line call models directly; this is for callers holding the
// Service.
func (s *Service) BlockDomain(ctx context.Context, by *models.Account, domain, reason string) error {
	_, err := s.store.BlockDomain(ctx, by, domain, reason)
	s.blocks.invalidate()
	return err
}
