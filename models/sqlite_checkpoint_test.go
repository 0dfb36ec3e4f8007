package models

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBackgroundCheckpoint: a file database's connections never
// checkpoint on commit (wal_autocheckpoint=0); the store's checkpointer
// copies committed pages into the database file in the background, the
// data stays readable throughout, and Close stops it.
func TestBackgroundCheckpoint(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "odn.db")
	s, err := Open(ctx, "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	tests := []struct {
		name  string
		check func(t *testing.T)
	}{
		{"no checkpoint on commit", func(t *testing.T) {
			var n int
			if err := s.DB.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&n); err != nil || n != 0 {
				t.Fatalf("wal_autocheckpoint = %d (%v), want 0", n, err)
			}
		}},
		{"checkpointed in the background", func(t *testing.T) {
			if _, err := s.DB.ExecContext(ctx, "CREATE TABLE cp (id INTEGER PRIMARY KEY, body TEXT)"); err != nil {
				t.Fatal(err)
			}
			body := strings.Repeat("x", 2048)
			for i := range 300 {
				if _, err := s.DB.ExecContext(ctx, "INSERT INTO cp (id, body) VALUES (?, ?)", i, body); err != nil {
					t.Fatal(err)
				}
			}
			deadline := time.Now().Add(5 * time.Second)
			for size() < 300*2048 {
				if time.Now().After(deadline) {
					t.Fatalf("database file still %d bytes: the WAL was not checkpointed", size())
				}
				time.Sleep(20 * time.Millisecond)
			}
			var n int
			if err := s.DB.QueryRowContext(ctx, "SELECT count(*) FROM cp").Scan(&n); err != nil || n != 300 {
				t.Fatalf("%d rows (%v), want 300", n, err)
			}
		}},
		{"stopped by Close", func(t *testing.T) {
			db := s.DB.DB
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			checkpointersMu.Lock()
			_, running := checkpointers[db]
			checkpointersMu.Unlock()
			if running {
				t.Fatal("the checkpointer outlived Close")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.check)
	}
}

// TestNoCheckpointerInMemory: an in-memory database has no WAL and no
// checkpointer.
func TestNoCheckpointerInMemory(t *testing.T) {
	s, err := Open(context.Background(), "sqlite://file:cpmem?mode=memory&cache=shared")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkpointersMu.Lock()
	_, running := checkpointers[s.DB.DB]
	checkpointersMu.Unlock()
	if running {
		t.Fatal("checkpointer started for an in-memory database")
	}
}
