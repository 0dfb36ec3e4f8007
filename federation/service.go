package federation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// Options configure a Service. Zero durations take the defaults noted.
type Options struct {
	Store   *models.Store
	Logger  *slog.Logger
	Metrics *metrics.Set
	// BaseURL is the instance's public base URL (scheme://host[:port]).
	BaseURL string
	Version string
	// DevInsecure allows http ids and private (loopback) addresses: tests only.
	DevInsecure bool
	// AuthorizedFetch requires signed GETs for objects (not the instance actor).
	AuthorizedFetch bool
	// Client overrides the outgoing HTTP client (default NewHTTPClient).
	Client *http.Client

	// PollInterval is how often idle workers look for work even without a
	// wake-up (default 2 s).
	PollInterval time.Duration
	// Lease is how long a claimed job, inbox item or event stays reserved
	// to this node (default 2 min; must exceed the HTTP timeout).
	Lease time.Duration
	// Backoff gives the wait before retry number attempt (default
	// attempt⁴ s + 15 s + jitter, like Mastodon: about two days over
	// MaxAttempts).
	Backoff func(attempt int) time.Duration
	// MaxAttempts is how many delivery attempts before a dead letter (16).
	MaxAttempts int
	// Concurrency bounds parallel deliveries per node (16), HostConcurrency
	// per peer host (8: a peer answering in 300 ms still gets ~25/s).
	Concurrency, HostConcurrency int
	// BreakerThreshold consecutive failures open a host's circuit for
	// BreakerOpen (10 failures, 1 min, doubling up to 24 h).
	BreakerThreshold int
	BreakerOpen      time.Duration
	// InboxRate is the sustained number of inbox POSTs per second allowed
	// per remote host (10), with bursts of InboxBurst (100): counted per
	// verified host, and for the key fetches unknown key ids cause (of
	// which the client addresses not known for the host may cause
	// 1/strangerShare: fetchBudget); before the signature is checked,
	// each client address may send claimFactor times as many.
	InboxRate  float64
	InboxBurst int
	// InboxLag is how long the inbox worker may hold back stored items
	// while POSTs keep arriving, so that receiving a burst gets the CPU
	// (default 2 s; see runInbox).
	InboxLag time.Duration
	// Now replaces time.Now (tests).
	Now func() time.Time
}

// Service is odn's ActivityPub door: it serves discovery, actors and
// objects, receives activities in inboxes, runs the inbox, outbox and
// delivery workers, and resolves remote handles. It implements
// web.Federation, models.EventSink and models.Resolver.
type Service struct {
	opts    Options
	store   *models.Store
	log     *slog.Logger
	host    string
	owner   string // this node's lease owner id
	fetcher *Fetcher
	keys    *keyCache
	// The inbox's rate limits (Service.inbox): by client address before
	// verifying, by verified host after; and the budget of the key
	// fetches that unknown key ids cause, by host and client address.
	claimLimit, hostLimit *keyLimiter
	fetchBudget           *fetchBudget
	blocks                *blockCache
	m                     *fedMetrics

	wakeInbox, wakeOutbox, wakeDelivery chan struct{}
	// inboxPosts counts the POSTs the inbox stored: the inbox worker
	// holds back while they arrive in a burst (runInbox).
	inboxPosts atomic.Int64

	signersMu sync.Mutex
	signers   map[int64]*Signer
}

// New builds a Service; call Workers to get its background loops.
func New(opts Options) (*Service, error) {
	if opts.Store == nil {
		return nil, errors.New("federation: Options.Store is required")
	}
	applyDefaults(&opts)
	host := opts.Store.URLs.Host()
	if host == "" {
		return nil, fmt.Errorf("federation: bad base URL %q", opts.BaseURL)
	}
	if opts.Client == nil {
		opts.Client = NewHTTPClient(ClientOptions{AllowPrivate: opts.DevInsecure, UserAgent: "odn/" + opts.Version + " (+" + opts.BaseURL + ")"})
	}
	b := make([]byte, 6)
	rand.Read(b) //nolint:errcheck // never fails
	s := &Service{
		opts: opts, store: opts.Store, log: opts.Logger, host: host,
		owner:     host + "/" + hex.EncodeToString(b),
		wakeInbox: make(chan struct{}, 1), wakeOutbox: make(chan struct{}, 1), wakeDelivery: make(chan struct{}, 1),
		signers: map[int64]*Signer{},
	}
	s.fetcher = &Fetcher{Client: opts.Client, AllowHTTP: opts.DevInsecure}
	s.keys = newKeyCache(s)
	s.claimLimit = newKeyLimiter(claimFactor*opts.InboxRate, claimFactor*opts.InboxBurst, opts.Now)
	s.hostLimit = newKeyLimiter(opts.InboxRate, opts.InboxBurst, opts.Now)
	s.fetchBudget = newFetchBudget(opts.InboxRate, opts.InboxBurst, opts.Now)
	s.blocks = &blockCache{store: opts.Store, now: opts.Now}
	s.m = newFedMetrics(s, opts.Metrics)
	return s, nil
}

