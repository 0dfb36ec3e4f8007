package cli

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/opendemocracynow/odn/federation"
	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web"
)

func init() { wirings = append(wirings, wireFederation) }

// wireFederation plugs the ActivityPub door into the instance: its routes
// and content negotiation (web.Federation), the outbox sink and the remote
// lookup (models), and its workers.
//
// Tuning knobs, read from the environment (tests shorten them):
// ODN_FEDERATION_POLL (worker poll interval, default 2s),
// ODN_FEDERATION_LEASE (job lease, default 2m),
// ODN_FEDERATION_RETRY (a fixed retry delay instead of Mastodon's backoff),
// ODN_FEDERATION_MAX_ATTEMPTS (default 16),
// ODN_FEDERATION_INBOX_RATE (inbox POSTs/s per remote host, default 10; burst 10×).
func wireFederation(_ context.Context, cfg *Config, st *models.Store, log *slog.Logger, ms *metrics.Set, opts *web.Options, a *app) error {
	fo := federation.Options{
		Store: st, Logger: log.With("part", "federation"), Metrics: ms, BaseURL: cfg.BaseURL, Version: a.env.Version,
		DevInsecure: cfg.DevInsecure, AuthorizedFetch: cfg.AuthorizedFetch,
	}
	getenv := a.env.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var err error
	if fo.PollInterval, err = envDuration(getenv, "ODN_FEDERATION_POLL"); err != nil {
		return err
	}
	if fo.Lease, err = envDuration(getenv, "ODN_FEDERATION_LEASE"); err != nil {
		return err
	}
	retry, err := envDuration(getenv, "ODN_FEDERATION_RETRY")
	if err != nil {
		return err
	}
	if retry > 0 {
		fo.Backoff = func(int) time.Duration { return retry }
		fo.BreakerOpen = retry
	}
	// Inbox rate limit per remote host: benchmarks and load tests raise it.
	if v := getenv("ODN_FEDERATION_INBOX_RATE"); v != "" {
		if fo.InboxRate, err = strconv.ParseFloat(v, 64); err != nil || fo.InboxRate <= 0 {
			return usagef("invalid ODN_FEDERATION_INBOX_RATE=%q", v)
		}
		fo.InboxBurst = int(fo.InboxRate) * 10
	}
	if v := getenv("ODN_FEDERATION_MAX_ATTEMPTS"); v != "" {
		if fo.MaxAttempts, err = strconv.Atoi(v); err != nil || fo.MaxAttempts < 1 {
			return usagef("invalid ODN_FEDERATION_MAX_ATTEMPTS=%q", v)
		}
	}
	svc, err := federation.New(fo)
	if err != nil {
		return err
	}
	opts.Federation = svc
	st.SetEvents(svc)
	st.SetResolver(svc)
	a.workers = append(a.workers, svc.Workers()...)
	return nil
}

func envDuration(getenv func(string) string, name string) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, usagef("invalid %s=%q: use a duration such as 500ms", name, v)
	}
	return d, nil
}
