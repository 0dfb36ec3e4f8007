package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// The delivery worker's claim (state = 'pending' AND next_attempt_at <= now
// ORDER BY next_attempt_at, id) was planned on SQLite with deliveries_state
// (state, host): every pending row read, bodies included, then sorted. With
// (state, next_attempt_at) it reads the due rows in order and stops at the
// limit: 8 ms → 0.8 ms per claim with 1,500 pending jobs.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return createIndexes(ctx, db,
			index{name: "deliveries_claim", table: "deliveries", columns: []string{"state", "next_attempt_at"}},
		)
	}, func(ctx context.Context, db *bun.DB) error {
		_, err := db.NewDropIndex().Index("deliveries_claim").IfExists().Exec(ctx)
		return err
	})
}
