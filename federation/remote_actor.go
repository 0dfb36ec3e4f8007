package federation

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"path"
	"sync"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// ActorMaxAge is how long a stored remote actor is trusted before it is
// fetched again.
const ActorMaxAge = 24 * time.Hour

// keyRefreshEvery bounds how often one actor is fetched again for its key
// (after a failed verification, or when unknown), so forged signatures
// cannot make odn hammer a peer.
const keyRefreshEvery = 30 * time.Second

// ErrBlocked means the peer's domain is blocked.
var ErrBlocked = errors.New("federation: domain blocked")

// keyMissTTL is how long an actor URI whose fetch found no actor (404,
// 410, or a document that is not an actor) is not fetched again, for a
// key or for an activity (actorFor): a forger repeating a nonexistent
// actor's key id costs its host one fetch, not one every keyRefreshEvery,
// and activities naming one (an author, a mention) one fetch too, while
// it is remembered (keyFetchMarks, actorMissMarks).
const keyMissTTL = 5 * time.Minute

// keyFetchMarks bounds the actor URIs keyCache remembers fetching for a
// key (or failing to), least recently used first out. Only key fetches
// make these marks (a fetch the budget refuses leaves none), so a flood
// of invented key ids can evict them only as fast as the key-fetch
// budgets allow fetches. actorMissMarks bounds, apart, the actors that
// activities name (actorFor) whose fetch found none: those fetches spend
// no budget, so a verified sender naming many missing actors could
// otherwise evict the key lookups' marks.
const (
	keyFetchMarks  = 10_000
	actorMissMarks = 10_000
)

// retryLater refuses a key fetch that a budget (fetchBudget) does not
// allow now: the request may be honest, so it is told when to retry.
type retryLater struct {
	after time.Duration
	whose string // the budget: "host", "host's unknown addresses" or "address"
}

func (e *retryLater) Error() string {
	return fmt.Sprintf("too many key fetches (the %s budget), retry in %s", e.whose, e.after.Round(time.Second))
}

// keyCache looks up the public keys behind key ids over the actors
// table: keys of known actors come from the database, unknown ones are
// fetched (signed GET) and stored with their actor. Parsed keys are kept
// in a bounded LRU by key id (keyCacheSize, keyCacheTTL), so the inbox
// hot path neither selects the actor nor parses its PEM on every POST. A
// verification that fails with a cached key asks again with refresh: the
// entry is dropped, and a key changed in the database (Update of the
// actor, seen by any node) is used before anything is fetched. Requests
// reach it through from (a clientKeys), which names the client address
// whose budget a fetch spends.
type keyCache struct {
	s     *Service
	mu    sync.Mutex
	marks *lru[string, fetchMark] // by actor URI: its last key fetch
	// actorMisses are the actors activities named (actorFor) whose fetch
	// found none, by URI; both paths read both memories, each writes its
	// own.
	actorMisses *lru[string, fetchMark]
	parsed      *lru[string, cachedKey]
}

// fetchMark is when an actor was last fetched for a key, and what that
// fetch answered when it found no actor (nil otherwise).
type fetchMark struct {
	at     time.Time
	missed error
}

// cachedKey is a parsed public key and what it was parsed from.
type cachedKey struct {
	pub   crypto.PublicKey
	owner string
	pem   string
	at    time.Time
}

const (
	keyCacheSize = 10_000
	keyCacheTTL  = 10 * time.Minute
)

func newKeyCache(s *Service) *keyCache {
	return &keyCache{s: s,
		marks:       newLRU[string, fetchMark](keyFetchMarks),
		actorMisses: newLRU[string, fetchMark](actorMissMarks),
		parsed:      newLRU[string, cachedKey](keyCacheSize),
	}
}

// clientKeys implements KeyFetcher for the requests of one client
// address: the key fetches they cause spend the host's
// budget as that address may (fetchBudget).
type clientKeys struct {
	k      *keyCache
	client clientAddr
}

// from returns the KeyFetcher of the client address client.
func (k *keyCache) from(client clientAddr) clientKeys { return clientKeys{k: k, client: client} }

// PublicKey implements KeyFetcher.
func (c clientKeys) PublicKey(ctx context.Context, keyID string, refresh bool) (crypto.PublicKey, string, error) {
	return c.k.publicKey(ctx, c.client, keyID, refresh)
}

