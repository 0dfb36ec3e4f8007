package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// Dialect names accepted by Open and DSN: those of models.Dialect.
const (
	sqliteName   = string(models.SQLite)   // "sqlite"
	postgresName = string(models.Postgres) // "postgres"
)

// Dialects lists the dialects Each and EachDSN run, in order.
var Dialects = []string{sqliteName, postgresName}

// setupTimeout bounds creating, opening and migrating one database.
const setupTimeout = 2 * time.Minute

// Target is one fresh, empty database.
type Target struct {
	Dialect string // "sqlite" or "postgres"
	DSN     string // for models.Open
}

// Strict reports whether ODN_TEST_STRICT asks that suites never be skipped.
func Strict() bool {
	switch strings.ToLower(os.Getenv("ODN_TEST_STRICT")) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

// Each runs fn as the subtests "sqlite" and "postgres", each on a fresh,
// migrated store that is closed (and its database dropped) when the
// subtest ends. The postgres subtest skips when ODN_TEST_PG is unset
// (fails under ODN_TEST_STRICT=1). opts come after dbtest's defaults
// (the test key generator), so they may override them.
func Each(t *testing.T, fn func(t *testing.T, s *models.Store), opts ...models.Option) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			fn(t, Open(t, d, opts...))
		})
	}
}

// EachDSN runs fn as the subtests "sqlite" and "postgres", each with the
// DSN of a fresh, empty (unmigrated) database; for migration tests and
// tests of models.Open itself. Skip rules are those of Each.
func EachDSN(t *testing.T, fn func(t *testing.T, dialect, dsn string)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			fn(t, d, DSN(t, d))
		})
	}
}

// DSNs returns a fresh, empty database per available dialect, removed when
// t ends. Without ODN_TEST_PG it returns only SQLite and logs why (under
// ODN_TEST_STRICT=1 it fails t instead). Prefer EachDSN, whose postgres
// subtest reports a SKIP.
func DSNs(t *testing.T) []Target {
	t.Helper()
	out := []Target{{Dialect: sqliteName, DSN: SQLiteDSN(t)}}
	if os.Getenv("ODN_TEST_PG") == "" {
		if Strict() {
			t.Fatal(strictPGMessage)
		}
		t.Log(noPGMessage)
		return out
	}
	return append(out, Target{Dialect: postgresName, DSN: PostgresDSN(t)})
}

// DSN returns the DSN of a fresh, empty database of the given dialect,
// removed when t ends.
func DSN(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case sqliteName:
		return SQLiteDSN(t)
	case postgresName, "postgresql":
		return PostgresDSN(t)
	}
	t.Fatalf("dbtest: unknown dialect %q (want %q or %q)", dialect, sqliteName, postgresName)
	return ""
}

// Open returns a fresh, migrated store of the given dialect ("sqlite" or
// "postgres"), closed when t ends. It uses the test key generator and
// fast password hashing; opts are applied after them.
func Open(t testing.TB, dialect string, opts ...models.Option) *models.Store {
	t.Helper()
	var dsn string
	if dialect == postgresName || dialect == "postgresql" {
		dsn = postgresMigratedDSN(t) // a copy of a migrated template: fast
	} else {
		dsn = DSN(t, dialect)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	all := append([]models.Option{models.WithKeyGenerator(KeyGen()), models.WithFastPasswordHashing()}, opts...)
	s, err := models.Open(ctx, dsn, all...)
	if err != nil {
		t.Fatalf("dbtest: open %s: %v", dialect, err)
	}
	// Registered after DSN's cleanup, so it runs first: the store closes
	// before its file or database is removed.
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("dbtest: close %s store: %v", dialect, err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("dbtest: migrate %s: %v", dialect, err)
	}
	return s
}

// SQLite returns a fresh, migrated store on a temp-file SQLite database.
func SQLite(t testing.TB, opts ...models.Option) *models.Store {
	t.Helper()
	return Open(t, sqliteName, opts...)
}

// PostgreSQL returns a fresh, migrated store on a database of its own,
// skipping (or failing, under ODN_TEST_STRICT=1) without ODN_TEST_PG.
func PostgreSQL(t testing.TB, opts ...models.Option) *models.Store {
	t.Helper()
	return Open(t, postgresName, opts...)
}

// SQLiteDSN returns the DSN of a new SQLite database file in a temp dir
// removed when t ends. A file, not memory, so WAL, locking and
// concurrency behave as in production.
func SQLiteDSN(t testing.TB) string {
	t.Helper()
	return "sqlite://" + filepath.Join(t.TempDir(), "odn.db")
}

// SQLiteMemoryDSN returns the DSN of a new, uniquely named in-memory SQLite
// database. It lives as long as one connection to it stays open: faster
// than a file, but without WAL; prefer SQLiteDSN unless speed matters.
func SQLiteMemoryDSN(t testing.TB) string {
	t.Helper()
	return "sqlite://file:odn_" + randomName(t) + "?mode=memory&cache=shared"
}

// randomName returns 12 random lower-case hex digits, safe in identifiers
// and file names.
func randomName(t testing.TB) string {
	s, err := randomHex()
	if err != nil {
		t.Fatalf("dbtest: random: %v", err)
	}
	return s
}

func randomHex() (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
