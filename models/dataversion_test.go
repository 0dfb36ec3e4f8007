package models_test

import (
	"context"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestChangeVersion: on SQLite the version moves with every commit, from
// this store or another handle on the same file (another process, e.g.
// an admin command), and not with reads; PostgreSQL has none.
func TestChangeVersion(t *testing.T) {
	dbtest.EachDSN(t, func(t *testing.T, dialect, dsn string) {
		ctx := context.Background()
		s, err := models.Open(ctx, dsn, models.WithKeyGenerator(dbtest.KeyGen()), models.WithFastPasswordHashing())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		v1, ok := s.ChangeVersion(ctx)
		if dialect != string(models.SQLite) {
			if ok {
				t.Fatal("a change version on PostgreSQL")
			}
			return
		}
		if !ok {
			t.Fatal("no change version on SQLite")
		}
		if _, err := s.ListAccounts(ctx); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.ChangeVersion(ctx); v != v1 {
			t.Fatalf("a read moved the version: %d -> %d", v1, v)
		}
		if _, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		v2, _ := s.ChangeVersion(ctx)
		if v2 == v1 {
			t.Fatal("a commit of this store did not move the version")
		}
		other, err := models.Open(ctx, dsn, models.WithKeyGenerator(dbtest.KeyGen()), models.WithFastPasswordHashing())
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if _, err := other.DB.ExecContext(ctx, "UPDATE accounts SET role = 'moderator' WHERE username = 'ann'"); err != nil {
			t.Fatal(err)
		}
		if v3, _ := s.ChangeVersion(ctx); v3 == v2 {
			t.Fatal("a commit of another handle did not move the version")
		}
	})
}