func (k *keyCache) publicKey(ctx context.Context, client clientAddr, keyID string, refresh bool) (crypto.PublicKey, string, error) {
	actorURI := KeyIDToActor(keyID)
	if hostOf(actorURI) == "" {
		return nil, "", fmt.Errorf("bad key id %q", keyID)
	}
	if k.s.blocks.blocked(ctx, hostOf(actorURI)) {
		return nil, "", ErrBlocked
	}
	k.mu.Lock()
	c, hit := k.parsed.get(keyID)
	if hit && (refresh || k.s.now().Sub(c.at) > keyCacheTTL) {
		k.parsed.remove(keyID)
	}
	k.mu.Unlock()
	if hit && !refresh && k.s.now().Sub(c.at) <= keyCacheTTL {
		return c.pub, c.owner, nil
	}
	a, err := k.s.store.ActorByURI(ctx, actorURI)
	switch {
	case err == nil:
		owns := a.PublicKeyID == keyID || keyID == a.URI
		if a.Local || (owns && !refresh) || (owns && hit && a.PublicKeyPEM != c.pem) {
			if !owns {
				return nil, "", fmt.Errorf("key %s is not %s's", keyID, a.URI)
			}
			return k.parse(keyID, a)
		}
		if !k.mayRefresh(actorURI) {
			if owns {
				return k.parse(keyID, a)
			}
			return nil, "", fmt.Errorf("key %s is not %s's", keyID, a.URI)
		}
	case !errors.Is(err, models.ErrNotFound):
		return nil, "", err
	case hostOf(actorURI) == k.s.host:
		return nil, "", fmt.Errorf("unknown local key %s", keyID)
	case !k.mayRefresh(actorURI):
		return nil, "", fmt.Errorf("key %s was not found recently", keyID)
	}
	if err := k.s.fetchBudget.spend(client, limitHost(hostOf(actorURI))); err != nil {
		k.unmark(actorURI)
		return nil, "", err
	}
	a, err = k.s.fetchActor(ctx, actorURI)
	if err != nil {
		if noActor(err) {
			k.miss(actorURI, err)
		}
		return nil, "", err
	}
	if a.PublicKeyID != keyID && keyID != a.URI {
		return nil, "", fmt.Errorf("key %s is not %s's", keyID, a.URI)
	}
	return k.parse(keyID, a)
}

// noActor reports whether a fetch's error says that there is no actor at
// the URI (as opposed to a peer that did not answer, or answered 5xx).
func noActor(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code == http.StatusNotFound || se.Code == http.StatusGone
	}
	return errors.Is(err, ErrNotActor) || errors.Is(err, ErrContentType) || errors.Is(err, ErrIDMismatch)
}

// forget drops the cached keys of ids: an actor's Update that rotates its
// key must end the old key's use at once, not after keyCacheTTL.
func (k *keyCache) forget(ids ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, id := range ids {
		k.parsed.remove(id)
	}
}

// parse parses a's key and caches it under keyID.
func (k *keyCache) parse(keyID string, a *models.Actor) (crypto.PublicKey, string, error) {
	pub, owner, err := parseActorKey(a)
	if err != nil {
		return nil, "", err
	}
	k.mu.Lock()
	k.parsed.add(keyID, cachedKey{pub: pub, owner: owner, pem: a.PublicKeyPEM, at: k.s.now()})
	k.mu.Unlock()
	return pub, owner, nil
}

// mayRefresh records a fetch of the actor actorURI (for one of its key
// ids) and reports whether one is due: not within keyRefreshEvery of the
// last, nor within keyMissTTL of one that found no actor (for a key or
// for an activity). Keyed by the actor, not the key id: key ids that
// differ only in their fragment name one document.
func (k *keyCache) mayRefresh(actorURI string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.s.now()
	if m, ok := k.marks.get(actorURI); ok && (now.Sub(m.at) < keyRefreshEvery || m.missed != nil && now.Sub(m.at) < keyMissTTL) {
		return false
	}
	if m, ok := k.actorMisses.get(actorURI); ok && now.Sub(m.at) < keyMissTTL {
		return false
	}
	k.marks.add(actorURI, fetchMark{at: now})
	return true
}

// unmark forgets the fetch mayRefresh recorded when the budget refused
// it: nothing was fetched, and the sender, told to retry later, must not
// then hear that the key was not found.
func (k *keyCache) unmark(actorURI string) {
	k.mu.Lock()
	k.marks.remove(actorURI)
	k.mu.Unlock()
}

// miss records that the key fetch of actorURI found no actor, answering
// err.
func (k *keyCache) miss(actorURI string, err error) {
	k.mu.Lock()
	k.marks.add(actorURI, fetchMark{at: k.s.now(), missed: err})
	k.mu.Unlock()
}

// actorMissed records that the fetch of actorURI for an activity
// (actorFor) found no actor, answering err.
func (k *keyCache) actorMissed(actorURI string, err error) {
	k.mu.Lock()
	k.actorMisses.add(actorURI, fetchMark{at: k.s.now(), missed: err})
	k.mu.Unlock()
}

// missed returns what the last fetch of actorURI (for a key or for an
// activity) answered when it found no actor within keyMissTTL, or nil.
func (k *keyCache) missed(actorURI string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.s.now()
	for _, l := range [...]*lru[string, fetchMark]{k.marks, k.actorMisses} {
		if m, ok := l.get(actorURI); ok && m.missed != nil {
			if ago := now.Sub(m.at); ago < keyMissTTL {
				return fmt.Errorf("%w (not fetched again %s after)", m.missed, ago.Round(time.Second))
			}
		}
	}
	return nil
}

