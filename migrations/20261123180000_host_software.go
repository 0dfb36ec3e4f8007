package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A space announces new content to its followers in the form their server
// uses: Mastodon and other microblogs show Announce{Note} and ignore
// Announce{Create}; group-aware servers (FEP-1b12: odn, Lemmy…) want
// Announce{Create}. remote_hosts keeps each peer's NodeInfo software name
// (empty while unknown: both announces go) and when it was last asked.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, q := range []string{
				"ALTER TABLE remote_hosts ADD COLUMN software VARCHAR NOT NULL DEFAULT ''",
				"ALTER TABLE remote_hosts ADD COLUMN software_checked_at TIMESTAMP",
			} {
				if isPG(tx) {
					q = replaceTimestamp(q)
				}
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return execAll(ctx, tx, "ALTER TABLE remote_hosts DROP COLUMN software_checked_at", "ALTER TABLE remote_hosts DROP COLUMN software")
		})
	})
}
