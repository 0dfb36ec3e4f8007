package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A report a moderator forwards later carries the moderator's own message
// to the other server, never the reporter's words: the reporter did not
// choose to send them (models.ForwardReport). Empty when none was written
// and for reports the reporter forwarded.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE reports ADD COLUMN forward_comment TEXT NOT NULL DEFAULT ''")
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE reports DROP COLUMN forward_comment")
	})
}
