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
	return s.withMigrationLock(ctx, m, func(ctx context.Context, m *migrate.Migrator) error {
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
	return s.withMigrationLock(ctx, s.Migrator(), fn)
}

// withMigrationLock is WithMigrationLock with the caller's migrator m.
func (s *Store) withMigrationLock(ctx context.Context, m *migrate.Migrator, fn func(ctx context.Context, m *migrate.Migrator) error) error {
	if s.Dialect == Postgres {
		conn, err := s.DB.DB.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate lock: %w", err)
		}
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrateAdvisoryKey); err != nil {
			discardConn(conn)
			return fmt.Errorf("migrate lock: %w", err)
		}
		defer func() {
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

// discardConn closes conn and keeps it out of the pool: the session ends,
// and with it whatever it held (an advisory lock).
func discardConn(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck // discards the connection
	conn.Close()
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
