package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Request counts of the rate limits shared by every node of a PostgreSQL
// deployment (models/rate_count_store.go): per limiter, hashed key and
// window; SQLite has the table too (one schema), unused by the server.
type rateCount20261213 struct {
	bun.BaseModel `bun:"table:rate_counts"`
	Limiter       string `bun:",pk"`
	KeyHash       string `bun:",pk"`
	WindowStart   int64  `bun:",pk"`
	Hits          int    `bun:",notnull"`
	Expires       int64  `bun:",notnull"`
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		if err := createTables(ctx, db, (*rateCount20261213)(nil)); err != nil {
			return err
		}
		return createIndexes(ctx, db, index{name: "rate_counts_expires", table: "rate_counts", columns: []string{"expires"}})
	}, func(ctx context.Context, db *bun.DB) error {
		return dropTables(ctx, db, (*rateCount20261213)(nil))
	})
}