func applyDefaults(o *Options) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = metrics.NewSet()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BaseURL == "" {
		o.BaseURL = o.Store.URLs.Base
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	setDur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	setDur(&o.PollInterval, 2*time.Second)
	setDur(&o.Lease, 2*time.Minute)
	setDur(&o.InboxLag, 2*time.Second)
	setDur(&o.BreakerOpen, time.Minute)
	setInt := func(n *int, def int) {
		if *n <= 0 {
			*n = def
		}
	}
	setInt(&o.MaxAttempts, 16)
	setInt(&o.Concurrency, 16)
	setInt(&o.HostConcurrency, 8)
	setInt(&o.BreakerThreshold, 10)
	setInt(&o.InboxBurst, 100)
	if o.InboxRate <= 0 {
		o.InboxRate = 10
	}
	if o.Backoff == nil {
		o.Backoff = MastodonBackoff
	}
}

// Mount adds the federation routes: discovery, actors, collections and
// inboxes. Object permalinks of civic kinds are served through web's
// content negotiation (ServeObject).
func (s *Service) Mount(r chi.Router) {
	r.Get("/.well-known/webfinger", s.webfinger)
	r.Get("/.well-known/nodeinfo", s.nodeinfoLinks)
	r.Get("/.well-known/host-meta", s.hostMeta)
	r.Get("/nodeinfo/{version}", s.nodeinfo)
	r.Get("/actor", s.serveInstanceActor)
	r.Post("/actor/inbox", s.inbox)
	r.Post("/inbox", s.inbox)
	r.Route("/actors/{name}", func(r chi.Router) {
		r.Get("/", s.serveActor)
		r.Post("/inbox", s.inbox)
		r.Get("/outbox", s.serveOutbox)
		r.Get("/followers", s.serveFollowers)
		r.Get("/following", s.serveFollowing)
	})
	r.Get("/follows/{token}", s.serveFollow)
	for _, add := range extraRoutes {
		add(s, r)
	}
}

// extraRoutes and extraWorkers let feature files (civic publishing,
// participation) add routes under Mount and background loops to Workers
// from their own init, without editing this file.
var (
	extraRoutes  []func(s *Service, r chi.Router)
	extraWorkers []func(s *Service) func(ctx context.Context)
)

// Notify implements models.EventSink: new outbox events, inbox items or
// deliveries are waiting.
func (s *Service) Notify(q models.Queue) {
	for _, w := range []struct {
		q models.Queue
		c chan struct{}
	}{{models.QueueEvents, s.wakeOutbox}, {models.QueueInbox, s.wakeInbox}, {models.QueueDeliveries, s.wakeDelivery}} {
		if q&w.q == 0 {
			continue
		}
		select {
		case w.c <- struct{}{}:
		default:
		}
	}
}

// Workers returns the background loops (inbox, outbox, delivery,
// housekeeping and the refresh of remote consultations); cmd/odn runs
// each in its own goroutine until ctx ends.
func (s *Service) Workers() []func(ctx context.Context) {
	ws := []func(ctx context.Context){s.runInbox, s.runOutbox, s.runDelivery, s.runHousekeeping, s.runConsultationRefresh}
	for _, w := range extraWorkers {
		ws = append(ws, w(s))
	}
	return ws
}

// now is the service clock, UTC.
func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// instanceSigner signs outgoing GETs with the instance actor's key.
func (s *Service) instanceSigner(ctx context.Context) (*Signer, error) {
	a, err := s.store.InstanceActor(ctx)
	if err != nil {
		return nil, fmt.Errorf("instance actor: %w", err)
	}
	return s.signerFor(a)
}

// signerFor returns (and caches) the Signer of a local actor.
func (s *Service) signerFor(a *models.Actor) (*Signer, error) {
	s.signersMu.Lock()
	defer s.signersMu.Unlock()
	if sg, ok := s.signers[a.ID]; ok && sg.KeyID() == a.PublicKeyID {
		return sg, nil
	}
	if !a.Local || a.PrivateKeyPEM == "" {
		return nil, fmt.Errorf("actor %s has no private key", a.URI)
	}
	key, err := ParsePrivateKeyPEM(a.PrivateKeyPEM)
	if err != nil {
		return nil, err
	}
	sg, err := NewSigner(a.PublicKeyID, key)
	if err != nil {
		return nil, err
	}
	s.signers[a.ID] = sg
	return sg, nil
}

// signedFetcher returns a Fetcher whose GETs carry the instance actor's
// signature (GoToSocial and authorized-fetch Mastodon require it).
func (s *Service) signedFetcher(ctx context.Context) (*Fetcher, error) {
	sg, err := s.instanceSigner(ctx)
	if err != nil {
		return nil, err
	}
	f := *s.fetcher
	f.Signer = sg
	return &f, nil
}

// wait blocks until a wake-up, the poll interval, or the end of ctx; it
// reports false when ctx ended.
func (s *Service) wait(ctx context.Context, wake <-chan struct{}) bool {
	t := time.NewTimer(s.opts.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-t.C:
	}
	return true
}
