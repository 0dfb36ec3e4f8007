package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A member may show an avatar: accounts.avatar_id is the upload holding
// it (an image sent from the account page, stored with no space), and the
// actor's icon_url and the new icon_media_type are what the Person actor
// document's icon says, so that followers' servers show it. Erasing the
// account deletes the upload and empties all three.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db,
			"ALTER TABLE accounts ADD COLUMN avatar_id BIGINT",
			"ALTER TABLE actors ADD COLUMN icon_media_type VARCHAR NOT NULL DEFAULT ''")
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db,
			"ALTER TABLE actors DROP COLUMN icon_media_type",
			"ALTER TABLE accounts DROP COLUMN avatar_id")
	})
}
