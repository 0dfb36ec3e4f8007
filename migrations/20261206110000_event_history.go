package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Processed events are purged after a week (models.PurgeEvents) except
// proposal answers, the history a later answer of the same proposal
// reads (models.EarlierEvents: was it answered before?). That read had
// no index and scanned the whole table; a partial index holds the
// answers only, so the events of every vote do not pay for it.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return createIndexes(ctx, db, index{name: "events_answers", table: "events",
			columns: []string{"object_type", "object_id"}, where: "kind = 'proposal.answered'"})
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "DROP INDEX IF EXISTS events_answers")
	})
}
