package migrations

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// E-mail addresses are confirmed by a link before odn mails them
// (models/email_confirm.go). From here on accounts.email holds only a
// confirmed address, the one password reset links and synthesis e-mails
// go to; accounts.pending_email holds an address given at sign-up or in
// the settings until its owner follows the link sent to it. The
// addresses stored before this migration stay in accounts.email: they
// count as confirmed, so that no current member loses their resets.
//
// email_confirmations are the links sent, as password_resets: only the
// SHA-256 of each token is kept, with the address it confirms (a link
// sent to an address since replaced confirms nothing).
//
// accounts_email_lower serves the lookups by address, which compare
// lower(email) (the forgotten password form, its per-address limit).
type emailConfirmation20261208 struct {
	bun.BaseModel `bun:"table:email_confirmations"`
	ID            int64      `bun:",pk,autoincrement"`
	AccountID     int64      `bun:",notnull"`
	Email         string     `bun:",notnull"`
	TokenHash     string     `bun:",notnull,unique"`
	CreatedAt     time.Time  `bun:",notnull"`
	ExpiresAt     time.Time  `bun:",notnull"`
	UsedAt        *time.Time `bun:",nullzero"`
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := execAll(ctx, tx, "ALTER TABLE accounts ADD COLUMN pending_email VARCHAR NOT NULL DEFAULT ''",
				"CREATE INDEX accounts_email_lower ON accounts (lower(email))"); err != nil {
				return err
			}
			if err := createTables(ctx, tx, (*emailConfirmation20261208)(nil)); err != nil {
				return err
			}
			// The limits count an account's and a mailbox's recent links;
			// the purge removes the expired ones.
			return createIndexes(ctx, tx,
				index{name: "email_confirmations_account", table: "email_confirmations", columns: []string{"account_id", "created_at"}},
				index{name: "email_confirmations_created", table: "email_confirmations", columns: []string{"created_at"}},
				index{name: "email_confirmations_expires", table: "email_confirmations", columns: []string{"expires_at"}})
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := dropTables(ctx, tx, (*emailConfirmation20261208)(nil)); err != nil {
				return err
			}
			return execAll(ctx, tx, "DROP INDEX accounts_email_lower", "ALTER TABLE accounts DROP COLUMN pending_email")
		})
	})
}
