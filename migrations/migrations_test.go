package migrations_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/uptrace/bun/migrate"

	"github.com/opendemocracynow/odn/migrations"
	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// openBefore opens dsn with opts and applies the migrations before name,
// as an instance was before upgrading to it; the store is closed with t.
func openBefore(t *testing.T, dsn, name string, opts ...models.Option) *models.Store {
	t.Helper()
	ctx := context.Background()
	s, err := models.Open(ctx, dsn, append([]models.Option{models.WithKeyGenerator(dbtest.KeyGen())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	before := migrate.NewMigrations()
	for _, m := range migrations.Migrations.Sorted() {
		if m.Name < name {
			before.Add(m)
		}
	}
	m := migrate.NewMigrator(s.DB, before)
	if err := m.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// rawLocalActor inserts a local actor ("ann") as a row, with the columns
// every schema since the first has, for tests that migrate a database up
// to an older migration: today's models may name columns it lacks.
func rawLocalActor(t *testing.T, s *models.Store, at time.Time) int64 {
	t.Helper()
	var id int64
	if err := s.DB.NewRaw(`INSERT INTO actors (uri, type, username, host, local, inbox, shared_inbox, public_key_id, public_key_pem,
		manually_approve, created_at, updated_at) VALUES ('https://odn.example/users/ann', 'Person', 'ann', '', ?, '', '', 'k', 'x', ?, ?, ?) RETURNING id`,
		true, false, at, at).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestUpDownUp applies every migration, rolls them all back, and applies
// them again, on both dialects: `odn migrate down` must leave a database
// that `odn migrate up` can rebuild.
func TestUpDownUp(t *testing.T) {
	dbtest.EachDSN(t, func(t *testing.T, dialect, dsn string) {
		ctx := context.Background()
		s, err := models.Open(ctx, dsn, models.WithKeyGenerator(dbtest.KeyGen()))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("up: %v", err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("up again (idempotent): %v", err)
		}
		m := s.Migrator()
		for {
			group, err := m.Rollback(ctx)
			if err != nil {
				t.Fatalf("down: %v", err)
			}
			if group.IsZero() {
				break
			}
		}
		var ms []string
		applied, err := m.AppliedMigrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range applied {
			ms = append(ms, a.Name)
		}
		if len(ms) != 0 {
			t.Fatalf("still applied after rolling back: %v", ms)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("up after down: %v", err)
		}
		if _, err := s.CreateAccount(ctx, models.NewAccount{Username: "alice", Password: "correct horse"}); err != nil {
			t.Fatalf("schema unusable after up/down/up: %v", err)
		}
	})
}

// TestFollowerInboxBackfill: an instance upgraded past 20261206090000
// keeps delivering to the followers it had: their follows get their
// delivery inboxes from the actors (the shared inbox, else the personal
// one; none for local or deleted actors).
func TestFollowerInboxBackfill(t *testing.T) {
	dbtest.EachDSN(t, func(t *testing.T, dialect, dsn string) {
		ctx := context.Background()
		s := openBefore(t, dsn, "20261206090000")
		now := time.Now().UTC()
		var ids []int64
		for i, a := range []struct {
			shared  string
			local   bool
			deleted bool
		}{{shared: "https://a.example/inbox"}, {}, {local: true}, {deleted: true}, {shared: "https://b.example/inbox"}} {
			uri := fmt.Sprintf("https://a.example/users/u%d", i)
			var id int64
			err := s.DB.NewRaw(`INSERT INTO actors (uri, type, username, host, local, inbox, shared_inbox, public_key_id, public_key_pem,
				manually_approve, deleted_at, created_at, updated_at) VALUES (?, 'Person', ?, 'a.example', ?, ?, ?, ?, 'x', ?, ?, ?, ?) RETURNING id`,
				uri, fmt.Sprintf("u%d", i), a.local, uri+"/inbox", a.shared, uri+"#main-key", false,
				map[bool]*time.Time{true: &now}[a.deleted], now, now).Scan(ctx, &id)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		for _, id := range ids[1:] {
			if _, err := s.DB.NewRaw("INSERT INTO follows (uri, follower_id, followee_id, state, created_at, updated_at) VALUES (?, ?, ?, 'accepted', ?, ?)",
				fmt.Sprintf("https://a.example/follows/%d", id), id, ids[0], now, now).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := s.FollowerInboxes(ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if want := []string{"https://a.example/users/u1/inbox", "https://b.example/inbox"}; !slices.Equal(got, want) {
			t.Errorf("after the upgrade: inboxes %q, want %q", got, want)
		}
	})
}

// TestDisabledByRoleBackfill: the accounts disabled before 20261207090000
// recorded no disabler; they count as disabled by an administrator, so a
// moderator cannot re-enable them, and an administrator can.
func TestDisabledByRoleBackfill(t *testing.T) {
	dbtest.EachDSN(t, func(t *testing.T, dialect, dsn string) {
		ctx := context.Background()
		s := openBefore(t, dsn, "20261207090000", models.WithFastPasswordHashing())
		now := time.Now().UTC()
		for _, a := range []struct {
			name, role string
			disabled   bool
		}{{"boss", models.RoleAdmin, false}, {"modo", models.RoleModerator, false}, {"bob", models.RoleMember, true}, {"ann", models.RoleMember, false}} {
			if _, err := s.DB.NewRaw(`INSERT INTO accounts (username, email, password_hash, role, decider, disabled, locale, created_at)
				VALUES (?, '', 'x', ?, ?, ?, '', ?)`, a.name, a.role, false, a.disabled, now).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var roles []string
		if err := s.DB.NewRaw("SELECT disabled_by_role FROM accounts ORDER BY username").Scan(ctx, &roles); err != nil {
			t.Fatal(err)
		}
		if want := []string{"", "admin", "", ""}; !slices.Equal(roles, want) { // ann bob boss modo
			t.Fatalf("disabled_by_role %q, want %q", roles, want)
		}
		// The staff as the web session has them (no actors were made here).
		acc := func(name, role string) *models.Account {
			var id int64
			if err := s.DB.NewRaw("SELECT id FROM accounts WHERE username = ?", name).Scan(ctx, &id); err != nil {
				t.Fatal(err)
			}
			return &models.Account{ID: id, Username: name, Role: role}
		}
		if err := s.SetDisabled(ctx, acc("modo", models.RoleModerator), "bob", false, ""); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("a moderator re-enables an account disabled before the upgrade: %v", err)
		}
		if err := s.SetDisabled(ctx, acc("boss", models.RoleAdmin), "bob", false, ""); err != nil {
			t.Fatalf("the administrator re-enables it: %v", err)
		}
	})
}

// TestMigrationNamesUnique: bun names a migration by its file's
// timestamp and records applied ones by that name, so two files with one
// timestamp would pass for one migration: whichever runs second would be
// skipped on a database that has the first.
func TestMigrationNamesUnique(t *testing.T) {
	seen := map[string]string{}
	for _, m := range migrations.Migrations.Sorted() {
		if other, ok := seen[m.Name]; ok {
			t.Errorf("migrations %s_%s and %s_%s share the name %s: give one a later timestamp", m.Name, other, m.Name, m.Comment, m.Name)
		}
		seen[m.Name] = m.Comment
	}
}
