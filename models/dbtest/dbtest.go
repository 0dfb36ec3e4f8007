package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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
	dsn := DSN(t, dialect)
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

const (
	noPGMessage = "dbtest: ODN_TEST_PG is unset: PostgreSQL store tests are SKIPPED " +
		"(run `make test`, which starts a throwaway server, or set ODN_TEST_PG=postgres://…)"
	strictPGMessage = "dbtest: ODN_TEST_PG is unset and ODN_TEST_STRICT forbids skipping the PostgreSQL store tests " +
		"(run `make test`, which starts a throwaway server, or set ODN_TEST_PG=postgres://…)"
)

// PostgresDSN creates a database of its own on the ODN_TEST_PG server and
// returns its DSN; the database is dropped (WITH (FORCE), closing
// leftover connections) when t ends. Without ODN_TEST_PG it skips t, or
// fails it under ODN_TEST_STRICT=1.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("ODN_TEST_PG")
	if admin == "" {
		if Strict() {
			t.Fatal(strictPGMessage)
		}
		t.Skip(noPGMessage)
	}
	name := "odn_t_" + randomName(t)
	dsn, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("dbtest: ODN_TEST_PG: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := pgExec(ctx, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("dbtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// t.Context() is already done here: use a context of our own.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		q := "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"
		if err := pgExec(ctx, admin, q); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return dsn
}

// withDatabase returns the URL DSN admin pointed at database name.
func withDatabase(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		// Never echo the value: it may hold a password.
		return "", fmt.Errorf("want a URL such as postgres://odn@127.0.0.1:5432/odn?sslmode=disable")
	}
	u.Scheme = "postgres" // what models.Open recognises first
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// pgExec runs one statement on a short-lived connection to dsn.
func pgExec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect to ODN_TEST_PG: %w", err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// randomName returns 12 random lower-case hex digits, safe in identifiers
// and file names.
func randomName(t testing.TB) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("dbtest: random: %v", err)
	}
	return hex.EncodeToString(b[:])
}
