package migrations

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Frozen copy of the civic federation (publish side) table as first shipped.

// civicCountUpdate is a pending Update{Note|Question} carrying new counts
// (supports, signatures, poll results) of one local object: at most one
// per object is sent per batching window, and a restart loses nothing.
// due_at NULL means nothing is pending; requested_at is the last change
// asked for, so a change arriving while an Update is being built is not
// lost; sent_at is the last Update sent.
type civicCountUpdate struct {
	bun.BaseModel `bun:"table:civic_count_updates"`
	ObjectType    string     `bun:",pk"`
	ObjectID      int64      `bun:",pk"`
	DueAt         *time.Time `bun:",nullzero"`
	RequestedAt   time.Time  `bun:",notnull"`
	SentAt        *time.Time `bun:",nullzero"`
	ClaimedBy     string     `bun:",notnull,default:''"`
	ClaimedUntil  *time.Time `bun:",nullzero"`
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := createTables(ctx, tx, (*civicCountUpdate)(nil)); err != nil {
				return err
			}
			return createIndexes(ctx, tx,
				index{name: "civic_count_updates_due", table: "civic_count_updates", columns: []string{"due_at"}, where: "due_at IS NOT NULL"},
			)
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return dropTables(ctx, db, (*civicCountUpdate)(nil))
	})
}
