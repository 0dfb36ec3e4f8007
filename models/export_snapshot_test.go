package models

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"
)

// TestExportSnapshot: on a SQLite file an export reads one snapshot: a
// row committed by another connection while it runs is not seen by it,
// and that writer is not blocked by it.
func TestExportSnapshot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := migratedSQLite(ctx, t)
	count := func(db bun.IDB) int {
		n, err := db.NewSelect().Table("settings").Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	before := count(s.DB)
	err := s.snapshot(ctx, func(ctx context.Context, db bun.IDB) error {
		if got := count(db); got != before {
			t.Errorf("snapshot sees %d settings, want %d", got, before)
		}
		if _, err := s.DB.NewInsert().Model(&map[string]any{"key": "snapshot.test", "value": "1"}).TableExpr("settings").Exec(ctx); err != nil {
			t.Fatalf("a writer during the export: %v", err)
		}
		if got := count(db); got != before {
			t.Errorf("the export saw a row committed after it began: %d settings, want %d", got, before)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := count(s.DB); got != before+1 {
		t.Errorf("after the export: %d settings, want %d", got, before+1)
	}
	// The connection went back to the pool outside any transaction: a
	// write on every pooled connection still works.
	for range 8 {
		if _, err := s.DB.ExecContext(ctx, "UPDATE settings SET value = value WHERE key = 'snapshot.test'"); err != nil {
			t.Fatal(err)
		}
	}
}

// migratedSQLite is a store on a new SQLite file, migrated, closed when
// the test ends.
func migratedSQLite(ctx context.Context, t *testing.T) *Store {
	t.Helper()
	s, err := Open(ctx, "sqlite://"+t.TempDir()+"/odn.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}
