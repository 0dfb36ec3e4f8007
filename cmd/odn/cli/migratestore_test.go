package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMigrateStoreRefusals: a missing SQLite source is an error (it used
// to be created empty and "0 rows" moved), and a SQLite target is refused
// before anything is created.
func TestMigrateStoreRefusals(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing", "path.db")
	code, out, errOut := runCLI(t, dir, "", "migrate-store", "--from", "sqlite://"+missing, "--to", "postgres://odn@nowhere.invalid/odn")
	if code != 1 || !strings.Contains(errOut, "no SQLite database at "+missing) || strings.Contains(out, "moved") {
		t.Fatalf("missing source: exit %d %q %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Fatalf("the missing source was created: %v", err)
	}
	target := filepath.Join(dir, "target.db")
	code, _, errOut = runCLI(t, dir, "", "migrate-store", "--from", "sqlite://"+missing, "--to", "sqlite://"+target)
	if code != 2 || !strings.Contains(errOut, "--to must be a postgres:// URL") {
		t.Fatalf("sqlite target: exit %d %q", code, errOut)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Fatalf("the SQLite target was created: %v", err)
	}
	if code, _, errOut := runCLI(t, dir, "", "migrate-store", "--from", "sqlite://", "--to", "postgres://odn@nowhere.invalid/odn"); code != 2 {
		t.Fatalf("empty source path: exit %d %q", code, errOut)
	}
}
