package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web"
)

// shutdownGrace is how long in-flight requests get to finish on SIGTERM.
const shutdownGrace = 15 * time.Second

func runServe(ctx context.Context, args []string, env Env) error {
	cfg := &Config{}
	fs := newFlagSet("serve", env)
	fs.StringVar(&cfg.Addr, "addr", ":8080", "listen address")
	fs.BoolVar(&cfg.Demo, "demo", false, "seed a demo city space with content when the database is empty")
	fs.BoolVar(&cfg.AuthorizedFetch, "authorized-fetch", false, "require signed GETs for ActivityPub objects")
	fs.StringVar(&cfg.InstanceName, "instance-name", "", "instance display name (default: the host name)")
	fs.StringVar(&cfg.MapTiles, "map-tiles", "", "tile URL template for consultation maps, e.g. https://tiles.example/{z}/{x}/{y}.png (default: none, lists only)")
	fs.StringVar(&cfg.SMTP, "smtp", "", "SMTP server for e-mails (synthesis notifications, password reset links), smtp://user:password@host:587 (default: no e-mail)")
	fs.StringVar(&cfg.SMTPFrom, "smtp-from", "", "From address of notification e-mails (default: odn@HOST)")
	fs.Func("trusted-proxies", "reverse proxies (CIDRs or addresses, comma-separated) whose X-Forwarded-For gives the client address, e.g. 127.0.0.1,::1 (default: none, trust no header)",
		func(v string) (err error) { cfg.TrustedProxies, err = parseProxies(v); return err })
	fs.StringVar(&cfg.MetricsToken, "metrics-token", "", "bearer token a Prometheus scraper sends to read /metrics from another machine (default: /metrics answers only direct loopback requests)")
	finish := commonFlags(fs, cfg)
	if err := parseFlags(fs, args, env.Getenv); err != nil {
		return err
	}
	if len(fs.Args()) > 0 {
		return usagef("serve takes no arguments, got %q (flags are --name value)", fs.Args())
	}
	if env.Listener != nil {
		cfg.Addr = env.Listener.Addr().String()
	}
	if err := checkAddr(cfg.Addr); err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	return serve(ctx, cfg, env)
}

// serve runs one instance until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, cfg *Config, env Env) error {
	start := time.Now()
	log := newLogger(cfg, env.Stderr)
	if cfg.DevInsecure {
		log.Warn("DEV-INSECURE MODE: http ids and private addresses are allowed; never use this in production")
	}
	st, err := openStore(ctx, cfg, append([]models.Option{models.WithInstanceName(cfg.InstanceName)}, env.StoreOptions...)...)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := checkMintedBaseURL(ctx, st, cfg.BaseURL); err != nil {
		return err
	}
	if cfg.Demo {
		if err := st.SeedDemo(ctx); err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
		// Seeding hashed a dozen demo passwords with argon2id (64 MiB
		// each): give that memory back to the OS now, not over the next
		// minute (idle RSS ~160 → ~45 MB).
		debug.FreeOSMemory()
	}
	ms := metrics.NewSet()
	app, err := newApp(ctx, cfg, env, st, log, ms)
	if err != nil {
		return err
	}
	ln := env.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	srv := &http.Server{
		Handler:           app.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	workers, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	done := app.startWorkers(workers)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("odn serving", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "db", st.Dialect,
		"version", env.Version, "startup", time.Since(start).Round(time.Millisecond).String())
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		err = srv.Shutdown(sctx)
	}
	stopWorkers()
	<-done
	app.waitMail(shutdownGrace)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// app is one wired instance: its HTTP handler and background workers.
type app struct {
	handler http.Handler
	workers []func(ctx context.Context)
	mail    func(ctx context.Context) // queues the e-mails asked for, and tries those due once more, until ctx ends
	env     Env                       // the caller's environment, for wirings
}

// waitMail gives the e-mails asked for just before the shutdown (a
// password reset link) up to grace to be queued and tried once; those
// not sent wait in the mail outbox for the next start, or another node.
func (a *app) waitMail(grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	a.mail(ctx) // gives back, at grace, the e-mails it has not sent
}

