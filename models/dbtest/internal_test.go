package dbtest

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestWithDatabase(t *testing.T) {
	tests := []struct{ admin, want string }{
		{"postgres://odn@127.0.0.1:5432/odn?sslmode=disable", "postgres://odn@127.0.0.1:5432/odn_t_x?sslmode=disable"},
		{"postgresql://u:p%40ss@h:1/", "postgres://u:p%40ss@h:1/odn_t_x"},
		{"postgres://h", "postgres://h/odn_t_x"},
	}
	for _, tt := range tests {
		got, err := withDatabase(tt.admin, "odn_t_x")
		if err != nil || got != tt.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", tt.admin, got, err, tt.want)
		}
	}
	for _, bad := range []string{"host=localhost dbname=odn", "sqlite://x", "::"} {
		if _, err := withDatabase(bad, "x"); err == nil {
			t.Errorf("withDatabase(%q): no error", bad)
		}
	}
}

func TestDropStaleTemplates(t *testing.T) {
	admin := adminDSN(t)
	ctx := t.Context()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	dead := templatePrefix + strconv.Itoa(cmd.Process.Pid) + "_test"
	alive := templatePrefix + strconv.Itoa(os.Getpid()) + "_test"
	for _, n := range []string{dead, alive} {
		if err := createDatabase(ctx, admin, n, ""); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { dropDatabase(context.Background(), admin, n) })
	}
	dropStaleTemplates(ctx, admin)

	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for n, want := range map[string]bool{dead: false, alive: true} {
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", n).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists != want {
			t.Errorf("%s exists = %v, want %v", n, exists, want)
		}
	}
}
