package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Debates are listed by consultation (its page, its statistics, and the
// Updates of its polls when its dates change), as proposals and petitions
// are, which have had this index from the start.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return createIndexes(ctx, db, index{name: "debates_consultation", table: "debates", columns: []string{"consultation_id"}})
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "DROP INDEX debates_consultation")
	})
}
