package models

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/migrate"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/opendemocracynow/odn/migrations"
)

// Dialect names the database engine behind a Store.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is odn's database: every read and write of domain data goes
// through it. It is safe for concurrent use.
type Store struct {
	DB      *bun.DB
	Dialect Dialect
	// URLs mints the ActivityPub ids of local objects.
	URLs URLs

	now    func() time.Time
	keyGen func() (*rsa.PrivateKey, error)
	argon  *argon2id.Params
	events EventSink
	// dataDir holds uploaded files (WithDataDir, upload.go); empty refuses uploads.
	dataDir string
	// votes batches ballot changes and throttles debate.results (vote_batch.go).
	votes voteRuntime
	// inboxBatch commits received activities together (inbox.go).
	inboxBatch groupQueue[*pendingInboxItem]
	// hotSQL are the hot-path queries with placeholders (hot_store.go).
	hotSQL hotQueries
	// walFile is a SQLite file database in WAL mode, where a deferred
	// read transaction is a cheap snapshot (export_store.go).
	walFile bool
	// instanceName is WithInstanceName's; nameCache keeps InstanceName.
	instanceName string
	nameCache    atomic.Pointer[cachedName]
}

// Option configures a Store.
type Option func(*Store)

// WithClock replaces time.Now, for tests with a fake clock.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithKeyGenerator replaces RSA key generation, so tests can hand out
// pre-made keys instead of paying ~100 ms per actor.
func WithKeyGenerator(gen func() (*rsa.PrivateKey, error)) Option {
	return func(s *Store) { s.keyGen = gen }
}

// WithBaseURL sets the public base URL (scheme://host[:port]) from which
// local ids are minted.
func WithBaseURL(base string) Option {
	return func(s *Store) { s.URLs = URLs{Base: strings.TrimRight(base, "/")} }
}

// WithInstanceName sets the display name used when the instance_name
// setting is unset (odn serve --instance-name).
func WithInstanceName(name string) Option {
	return func(s *Store) { s.instanceName = strings.TrimSpace(name) }
}

// WithFastPasswordHashing lowers argon2id's cost to a minimum, for tests
// that create many accounts. Never use it in production.
func WithFastPasswordHashing() Option {
	return func(s *Store) {
		s.argon = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	}
}

// WithEvents sets the sink that receives domain events (federation
// delivery, notifications).
func WithEvents(sink EventSink) Option { return func(s *Store) { s.events = sink } }

// Now is the store's clock, truncated to microseconds so that values
// round-trip identically through SQLite and PostgreSQL.
func (s *Store) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// SetEvents sets the event sink after construction; cmd/odn wires the
// federation outbox here once both sides exist.
func (s *Store) SetEvents(sink EventSink) { s.events = sink }

// Open connects to the database named by dsn: "sqlite://PATH" (a file,
// created if missing), "sqlite://file:NAME?mode=memory&cache=shared", or
// "postgres://…". It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	s := &Store{URLs: URLs{Base: "http://localhost:8080"}, now: time.Now, argon: argonParams, keyGen: func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) }}
	for _, o := range opts {
		o(s)
	}
	switch {
	case strings.HasPrefix(dsn, "sqlite://"), strings.HasPrefix(dsn, "sqlite:"):
		db, err := openSQLite(strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//"))
		if err != nil {
			return nil, err
		}
		s.DB, s.Dialect = bun.NewDB(db, sqlitedialect.New()), SQLite
		s.walFile = !strings.Contains(dsn, "mode=memory")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		// pgx's default exec mode, cache_statement (each statement prepared
		// once per connection), measured best against exec,
		// simple_protocol and cache_describe (docs/BENCHMARKS.md, "pgx
		// exec modes"): the hot statements are written with $n
		// placeholders (hot_store.go), so they stay prepared. A DSN may
		// still choose another with default_query_exec_mode.
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.SetMaxOpenConns(4 * runtime.GOMAXPROCS(0))
		db.SetMaxIdleConns(4 * runtime.GOMAXPROCS(0))
		db.SetConnMaxIdleTime(5 * time.Minute)
		s.DB, s.Dialect = bun.NewDB(db, pgdialect.New()), Postgres
	default:
		return nil, fmt.Errorf("unsupported database URL %q: use sqlite://PATH or postgres://…", redactDSN(dsn))
	}
	if err := s.DB.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to %s: %w", s.Dialect, err)
	}
	return s, nil
}

// openSQLite opens a pure-Go SQLite database with WAL, a busy timeout,
// foreign keys and immediate write transactions (BEGIN IMMEDIATE avoids the
// deadlock-prone lock upgrade of deferred transactions).
func openSQLite(path string) (*sql.DB, error) {
	memory := strings.Contains(path, "mode=memory")
	if !memory {
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("create database directory: %w", err)
			}
		}
	}
	base, query, _ := strings.Cut(path, "?")
	if !strings.HasPrefix(base, "file:") {
		base = "file:" + base
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("sqlite URL: %w", err)
	}
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	if !memory {
		// Checkpoints run in the background (sqlite_checkpoint.go).
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "wal_autocheckpoint(0)")
	}
	q.Set("_txlock", "immediate")
	conn, err := newWriteSerialConnector(base+"?"+q.Encode(), base)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	db := sql.OpenDB(conn)
	registerDataVersion(db, conn)
	if !memory {
		startCheckpointer(db, conn)
	}
	// One writer at a time is SQLite's rule; a few connections let WAL
	// readers proceed while a write is in flight.
	db.SetMaxOpenConns(max(4, 2*runtime.GOMAXPROCS(0)))
	db.SetMaxIdleConns(max(4, 2*runtime.GOMAXPROCS(0)))
	db.SetConnMaxLifetime(0)
	return db, nil
}

