package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestMigrateConcurrent: several Stores migrating one fresh database at
// once all succeed (PostgreSQL serialises them with an advisory lock,
// SQLite waits for bun's lock row), and once migrated, Migrate takes no
// lock at all.
func TestMigrateConcurrent(t *testing.T) {
	dbtest.EachDSN(t, func(t *testing.T, dialect, dsn string) {
		ctx := context.Background()
		const n = 6
		stores := make([]*models.Store, n)
		for i := range stores {
			st, err := models.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			stores[i] = st
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, st := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = st.Migrate(ctx)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("store %d: %v", i, err)
			}
		}
		// Migrated: a held lock row does not stop another Migrate.
		if err := stores[0].Migrator().Lock(ctx); err != nil {
			t.Fatal(err)
		}
		if err := stores[1].Migrate(ctx); err != nil {
			t.Fatalf("migrate with nothing pending under a held lock: %v", err)
		}
	})
}

// cancelAfterCreate cancels its context once a migration has created a
// table, in the middle of migrating.
type cancelAfterCreate struct {
	once   sync.Once
	cancel context.CancelFunc
}

func (h *cancelAfterCreate) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (h *cancelAfterCreate) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if strings.HasPrefix(e.Query, "CREATE TABLE") && !strings.Contains(e.Query, "bun_migration") {
		h.once.Do(h.cancel)
	}
}

// TestMigrateCancelledReleasesLock: a Migrate whose context is cancelled
// part-way (SIGTERM during start) leaves no lock behind, so the next
// Migrate finishes.
func TestMigrateCancelledReleasesLock(t *testing.T) {
	dbtest.EachDSN(t, func(t *testing.T, dialect, dsn string) {
		st, err := models.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		st.DB.AddQueryHook(&cancelAfterCreate{cancel: cancel})
		if err := st.Migrate(ctx); err == nil {
			t.Fatal("migrate with a cancelled context succeeded")
		}
		n, err := st.DB.NewSelect().TableExpr("bun_migration_locks").Count(context.Background())
		if err != nil || n != 0 {
			t.Fatalf("lock rows left: %d %v", n, err)
		}
		st2, err := models.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer st2.Close()
		ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel2()
		if err := st2.Migrate(ctx2); err != nil {
			t.Fatalf("migrate after a cancelled one: %v", err)
		}
	})
}

// TestMigrateStaleLock: on SQLite a lock row left by a crashed odn makes
// Migrate wait, then say what happened and how to clear it.
func TestMigrateStaleLock(t *testing.T) {
	ctx := context.Background()
	st, err := models.Open(ctx, dbtest.SQLiteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := st.Migrator()
	if err := m.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	migrateUnderLockRow(t, ctx, st)
}

// lockDuringCreate tries, once a migration has created a table, to take
// bun's lock row as an odn older than the advisory lock does, and keeps
// the outcome.
type lockDuringCreate struct {
	once  sync.Once
	other *models.Store
	err   error
}

func (h *lockDuringCreate) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (h *lockDuringCreate) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if strings.HasPrefix(e.Query, "CREATE TABLE") && !strings.Contains(e.Query, "bun_migration") {
		h.once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			h.err = h.other.Migrator().Lock(ctx)
			if h.err == nil {
				h.other.Migrator().Unlock(context.Background()) //nolint:errcheck // the test fails anyway
			}
		})
	}
}

// TestMigrateExcludesOldOdn: in a rolling upgrade an odn older than the
// advisory lock (which takes bun's lock row) and this one exclude each
// other. While this one migrates, the old one cannot take the row (on
// PostgreSQL it waits); a row the old one holds makes this one wait, then
// fail saying how to clear it; `odn migrate unlock` clears it on both
// dialects; and this one leaves no row behind.
func TestMigrateExcludesOldOdn(t *testing.T) {
	dbtest.EachDSN(t, func(t *testing.T, dialect, dsn string) {
		ctx := context.Background()
		open := func() *models.Store {
			st, err := models.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
		st, old := open(), open()
		hook := &lockDuringCreate{other: old}
		st.DB.AddQueryHook(hook)
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if hook.err == nil {
			t.Error("an old odn took the migration lock while this one migrated")
		}
		t.Logf("the old odn's lock while this one migrated: %v", hook.err)
		m := old.Migrator()
		if err := m.Lock(ctx); err != nil {
			t.Fatalf("the lock row outlived the migration: %v", err)
		}
		// The old odn holds the row (migrating, or crashed): a pending
		// migration waits for it, then gives up.
		ms, err := m.MigrationsWithStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		last := &ms[len(ms)-1]
		if err := last.Down(ctx, m, last); err != nil {
			t.Fatal(err)
		}
		if err := m.MarkUnapplied(ctx, last); err != nil {
			t.Fatal(err)
		}
		migrateUnderLockRow(t, ctx, st)
		if n, err := st.DB.NewSelect().TableExpr("bun_migration_locks").Count(ctx); err != nil || n != 0 {
			t.Fatalf("lock rows left: %d %v", n, err)
		}
	})
}

// migrateUnderLockRow checks a migration under a lock row left committed
// (a crash, an older odn): it waits MigrateLockTimeout, then fails
// naming "odn migrate unlock", which clears the row for the next one.
func migrateUnderLockRow(t *testing.T, ctx context.Context, st *models.Store) {
	t.Helper()
	old := models.MigrateLockTimeout
	models.MigrateLockTimeout = 500 * time.Millisecond
	defer func() { models.MigrateLockTimeout = old }()
	start := time.Now()
	err := st.Migrate(ctx)
	if !errors.Is(err, models.ErrMigrationLocked) || !strings.Contains(err.Error(), "odn migrate unlock") {
		t.Fatalf("migrate under a lock row: %v", err)
	}
	if time.Since(start) < 400*time.Millisecond {
		t.Fatalf("gave up at once (%v)", time.Since(start))
	}
	if had, err := st.UnlockMigrations(ctx); err != nil || !had {
		t.Fatalf("unlock: %v %v", had, err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
}
