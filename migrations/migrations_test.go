package migrations_test

import (
	"context"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

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
