package models

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"database/sql"
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
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
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
	// passwords bounds the argon2id hashes computed at once (password_work.go).
	passwords *passwordWork
	events    EventSink
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

// tolerateNewColumns lets a node scan rows that carry columns its models
// do not know: during a rolling upgrade the first node of a new version
// migrates the shared database while the others still run the old one,
// and bun refused such rows — an older node could no longer claim
// deliveries (TestOlderNodeToleratesNewColumns). Columns are only ever
// added while nodes of two versions run together; a typo in a query's
// column alias is caught by the tests that read its value.
var tolerateNewColumns = bun.WithDiscardUnknownColumns()

// Open connects to the database named by dsn: "sqlite://PATH" (a file,
// created if missing), "sqlite://file:NAME?mode=memory&cache=shared", or
// "postgres://…". It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	s := &Store{URLs: URLs{Base: "http://localhost:8080"}, now: time.Now, argon: argonParams, passwords: newPasswordWork(), keyGen: func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) }}
	for _, o := range opts {
		o(s)
	}
	switch {
	case strings.HasPrefix(dsn, "sqlite://"), strings.HasPrefix(dsn, "sqlite:"):
		db, err := openSQLite(strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//"))
		if err != nil {
			return nil, err
		}
		s.DB, s.Dialect = bun.NewDB(db, sqlitedialect.New(), tolerateNewColumns), SQLite
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
		s.DB, s.Dialect = bun.NewDB(db, pgdialect.New(), tolerateNewColumns), Postgres
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
