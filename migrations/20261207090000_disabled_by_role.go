package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A moderator could re-enable a member an administrator had disabled.
// Each account now records the role that disabled it (models.SetDisabled):
// "moderator", or "admin" for an administrator and for the operator's
// command line; empty while the account is enabled. A moderator may only
// undo a moderator's disabling.
//
// Who disabled the accounts disabled before this migration is not known
// for sure: the audit log names the account that did it but not the role
// it had then. They are recorded as disabled by an administrator, the
// conservative choice: at worst an administrator is asked to re-enable
// one, where guessing "moderator" could let a moderator undo an
// administrator's decision.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return execAll(ctx, tx,
				"ALTER TABLE accounts ADD COLUMN disabled_by_role VARCHAR NOT NULL DEFAULT ''",
				"UPDATE accounts SET disabled_by_role = 'admin' WHERE disabled")
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE accounts DROP COLUMN disabled_by_role")
	})
}
