// Package migrations holds odn's schema history as bun Go migrations,
// embedded in the binary and applied at start and by `odn migrate`.
//
// Each file keeps frozen copies of the structs it creates (never the
// models types, which move on), is never edited once shipped, and switches
// on dialect inside the file where the SQL differs. It imports nothing
// from odn.
package migrations

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

// Migrations is the ordered set of odn migrations; files register
// themselves in init, named after their timestamped file name.
var Migrations = migrate.NewMigrations()

// createTables creates each model's table with its foreign keys.
func createTables(ctx context.Context, db bun.IDB, models ...any) error {
	for _, m := range models {
		if _, err := db.NewCreateTable().Model(m).WithForeignKeys().Exec(ctx); err != nil {
			return fmt.Errorf("create table %T: %w", m, err)
		}
	}
	return nil
}

// dropTables drops tables in reverse order of creation.
func dropTables(ctx context.Context, db bun.IDB, models ...any) error {
	for i := len(models) - 1; i >= 0; i-- {
		if _, err := db.NewDropTable().Model(models[i]).IfExists().Exec(ctx); err != nil {
			return fmt.Errorf("drop table %T: %w", models[i], err)
		}
	}
	return nil
}

// index is one CREATE INDEX statement.
type index struct {
	name, table string
	unique      bool
	columns     []string
	where       string
}

func createIndexes(ctx context.Context, db bun.IDB, idx ...index) error {
	for _, i := range idx {
		q := db.NewCreateIndex().Table(i.table).Index(i.name).Column(i.columns...)
		if i.unique {
			q = q.Unique()
		}
		if i.where != "" {
			q = q.Where(i.where)
		}
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("create index %s: %w", i.name, err)
		}
	}
	return nil
}

// isPG reports whether db talks to PostgreSQL.
func isPG(db bun.IDB) bool { return db.Dialect().Name() == dialect.PG }

// execAll runs statements in order, stopping at the first error.
func execAll(ctx context.Context, db bun.IDB, qs ...string) error {
	for _, q := range qs {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%.60s…: %w", q, err)
		}
	}
	return nil
}