func parseActorKey(a *models.Actor) (crypto.PublicKey, string, error) {
	pub, err := ParsePublicKeyPEM(a.PublicKeyPEM)
	if err != nil {
		return nil, "", err
	}
	return pub, a.URI, nil
}

// fetchActor GETs a remote actor (signed by the instance actor), checks
// it and stores it.
func (s *Service) fetchActor(ctx context.Context, uri string) (*models.Actor, error) {
	if hostOf(uri) == s.host {
		return s.store.ActorByURI(ctx, uri)
	}
	if s.blocks.blocked(ctx, hostOf(uri)) {
		return nil, ErrBlocked
	}
	f, err := s.signedFetcher(ctx)
	if err != nil {
		return nil, err
	}
	m, _, err := f.Fetch(ctx, uri)
	if err != nil {
		return nil, fmt.Errorf("fetch actor: %w", err)
	}
	a, err := actorFromDoc(m)
	if err != nil {
		return nil, err
	}
	if a.URI != uri && hostOf(a.URI) != hostOf(uri) {
		return nil, fmt.Errorf("%w: actor %s from %s", ErrIDMismatch, a.URI, uri)
	}
	return s.store.UpsertRemoteActor(ctx, a)
}

// actorFor returns the actor with this id: stored, refreshed when older
// than ActorMaxAge (the stale copy is kept if the peer does not answer),
// or fetched; neither fetched within keyMissTTL of a fetch (here or for a
// key) that found no actor there.
func (s *Service) actorFor(ctx context.Context, uri string) (*models.Actor, error) {
	a, err := s.store.ActorByURI(ctx, uri)
	switch {
	case err == nil && (a.Local || a.FetchedAt == nil || s.now().Sub(*a.FetchedAt) < ActorMaxAge || a.DeletedAt != nil):
		return a, nil
	case err == nil:
		if fresh, ferr := s.fetchActorUnlessMissed(ctx, uri); ferr == nil {
			return fresh, nil
		}
		return a, nil
	case errors.Is(err, models.ErrNotFound):
		if hostOf(uri) == s.host {
			return nil, err
		}
		return s.fetchActorUnlessMissed(ctx, uri)
	}
	return nil, err
}

// fetchActorUnlessMissed is fetchActor, remembering a fetch that found no
// actor, and answering as it did, without a fetch, within keyMissTTL:
// actors that activities name (their actor, an author, a mention, an
// announced activity's actor) share the key lookups' memory, so naming a
// nonexistent actor again costs its host nothing for a while, whichever
// path names it. Their misses go to their own memory (actorMisses): these
// fetches spend no key-fetch budget, so they must not push out the key
// lookups' marks. A remembered 410 still reads as a 410 (authorFor's
// deleted author).
func (s *Service) fetchActorUnlessMissed(ctx context.Context, uri string) (*models.Actor, error) {
	if err := s.keys.missed(uri); err != nil {
		return nil, err
	}
	a, err := s.fetchActor(ctx, uri)
	if err != nil && noActor(err) {
		s.keys.actorMissed(uri, err)
	}
	return a, err
}

// authorFor returns the author (attributedTo) of a remote object as
// actorFor does or, when its server answers 410 for the actor (erased or
// deleted there: odn and Mastodon keep answering 410), a deleted actor
// standing for it: the object lives on at its origin, by a deleted
// account. Without it, a server that never knew the author could not copy
// the object (a lookup, a boost, an Update reaching a new follower).
func (s *Service) authorFor(ctx context.Context, uri string) (*models.Actor, error) {
	a, err := s.actorFor(ctx, uri)
	var se *StatusError
	if err == nil || !errors.As(err, &se) || se.Code != http.StatusGone {
		return a, err
	}
	a, err = s.store.UpsertRemoteActor(ctx, &models.Actor{URI: uri, Type: models.ActorPerson, Username: path.Base(uri), Host: hostOf(uri)})
	if err != nil {
		return nil, err
	}
	if err := s.store.MarkActorDeleted(ctx, a); err != nil {
		return nil, err
	}
	return s.store.ActorByURI(ctx, uri)
}

// blockCache keeps the blocked domains for a few seconds, so the inbox
// hot path does not query them on every request.
type blockCache struct {
	store *models.Store
	now   func() time.Time
	mu    sync.Mutex
	set   models.BlockedSet
	at    time.Time
}

const blockCacheTTL = 5 * time.Second

func (b *blockCache) blocked(ctx context.Context, host string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.set == nil || b.now().Sub(b.at) > blockCacheTTL {
		set, err := b.store.BlockedDomains(ctx)
		if err != nil {
			return b.set.Has(host) // keep the previous answer on a database hiccup
		}
		b.set, b.at = set, b.now()
	}
	return b.set.Has(host)
}

// invalidate forgets the cache (after an admin blocks a domain).
func (b *blockCache) invalidate() {
	b.mu.Lock()
	b.set = nil
	b.mu.Unlock()
}
