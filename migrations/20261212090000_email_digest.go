package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// accounts.email_digest is a member's choice to receive their unread
// notifications by e-mail once a day (off unless they turn it on);
// accounts.digest_sent_at is when the last digest was queued (NULL:
// never), which spaces them a day apart and marks which notifications
// the next one tells.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		ts := "ALTER TABLE accounts ADD COLUMN digest_sent_at TIMESTAMP"
		if isPG(db) {
			ts = replaceTimestamp(ts)
		}
		return execAll(ctx, db, "ALTER TABLE accounts ADD COLUMN email_digest BOOLEAN NOT NULL DEFAULT FALSE", ts)
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE accounts DROP COLUMN digest_sent_at", "ALTER TABLE accounts DROP COLUMN email_digest")
	})
}
