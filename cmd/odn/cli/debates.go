package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web"
)

// settleEvery is how often passed opening and closing dates of debates
// are recorded (with their events and notifications). Votes and pages
// never wait for it: they compute the phase themselves.
const settleEvery = time.Minute

func init() { wirings = append(wirings, wireDebates) }

func wireDebates(_ context.Context, _ *Config, st *models.Store, log *slog.Logger, _ *metrics.Set, _ *web.Options, a *app) error {
	a.workers = append(a.workers, func(ctx context.Context) { settleDebates(ctx, st, log) })
	return nil
}

func settleDebates(ctx context.Context, st *models.Store, log *slog.Logger) {
	t := time.NewTicker(settleEvery)
	defer t.Stop()
	for {
		if n, err := st.SettleDebates(ctx); err != nil && ctx.Err() == nil {
			log.ErrorContext(ctx, "settle debates", "err", err)
		} else if n > 0 {
			log.InfoContext(ctx, "settled debates", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
