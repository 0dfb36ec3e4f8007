package migrations

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Password reset links (models/password_reset.go): only the SHA-256 of
// the token sent by e-mail is kept; a link is valid an hour, once.
type passwordReset20261208 struct {
	bun.BaseModel `bun:"table:password_resets"`
	ID            int64      `bun:",pk,autoincrement"`
	AccountID     int64      `bun:",notnull"`
	TokenHash     string     `bun:",notnull,unique"`
	CreatedAt     time.Time  `bun:",notnull"`
	ExpiresAt     time.Time  `bun:",notnull"`
	UsedAt        *time.Time `bun:",nullzero"`
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		if err := createTables(ctx, db, (*passwordReset20261208)(nil)); err != nil {
			return err
		}
		// The rate limit counts an account's recent links; the purge
		// removes the expired ones.
		return createIndexes(ctx, db,
			index{name: "password_resets_account", table: "password_resets", columns: []string{"account_id", "created_at"}},
			index{name: "password_resets_expires", table: "password_resets", columns: []string{"expires_at"}})
	}, func(ctx context.Context, db *bun.DB) error {
		return dropTables(ctx, db, (*passwordReset20261208)(nil))
	})
}
