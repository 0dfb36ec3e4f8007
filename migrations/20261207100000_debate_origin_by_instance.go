package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A copy of a remote debate keeps the origin's voters per instance
// (odn:byInstance) as of its last Update: its results per instance then
// add up to its total, as the origin's do. NULL on local debates and on
// copies whose origin does not publish it (Mastodon polls).
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE debates ADD COLUMN origin_by_instance VARCHAR")
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE debates DROP COLUMN origin_by_instance")
	})
}
