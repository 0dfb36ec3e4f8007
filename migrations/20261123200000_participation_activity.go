package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A received vote is looked up by its Note's id or its activity's id
// (uri = ? OR activity_uri = ?): the replay check of every remote vote,
// and the Undo or Delete of one. Only uri had an index, so SQLite read
// every participation row for each lookup: 3,000 remote votes in a row
// took ~360 µs each for the check, growing with the table.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return createIndexes(ctx, db,
			index{name: "participations_activity", table: "participations", columns: []string{"activity_uri"}},
		)
	}, func(ctx context.Context, db *bun.DB) error {
		_, err := db.NewDropIndex().Index("participations_activity").IfExists().Exec(ctx)
		return err
	})
}