func newApp(ctx context.Context, cfg *Config, env Env, st *models.Store, log *slog.Logger, ms *metrics.Set) (*app, error) {
	a := &app{env: env}
	opts := web.Options{
		Store: st, Logger: log, Metrics: ms, BaseURL: cfg.BaseURL, Version: env.Version,
		DevInsecure: cfg.DevInsecure, TrustedProxies: cfg.TrustedProxies, MetricsToken: cfg.MetricsToken,
	}
	for _, wire := range wirings {
		if err := wire(ctx, cfg, st, log, ms, &opts, a); err != nil {
			return nil, err
		}
	}
	srv, err := web.New(opts)
	if err != nil {
		return nil, err
	}
	a.handler = srv.Handler()
	a.mail = srv.Drain
	if opts.Mailer != nil {
		// The web door's e-mails (reset and confirmation links, notices)
		// wait in the mail outbox until this worker sends them.
		a.workers = append(a.workers, srv.RunMail)
	}
	a.workers = append(a.workers, func(ctx context.Context) { purgeSessions(ctx, st, log) })
	return a, nil
}

// wirings let other files plug a part (federation) into the instance
// without growing newApp.
var wirings []func(ctx context.Context, cfg *Config, st *models.Store, log *slog.Logger, ms *metrics.Set, opts *web.Options, a *app) error

// startWorkers runs the instance's background workers until ctx ends
// (the hourly purges, the synthesis e-mails, the web door's mail outbox,
// the federation's outbox, inbox and delivery workers, as wired); the
// channel closes once all have returned.
func (a *app) startWorkers(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		finished := make(chan struct{}, len(a.workers))
		for _, w := range a.workers {
			go func() { w(ctx); finished <- struct{}{} }()
		}
		for range a.workers {
			<-finished
		}
	}()
	return done
}

// purgeSessions removes, every hour, expired sessions, the log-in failure
// counts whose window has ended, the shared rate limits' ended windows
// (models.PurgeRateCounts), expired password reset links, the
// e-mails of the mail outbox past their expiry, the follows of erased accounts whose
// Delete the outbox has queued (models.ForgetErasedFollows) and the
// uploads nothing shows any more, or that a crash left half done
// (models.PurgeUploads).
func purgeSessions(ctx context.Context, st *models.Store, log *slog.Logger) {
	purges := []struct {
		name string // what was purged, for the logs
		run  func(context.Context) (int64, error)
	}{
		{"sessions", st.PurgeSessions},
		{"log-in failure counts", st.PurgeLoginFailures},
		{"rate limit counts", st.PurgeRateCounts},
		{"password reset links", st.PurgePasswordResets},
		{"e-mail confirmation links", st.PurgeEmailConfirmations},
		{"expired e-mails", st.DropExpiredMails}, // also without a mail worker (--smtp removed)
		{"erased accounts' follows", st.ForgetErasedFollows},
		{"unattached uploads", st.PurgeUploads},
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, p := range purges {
			if n, err := p.run(ctx); err != nil {
				log.ErrorContext(ctx, "purge "+p.name, "err", err)
			} else if n > 0 {
				log.InfoContext(ctx, "purged "+p.name, "count", n)
			}
		}
	}
}

// checkMintedBaseURL refuses to serve under base a database whose local
// actors' ids were minted under another, non-loopback base URL: those ids
// are permanent, so the instance would answer for none of its accounts.
// Ids minted under a loopback address (a first try on localhost) are let
// through; admin commands warn when they mint them.
func checkMintedBaseURL(ctx context.Context, st *models.Store, base string) error {
	// The first accounts' actors are enough: all ids were minted under one
	// base URL. Read through the accounts' primary key and the actors'
	// account index: a filter on actors (no index on local, nor on an id
	// prefix) read every actor, +48 ms of cold start with 100,000 voters.
	var uris []string
	first := st.DB.NewSelect().TableExpr("accounts").Column("id").OrderExpr("id").Limit(20)
	err := st.DB.NewSelect().TableExpr("actors").Column("uri").Where("account_id IN (?)", first).Scan(ctx, &uris)
	if err != nil {
		return fmt.Errorf("check local ids: %w", err)
	}
	for _, uri := range uris {
		if strings.HasPrefix(uri, base+"/") {
			continue
		}
		u, err := url.Parse(uri)
		if err != nil || u.Hostname() == "localhost" || isLoopback(u.Hostname()) {
			continue
		}
		return usagef("--base-url %s does not match this database: its accounts' ids were minted under %s://%s (%s) and never change; start odn with that base URL", base, u.Scheme, u.Host, uri)
	}
	return nil
}
