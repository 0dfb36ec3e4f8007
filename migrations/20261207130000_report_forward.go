package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A member's report of another server's content is forwarded to that
// server only when the member asks for it ("Forward to <server>?", as
// Mastodon asks): each report records the choice. Reports filed before
// this migration were forwarded when filed, whoever asked; they are
// recorded as not to forward, which changes nothing for them (a report
// is forwarded once, when filed) and is the privacy-minded default.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE reports ADD COLUMN forward BOOLEAN NOT NULL DEFAULT FALSE")
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE reports DROP COLUMN forward")
	})
}
