package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// uploads.unattached_since is when the hourly purge (models.PurgeUploads)
// first saw the upload shown nowhere (NULL while something points to
// it): its grace runs from there, not from the upload's creation, so a
// file detached today (a deleted document) is not purged within the hour.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		q := "ALTER TABLE uploads ADD COLUMN unattached_since TIMESTAMP"
		if isPG(db) {
			q = replaceTimestamp(q)
		}
		return execAll(ctx, db, q)
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE uploads DROP COLUMN unattached_since")
	})
}
