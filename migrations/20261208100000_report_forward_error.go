package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A failed forward said only "not received": moderators could not tell a
// server that refused the report from one that was down, a domain they
// blocked, or content gone since. reports.forward_error keeps why, as a
// code (models.ForwardError…), empty while queued, delivered or never
// sent. Forwards that failed before this migration keep it empty: the
// reason is not known (the dead letters page may still show it).
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		_, err := db.ExecContext(ctx, "ALTER TABLE reports ADD COLUMN forward_error TEXT NOT NULL DEFAULT ''")
		return err
	}, func(ctx context.Context, db *bun.DB) error {
		_, err := db.ExecContext(ctx, "ALTER TABLE reports DROP COLUMN forward_error")
		return err
	})
}
