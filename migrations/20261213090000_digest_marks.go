package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// notifications.digested_at is when a notification was told in an
// e-mail digest (NULL: not yet), so that each digest tells exactly the
// unread notifications no digest told, whenever they were committed:
// a digest window bounded by times alone missed a notification created
// in the same clock tick as the digest, after its query, or committed
// after it with an earlier time. accounts.digest_from is the earliest
// creation time the account's next digest looks at (NULL: a day before
// it, for the first), so that notifications older than the first
// digest's day are never told.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		qs := []string{
			"ALTER TABLE notifications ADD COLUMN digested_at TIMESTAMP",
			"ALTER TABLE accounts ADD COLUMN digest_from TIMESTAMP",
		}
		if isPG(db) {
			for i := range qs {
				qs[i] = replaceTimestamp(qs[i])
			}
		}
		return execAll(ctx, db, qs...)
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE accounts DROP COLUMN digest_from", "ALTER TABLE notifications DROP COLUMN digested_at")
	})
}
