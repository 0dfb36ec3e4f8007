package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun/migrate"

	"github.com/opendemocracynow/odn/migrations"
)

// Migrator returns bun's migrator over odn's embedded migrations.
func (s *Store) Migrator() *migrate.Migrator {
	return migrate.NewMigrator(s.DB, migrations.Migrations, migrate.WithMarkAppliedOnSuccess(true))
}

// MigrateLockTimeout bounds how long Migrate (and `odn migrate down`)
// wait for bun's lock row, held by another odn migrating (on PostgreSQL,
// an odn older than the advisory lock), before giving up. Tests shorten
// it.
var MigrateLockTimeout = 60 * time.Second

// migrateLockRetry is how often a held lock row is retried.
const migrateLockRetry = 200 * time.Millisecond

// migrateAdvisoryKey is the PostgreSQL advisory lock that serialises odn
// migrations within one database ("odn-migr" in ASCII).
const migrateAdvisoryKey int64 = 0x6f646e2d6d696772

// ErrMigrationLocked reports that bun's migration lock row stayed held for
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
	return s.withMigrationLock(ctx, m, func(ctx context.Context, m *migrate.Migrator) error {
		if _, err := m.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		return nil
	})
}

// WithMigrationLock runs fn with the migration history initialised and no
// other odn migrating the same database.
//
// On PostgreSQL the lock is a session advisory lock held on a dedicated
// connection: the server drops it when the process dies. Older odn
// binaries took bun's lock row instead, so during a rolling upgrade the
// two would not exclude each other; under the advisory lock the same
// connection therefore also inserts bun's lock row, in a transaction
// that is never committed and is rolled back at the end. An older odn's
// insert waits for that transaction, and a crash rolls it back: no row is
// left behind. A row an older odn committed (it is migrating, or it
// crashed) is waited for as on SQLite.
//
// On SQLite the lock is bun's lock row, waited for up to
// MigrateLockTimeout (then ErrMigrationLocked) and released even when ctx
// was cancelled; a crash leaves the row, which `odn migrate unlock`
// (UnlockMigrations) removes.
func (s *Store) WithMigrationLock(ctx context.Context, fn func(ctx context.Context, m *migrate.Migrator) error) error {
	return s.withMigrationLock(ctx, s.Migrator(), fn)
}

// withMigrationLock is WithMigrationLock with the caller's migrator m.
func (s *Store) withMigrationLock(ctx context.Context, m *migrate.Migrator, fn func(ctx context.Context, m *migrate.Migrator) error) error {
	if s.Dialect == Postgres {
		return s.withPGMigrationLock(ctx, m, fn)
	}
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("migrate init: %w", err)
	}
	if err := waitLockRow(ctx, func() error { return m.Lock(ctx) }); err != nil {
		return err
	}
	defer m.Unlock(context.WithoutCancel(ctx)) //nolint:errcheck // a failure leaves a row that `odn migrate unlock` clears
	return fn(ctx, m)
}

// withPGMigrationLock is withMigrationLock on PostgreSQL: the advisory
// lock, then bun's lock row in an uncommitted transaction, both on one
// dedicated connection.
func (s *Store) withPGMigrationLock(ctx context.Context, m *migrate.Migrator, fn func(ctx context.Context, m *migrate.Migrator) error) error {
	conn, err := s.DB.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate lock: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrateAdvisoryKey); err != nil {
		discardConn(conn)
		return fmt.Errorf("migrate lock: %w", err)
	}
	var row *sql.Tx
	defer func() {
		if row != nil && row.Rollback() != nil {
			discardConn(conn) // ending the session rolls back and unlocks
			return
		}
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateAdvisoryKey); err != nil {
			// Closing the session is what releases the lock then.
			discardConn(conn)
			return
		}
		conn.Close()
	}()
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("migrate init: %w", err)
	}
	err = waitLockRow(ctx, func() error {
		// Not bound to ctx: database/sql would roll back on cancellation,
		// freeing the row while fn still runs; the defer rolls it back.
		tx, err := conn.BeginTx(context.WithoutCancel(ctx), nil)
		if err != nil {
			return err
		}
		// A long migration leaves this transaction idle: a server-wide
		// idle_in_transaction_session_timeout must not end the session
		// (and the advisory lock with it) half-way.
		if _, err = tx.ExecContext(ctx, "SET LOCAL idle_in_transaction_session_timeout = 0"); err == nil {
			_, err = tx.ExecContext(ctx, "INSERT INTO bun_migration_locks (table_name) VALUES ($1)", bunLockName)
		}
		if err != nil {
			tx.Rollback() //nolint:errcheck // the error that matters is err
			return err
		}
		row = tx
		return nil
	})
	if err != nil {
		return err
	}
	return fn(ctx, m)
}

// bunLockName is the row bun's Migrator.Lock inserts into
// bun_migration_locks for odn's history table (its table_name column is
// unique).
const bunLockName = "bun_migrations"

// waitLockRow calls lock until it succeeds, retrying while it fails on
// the lock row's uniqueness (another odn holds it) for up to
// MigrateLockTimeout, then ErrMigrationLocked.
func waitLockRow(ctx context.Context, lock func() error) error {
	deadline := time.Now().Add(MigrateLockTimeout)
	for {
		err := lock()
		if err == nil {
			return nil
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
}

// discardConn closes conn and keeps it out of the pool: the session ends,
// and with it whatever it held (an advisory lock).
func discardConn(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck // discards the connection
	conn.Close()
}

// UnlockMigrations removes a stale migration lock row, left by an odn
// that stopped while migrating; it reports whether there was one. On
// PostgreSQL only an odn older than the advisory lock leaves one (this
// one's row is never committed, so it is neither seen nor removed here).
func (s *Store) UnlockMigrations(ctx context.Context) (bool, error) {
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
