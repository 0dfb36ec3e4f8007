package dbtest_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

func TestEachOpensMigratedStores(t *testing.T) {
	seen := map[string]bool{}
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		seen[string(s.Dialect)] = true
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("ping: %v", err)
		}
		// Migrate again: must be a no-op on a migrated database.
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
	})
	if !seen["sqlite"] {
		t.Error("sqlite subtest did not run")
	}
}

func TestSQLiteIsAFileWithWAL(t *testing.T) {
	s := dbtest.SQLite(t)
	var mode string
	if err := s.DB.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}

func TestSQLiteMemoryDSN(t *testing.T) {
	a, b := dbtest.SQLiteMemoryDSN(t), dbtest.SQLiteMemoryDSN(t)
	if a == b || !strings.HasPrefix(a, "sqlite://file:") || !strings.Contains(a, "mode=memory") {
		t.Fatalf("memory DSNs %q, %q", a, b)
	}
	s, err := models.Open(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestPostgresDatabaseIsDroppedAfterTheTest(t *testing.T) {
	var dsn string
	t.Run("inner", func(t *testing.T) {
		dsn = dbtest.PostgresDSN(t)
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		// A connection left open must not stop the drop.
		_ = conn
	})
	if dsn == "" {
		t.Skip("inner test skipped")
	}
	name := dsn[strings.LastIndex(dsn, "/")+1:]
	name, _, _ = strings.Cut(name, "?")
	if !strings.HasPrefix(name, "odn_t_") {
		t.Fatalf("database name %q", name)
	}
	conn, err := pgx.Connect(t.Context(), os.Getenv("ODN_TEST_PG"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after its test", name)
	}
}

func TestDSNsAreFresh(t *testing.T) {
	a, b := dbtest.DSNs(t), dbtest.DSNs(t)
	for i := range a {
		if a[i].DSN == b[i].DSN {
			t.Errorf("%s: DSN reused: %s", a[i].Dialect, a[i].DSN)
		}
	}
}

func TestKeyGenRoundRobin(t *testing.T) {
	pool := dbtest.TestKeys()
	if len(pool) < 2 {
		t.Fatalf("pool of %d keys", len(pool))
	}
	gen := dbtest.KeyGen()
	seen := map[any]int{}
	for range 2 * len(pool) {
		k, err := gen()
		if err != nil {
			t.Fatal(err)
		}
		if k.N.BitLen() != 2048 {
			t.Fatalf("key of %d bits", k.N.BitLen())
		}
		if err := k.Validate(); err != nil {
			t.Fatal(err)
		}
		seen[k]++
	}
	if len(seen) != len(pool) {
		t.Errorf("handed out %d distinct keys, want %d", len(seen), len(pool))
	}
}

func TestPostgresStoresAreSeparateCopies(t *testing.T) {
	a, b := dbtest.PostgreSQL(t), dbtest.PostgreSQL(t)
	var da, db string
	if err := a.DB.QueryRowContext(t.Context(), "SELECT current_database()").Scan(&da); err != nil {
		t.Fatal(err)
	}
	if err := b.DB.QueryRowContext(t.Context(), "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	if da == db || !strings.HasPrefix(da, "odn_t_") {
		t.Errorf("databases %q and %q", da, db)
	}
	// Both are migrated: the migrations table lists the same rows.
	var na, nb int
	if err := a.DB.QueryRowContext(t.Context(), "SELECT count(*) FROM bun_migrations").Scan(&na); err != nil {
		t.Fatal(err)
	}
	if err := b.DB.QueryRowContext(t.Context(), "SELECT count(*) FROM bun_migrations").Scan(&nb); err != nil {
		t.Fatal(err)
	}
	if na == 0 || na != nb {
		t.Errorf("migrations applied: %d and %d", na, nb)
	}
}
