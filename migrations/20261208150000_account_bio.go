package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A member edits their profile on the account page: the display name is
// the actor's name, the bio's sanitised HTML its summary (both public and
// federated), and accounts.bio keeps the bio's Markdown source, so that
// the form shows what the member wrote and not HTML. Erasing the account
// empties it with the rest of the profile.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE accounts ADD COLUMN bio VARCHAR NOT NULL DEFAULT ''")
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE accounts DROP COLUMN bio")
	})
}
