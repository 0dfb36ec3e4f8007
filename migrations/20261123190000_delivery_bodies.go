package migrations

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// A new proposal in a space with 10,000 followers on 500 servers is 500
// delivery jobs of the same activity: each kept its own 2 KB copy of the
// body (1 MB written, then read back by every claim). delivery_bodies
// holds one copy per activity; a job points at it with body_id. Jobs
// queued before keep their inline body. (No foreign key: SQLite cannot
// drop a column that has one; models deletes a body only once no job
// points at it.)
type deliveryBody struct {
	bun.BaseModel `bun:"table:delivery_bodies"`
	ID            int64     `bun:",pk,autoincrement"`
	Body          string    `bun:",notnull"`
	CreatedAt     time.Time `bun:",notnull"`
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := createTables(ctx, tx, (*deliveryBody)(nil)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "ALTER TABLE deliveries ADD COLUMN body_id BIGINT"); err != nil {
				return err
			}
			return createIndexes(ctx, tx, index{name: "deliveries_body", table: "deliveries", columns: []string{"body_id"}})
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := execAll(ctx, tx,
				"UPDATE deliveries SET body = (SELECT b.body FROM delivery_bodies AS b WHERE b.id = deliveries.body_id) WHERE body_id IS NOT NULL",
				"DROP INDEX IF EXISTS deliveries_body",
				"ALTER TABLE deliveries DROP COLUMN body_id",
			); err != nil {
				return err
			}
			return dropTables(ctx, tx, (*deliveryBody)(nil))
		})
	})
}
