package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestEmailConfirmationsKeepExistingAddresses: an address stored before
// 20261208182600 counts as confirmed after it (a reset link goes there,
// nothing is pending), so no member loses their resets; and the lookups by
// lower(email) have their index.
func TestEmailConfirmationsKeepExistingAddresses(t *testing.T) {
	dbtest.EachDSN(t, func(t *testing.T, dialect, dsn string) {
		ctx := context.Background()
		s := openBefore(t, dsn, "20261208182600")
		at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		var id int64
		if err := s.DB.NewRaw(`INSERT INTO accounts (username, email, password_hash, role, decider, disabled, locale, created_at)
			VALUES ('ann', 'Ann@Example.org', 'x', 'member', ?, ?, '', ?) RETURNING id`, false, false, at).Scan(ctx, &id); err != nil {
			t.Fatal(err)
		}
		actor := rawLocalActor(t, s, at)
		if _, err := s.DB.NewRaw("UPDATE actors SET account_id = ? WHERE id = ?", id, actor).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		acc, err := s.AccountByUsername(ctx, "ann")
		if err != nil {
			t.Fatal(err)
		}
		if acc.Email != "Ann@Example.org" || acc.PendingEmail != "" {
			t.Errorf("after the upgrade: email %q, pending %q; want the address kept as confirmed", acc.Email, acc.PendingEmail)
		}
		if links, err := s.RequestPasswordReset(ctx, "ann@example.org", nil); err != nil || len(links) != 1 {
			t.Errorf("reset link to an address from before: %v %v", links, err)
		}
		q := "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'accounts_email_lower'"
		if dialect == "postgres" {
			q = "SELECT count(*) FROM pg_indexes WHERE indexname = 'accounts_email_lower'"
		}
		var n int
		if err := s.DB.NewRaw(q).Scan(ctx, &n); err != nil || n != 1 {
			t.Errorf("index on lower(email): %d %v", n, err)
		}
	})
}
