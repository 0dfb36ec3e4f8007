package models

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupDatabaseRefuses: a destination that exists is left as it was;
// a file that is not a sound SQLite database fails the check that
// BackupDatabase runs on its copy.
func TestBackupDatabaseRefuses(t *testing.T) {
	ctx := context.Background()
	s := migratedSQLite(ctx, t)
	dest := filepath.Join(t.TempDir(), "taken.db")
	if err := os.WriteFile(dest, []byte("mine"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BackupDatabase(ctx, dest); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("existing destination: %v", err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "mine" {
		t.Fatalf("the existing file was changed: %q", b)
	}
	good := filepath.Join(t.TempDir(), "copy.db")
	if _, err := s.BackupDatabase(ctx, good); err != nil {
		t.Fatal(err)
	}
	if err := checkSQLiteFile(ctx, good); err != nil {
		t.Fatalf("a fresh copy: %v", err)
	}
	b, _ := os.ReadFile(good)
	// Damage pages 2 to 5 (B-tree pages past the file header): the check
	// must see it.
	for i := 4096; i < len(b) && i < 5*4096; i++ {
		b[i] ^= 0xff
	}
	bad := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(bad, b, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := checkSQLiteFile(ctx, bad); err == nil {
		t.Fatal("a damaged copy passed the integrity check")
	}
	if err := os.WriteFile(bad, []byte(strings.Repeat("not a database ", 300)), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := checkSQLiteFile(ctx, bad); err == nil {
		t.Fatal("a file that is no database passed the check")
	}
	s.Dialect = Postgres
	if _, err := s.BackupDatabase(ctx, filepath.Join(t.TempDir(), "pg.db")); !errors.Is(err, ErrBackupPostgres) {
		t.Fatalf("on PostgreSQL: %v", err)
	}
}
