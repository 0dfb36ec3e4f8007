package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// accounts_digest_due serves the outbox worker's query of the accounts
// whose notification digest is due (models.QueueNotificationDigests,
// every minute on every node): of the accounts that turned the digest on
// (a few), those whose last digest is a day old or more, or that never
// had one, found by digest_sent_at instead of by reading every account.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return createIndexes(ctx, db, index{name: "accounts_digest_due", table: "accounts", columns: []string{"id", "digest_sent_at"}, where: "email_digest = TRUE"})
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "DROP INDEX IF EXISTS accounts_digest_due")
	})
}
