package migrations

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Wrong passwords counted per user name (models/login_throttle.go), in
// the database so that every node of a deployment shares the count.
type loginFailure20261206 struct {
	bun.BaseModel `bun:"table:login_failures"`
	Name          string    `bun:",pk"`
	Failures      int       `bun:",notnull"`
	WindowStart   time.Time `bun:",notnull"`
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return createTables(ctx, db, (*loginFailure20261206)(nil))
	}, func(ctx context.Context, db *bun.DB) error {
		return dropTables(ctx, db, (*loginFailure20261206)(nil))
	})
}
