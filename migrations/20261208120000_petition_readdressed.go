package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A petition's addressee may leave office (no longer a decision-maker),
// be disabled or erase their account: the petition could then never be
// answered. A moderator may re-address it to another verified
// decision-maker (models.Store.ReaddressPetition); petitions.readdressed_at
// is when that last happened (NULL: never), shown on the petition's page.
// It names no one: the old and new addressees are in the audit log.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		at := "ALTER TABLE petitions ADD COLUMN readdressed_at TIMESTAMP"
		if isPG(db) {
			at = replaceTimestamp(at)
		}
		return execAll(ctx, db, at)
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE petitions DROP COLUMN readdressed_at")
	})
}
