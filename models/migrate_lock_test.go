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
		// Migrated: a held lock does not stop another Migrate.
		if dialect == string(models.SQLite) {
			if err := stores[0].Migrator().Lock(ctx); err != nil {
				t.Fatal(err)
			}
			if err := stores[1].Migrate(ctx); err != nil {
				t.Fatalf("migrate with nothing pending under a held lock: %v", err)
			}
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
		if dialect == string(models.SQLite) {
			n, err := st.DB.NewSelect().TableExpr("bun_migration_locks").Count(context.Background())
			if err != nil || n != 0 {
				t.Fatalf("lock rows left: %d %v", n, err)
			}
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
	old := models.MigrateLockTimeout
	models.MigrateLockTimeout = 500 * time.Millisecond
	defer func() { models.MigrateLockTimeout = old }()
	start := time.Now()
	err = st.Migrate(ctx)
	if !errors.Is(err, models.ErrMigrationLocked) || !strings.Contains(err.Error(), "odn migrate unlock") {
		t.Fatalf("err = %v", err)
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
