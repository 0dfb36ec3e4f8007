package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// accounts.settings_version counts the changes of an account's private
// settings (its language, the notification digest), so that the
// settings form, which sends back the version it was opened at, is
// refused when they were changed since (another window, the API) rather
// than silently undoing that change.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE accounts ADD COLUMN settings_version BIGINT NOT NULL DEFAULT 1")
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE accounts DROP COLUMN settings_version")
	})
}
