package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/httprate"

	"github.com/opendemocracynow/odn/models"
)

// Federation is what the ActivityPub door offers the web door. cmd/odn
// fills it with the federation package; it is nil when federation is off.
type Federation interface {
	// Mount adds the federation routes (/.well-known/*, /actors/*, inboxes).
	Mount(r chi.Router)
	// WantsActivity reports whether r asks for ActivityStreams JSON rather
	// than HTML (content negotiation on shared permalinks).
	WantsActivity(r *http.Request) bool
	// ServeObject answers r with the ActivityStreams form of a local object
	// of the given kind ("space", "user", "proposal", "debate", "petition",
	// "comment", …) and local id or name.
	ServeObject(w http.ResponseWriter, r *http.Request, kind, id string)
}

// Options configure the web door.
type Options struct {
	Store       *models.Store
	Logger      *slog.Logger
	Metrics     *metrics.Set
	BaseURL     string
	Version     string
	DevInsecure bool
	Federation  Federation
	// TrustedProxies are the reverse proxies (Caddy, nginx…) allowed to
	// name the client in X-Forwarded-For. Empty trusts nobody: the client
	// is the TCP peer and the header is ignored.
	TrustedProxies []netip.Prefix
	// MetricsToken, when set, lets a scraper from anywhere read /metrics
	// with "Authorization: Bearer TOKEN"; without it only a direct
	// loopback peer may (serveMetrics).
	MetricsToken string
	// MapTiles is a tile URL template ("https://tiles.example/{z}/{x}/{y}.png")
	// for consultation maps; empty shows located contributions as a list only.
	MapTiles string
	// Mailer sends e-mails (password reset links, the notice of a changed
	// address) through the mail outbox, which RunMail works through; nil
	// when the instance has no SMTP server: the forgotten password page
	// then sends members to the administrators.
	Mailer Mailer
	// Now replaces time.Now in tests.
	Now func() time.Time
}

// Server holds the catalogs, caches and dependencies of the web door.
type Server struct {
	opts      Options
	store     *models.Store
	log       *slog.Logger
	metrics   *metrics.Set
	locales   map[string]*Locale
	secureCk  bool
	startedAt time.Time
	// debatePages keeps rendered anonymous debate pages (debate_cache.go).
	debatePages pageCache
	// embeds keeps rendered widgets (embed.go).
	embeds pageCache
	// mailJobs holds a token per background job queueing e-mails,
	// mailWG waits for them, mailWake wakes the outbox worker, which
	// leases e-mails as mailOwner (mail.go).
	mailJobs  chan struct{}
	mailWG    sync.WaitGroup
	mailWake  chan struct{}
	mailOwner string
	// authLimit counts the attempts that check a password or send e-mail,
	// per client address, across the forms and the API (auth.go), in
	// memory; nil on PostgreSQL, which counts them in the database
	// (ratelimit_shared.go).
	authLimit *httprate.RateLimiter
}

// New loads the message catalogs; it fails fast on a broken one.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.NewSet()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, store: opts.Store, log: opts.Logger, metrics: opts.Metrics, startedAt: opts.Now(),
		mailJobs: make(chan struct{}, maxMailJobs), mailWake: make(chan struct{}, 1), mailOwner: mailOwnerID()}
	s.secureCk = len(opts.BaseURL) > 8 && opts.BaseURL[:8] == "https://"
	s.authLimit = s.newAuthLimit()
	if opts.Mailer != nil {
		s.mailGauges()
	}
	var err error
	if s.locales, err = loadLocales(); err != nil {
		return nil, fmt.Errorf("load translations: %w", err)
	}
	return s, nil
}

// Handler returns the complete HTTP handler: pages, API, federation,
// operations endpoints and static files.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(headAsGet, s.clientAddr, s.requestID, s.recoverer, s.logRequests, compressResponses(), s.securityHeaders, s.refuseBadText)
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Get("/metrics", s.serveMetrics)
	r.Handle("/static/*", staticHandler())
	if s.opts.Federation != nil {
		s.opts.Federation.Mount(r)
	}
	r.Route("/api/v1", s.apiRoutes)
	r.Group(s.pageRoutes)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { s.error(w, r, models.ErrNotFound) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.errorStatus(w, r, http.StatusMethodNotAllowed, "error.method")
	})
	return r
}

// pageRoutes are the HTML pages; state-changing forms are protected
// against cross-site requests. The order of the checks on a form: the
// cross-origin check first (http.CrossOriginProtection reads the
// Sec-Fetch-Site and Origin headers, never the body, so it needs no form
// and a cross-site request is refused whatever it sends), then the
// session, then the role a form needs (requireModerator, requireAdmin,
// set on the route), and only then the handler reads the form
// (parseForm): someone without the role gets 403, not 400 or 413 for a
// form they may not send (TestPageFormsAuthoriseBeforeParsing). A form
// whose poster depends on the object (an author's edit, the addressee's
// response, placing one's contribution on the map) asks models' May…
// (authorise.go) in its handler before parseForm
// (TestObjectPageFormsAuthoriseBeforeParsing).
func (s *Server) pageRoutes(r chi.Router) {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.errorStatus(w, r, http.StatusForbidden, "error.csrf")
	}))
	r.Use(cop.Handler, s.sessionAccount, s.participationLimit())
	r.Get("/", s.home)
	r.Get("/lang/{lang}", s.switchLang)
	s.authRoutes(r)
	s.spaceRoutes(r)
	for _, add := range extraPageRoutes {
		add(s, r)
	}
}

// extraPageRoutes and extraAPIRoutes let each feature file register its
// routes (proposals, debates, petitions…) without editing this file.
var (
	extraPageRoutes []func(s *Server, r chi.Router)
	extraAPIRoutes  []func(s *Server, r chi.Router)
)

// now is the server's clock.
func (s *Server) now() time.Time { return s.opts.Now() }

// ctxKey types context values owned by this package.
type ctxKey int

const (
	ctxAccount ctxKey = iota
	ctxRequestID
)

// currentAccount returns the signed-in account, or nil.
func currentAccount(ctx context.Context) *models.Account {
	a, _ := ctx.Value(ctxAccount).(*models.Account)
	return a
}