// redactDSN hides a password in a database URL before it reaches a message.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}

// Close releases the database.
func (s *Store) Close() error {
	closeDataVersion(s.DB.DB)
	stopCheckpointer(s.DB.DB)
	return s.DB.Close()
}

// Ping checks that the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error { return s.DB.PingContext(ctx) }

// Migrator returns bun's migrator over odn's embedded migrations.
func (s *Store) Migrator() *migrate.Migrator {
	return migrate.NewMigrator(s.DB, migrations.Migrations, migrate.WithMarkAppliedOnSuccess(true))
}

// MigrateLockTimeout bounds how long Migrate (and `odn migrate down`)
// wait on SQLite for another odn to finish migrating before giving up.
// Tests shorten it.
var MigrateLockTimeout = 60 * time.Second

// migrateLockRetry is how often a held SQLite migration lock is retried.
const migrateLockRetry = 200 * time.Millisecond

// migrateAdvisoryKey is the PostgreSQL advisory lock that serialises odn
// migrations within one database ("odn-migr" in ASCII).
const migrateAdvisoryKey int64 = 0x6f646e2d6d696772

// ErrMigrationLocked reports that the SQLite migration lock stayed held for
// MigrateLockTimeout.
var ErrMigrationLocked = errors.New("the migration lock is held: another odn is migrating this database, or one stopped while migrating; if none is running, `odn migrate unlock` clears a stale lock")

// Migrate applies every pending migration; it is idempotent. When nothing
// is pending it takes no lock, so commands run side by side; otherwise it
// holds the migration lock (WithMigrationLock) while migrating.
func (s *Store) Migrate(ctx context.Context) error {
	m := s.Migrator()
	if ms, err := m.MigrationsWithStatus(ctx); err == nil && len(ms.Unapplied()) == 0 {
		return nil
	}
	// The history table may not exist yet, or a migration is pending:
	// take the lock; Init and Migrate are idempotent under it.
	return s.WithMigrationLock(ctx, func(ctx context.Context, m *migrate.Migrator) error {
		if _, err := m.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		return nil
	})
}

// WithMigrationLock runs fn with the migration history initialised and no
// other odn migrating the same database. On PostgreSQL the lock is a
// session advisory lock held on a dedicated connection: the server drops
// it when the process dies. On SQLite it is bun's lock row, waited for up
// to MigrateLockTimeout (then ErrMigrationLocked) and released even when
// ctx was cancelled; a crash leaves the row, which `odn migrate unlock`
// (UnlockMigrations) removes.
func (s *Store) WithMigrationLock(ctx context.Context, fn func(ctx context.Context, m *migrate.Migrator) error) error {
	m := s.Migrator()
	if s.Dialect == Postgres {
		conn, err := s.DB.DB.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate lock: %w", err)
		}
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrateAdvisoryKey); err != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck // discards the connection
			conn.Close()
			return fmt.Errorf("migrate lock: %w", err)
		}
		defer func() {
			if _, err := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateAdvisoryKey); err != nil {
				// Closing the session is what releases the lock then.
				conn.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck // discards the connection
			}
			conn.Close()
		}()
		if err := m.Init(ctx); err != nil {
			return fmt.Errorf("migrate init: %w", err)
		}
		return fn(ctx, m)
	}
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("migrate init: %w", err)
	}
	deadline := time.Now().Add(MigrateLockTimeout)
	for {
		err := m.Lock(ctx)
		if err == nil {
			break
		}
		if !isUniqueViolation(err) {
			return fmt.Errorf("migrate lock: %w", err)
		}
		if !time.Now().Before(deadline) {
			return ErrMigrationLocked
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migrate lock: %w", ctx.Err())
		case <-time.After(migrateLockRetry):
		}
	}
	defer m.Unlock(context.WithoutCancel(ctx)) //nolint:errcheck // a failure leaves a row that `odn migrate unlock` clears
	return fn(ctx, m)
}

// UnlockMigrations removes a stale SQLite migration lock row, left by an
// odn that stopped while migrating; it reports whether there was one. On
// PostgreSQL the lock dies with its session, so there is nothing to clear.
func (s *Store) UnlockMigrations(ctx context.Context) (bool, error) {
	if s.Dialect == Postgres {
		return false, nil
	}
	m := s.Migrator()
	if err := m.Init(ctx); err != nil {
		return false, fmt.Errorf("migrate init: %w", err)
	}
	res, err := s.DB.NewDelete().TableExpr("bun_migration_locks").Where("1 = 1").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("migrate unlock: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// isUniqueViolation reports whether err is a uniqueness-constraint failure
// on either dialect.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// dbErr maps driver errors to domain errors: no rows → ErrNotFound,
// uniqueness → ErrDuplicate; others are wrapped with the operation.
func dbErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case isUniqueViolation(err):
		return ErrDuplicate
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Tx runs fn in a transaction, committing when it returns nil, then wakes
// the event sink so outbox events written inside are processed promptly.
func (s *Store) Tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	var fed Queue
	if err := s.DB.RunInTx(withFed(ctx, &fed), nil, fn); err != nil {
		return err
	}
	s.notify(fed)
	return nil
}
