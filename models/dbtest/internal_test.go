package dbtest

import "testing"

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
