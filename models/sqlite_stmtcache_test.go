package models

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// TestStmtCache: statements with arguments are kept prepared per
// connection and reused, a nested use of a busy statement gets its own,
// the cache is bounded, and statements without arguments are not kept.
func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "odn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.DB.DB.ExecContext(ctx, "CREATE TABLE sc (id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := s.DB.DB.ExecContext(ctx, "INSERT INTO sc (id, v) VALUES (?, ?)", i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := s.DB.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cached := func(t *testing.T) (n int) {
		t.Helper()
		conn.Raw(func(dc any) error { n = len(dc.(*serialConn).stmts); return nil }) //nolint:errcheck // no error
		return n
	}
	get := func(t *testing.T, q string, args ...any) string {
		t.Helper()
		var v string
		if err := conn.QueryRowContext(ctx, q, args...).Scan(&v); err != nil {
			t.Fatalf("%s %v: %v", q, args, err)
		}
		return v
	}
	const byID = "SELECT v FROM sc WHERE id = ?"
	tests := []struct {
		name string
		run  func(t *testing.T)
		want int // statements cached after run, beyond those cached before the first
	}{
		{"reused", func(t *testing.T) {
			for i := range 3 {
				if v := get(t, byID, i); v != fmt.Sprint("v", i) {
					t.Fatalf("id %d: %q", i, v)
				}
			}
		}, 1},
		{"not without arguments", func(t *testing.T) {
			if v := get(t, "SELECT v FROM sc WHERE id = 4"); v != "v4" {
				t.Fatalf("%q", v)
			}
		}, 1},
		{"nested use of a busy statement", func(t *testing.T) {
			rows, err := conn.QueryContext(ctx, "SELECT v FROM sc WHERE id >= ? ORDER BY id", 7)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var v string
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				inner, err := conn.QueryContext(ctx, "SELECT v FROM sc WHERE id >= ? ORDER BY id", 9)
				if err != nil {
					t.Fatal(err)
				}
				for inner.Next() {
					var w string
					inner.Scan(&w) //nolint:errcheck // checked below
					v += "+" + w
				}
				inner.Close()
				got = append(got, v)
			}
			if fmt.Sprint(got) != "[v7+v9 v8+v9 v9+v9]" {
				t.Fatalf("got %v", got)
			}
		}, 2},
		{"bounded", func(t *testing.T) {
			for i := range stmtCacheSize + 5 {
				q := fmt.Sprintf("SELECT v FROM sc WHERE id = ? AND %d = %d", i, i)
				if v := get(t, q, i%10); v != fmt.Sprint("v", i%10) {
					t.Fatalf("%s: %q", q, v)
				}
			}
		}, -1},
		{"writes through the cache", func(t *testing.T) {
			for i := range 3 {
				if _, err := conn.ExecContext(ctx, "UPDATE sc SET v = ? WHERE id = ?", fmt.Sprint("w", i), i); err != nil {
					t.Fatal(err)
				}
			}
			if v := get(t, byID, 2); v != "w2" {
				t.Fatalf("%q", v)
			}
		}, -1},
	}
	n0 := cached(t) // the connection may have run the inserts
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t)
			want := n0 + tc.want
			if tc.want < 0 {
				want = stmtCacheSize // full
			}
			if n := cached(t); n != want {
				t.Fatalf("%d statements cached, want %d", n, want)
			}
		})
	}
}
