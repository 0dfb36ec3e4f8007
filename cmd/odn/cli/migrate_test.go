package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestMigrateStaleLockAndUnlock: a lock row left by an odn killed while
// migrating is reported with the way out, and `odn migrate unlock`
// clears it.
func TestMigrateStaleLockAndUnlock(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := models.Open(ctx, "sqlite://"+filepath.Join(dir, "odn.db"))
	if err != nil {
		t.Fatal(err)
	}
	m := st.Migrator()
	if err := m.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Lock(ctx); err != nil { // the crashed odn
		t.Fatal(err)
	}
	st.Close()
	old := models.MigrateLockTimeout
	models.MigrateLockTimeout = 300 * time.Millisecond
	defer func() { models.MigrateLockTimeout = old }()

	code, _, errOut := runCLI(t, dir, "", "admin", "user", "list")
	if code != 1 || !strings.Contains(errOut, "stopped while migrating") || !strings.Contains(errOut, "odn migrate unlock") {
		t.Fatalf("locked: exit %d %q", code, errOut)
	}
	if code, out, errOut := runCLI(t, dir, "", "migrate", "unlock"); code != 0 || !strings.Contains(out, "removed a stale migration lock") {
		t.Fatalf("unlock: exit %d %q %q", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, dir, "", "migrate", "unlock"); code != 0 || !strings.Contains(out, "not locked") {
		t.Fatalf("second unlock: exit %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, dir, "", "admin", "user", "list"); code != 0 {
		t.Fatalf("after unlock: exit %d %q", code, errOut)
	}
}

// TestParallelCommands: commands run side by side on a migrated database
// (each used to take the migration lock, and half of them failed).
func TestParallelCommands(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, dir, "", "migrate", "up"); code != 0 {
		t.Fatal(errOut)
	}
	const n = 12
	codes := make(chan string, n)
	for range n {
		go func() {
			code, _, errOut := runCLI(t, dir, "", "admin", "block", "list")
			if code != 0 {
				codes <- errOut
				return
			}
			codes <- ""
		}()
	}
	for range n {
		if e := <-codes; e != "" {
			t.Error(e)
		}
	}
}

// TestMigrateDownRefusesEverything: on a fresh install the last group is
// the whole schema; `migrate down` refuses it unless --everything.
func TestMigrateDownRefusesEverything(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, dir, "correct horse battery\n", "admin", "user", "create", "alice", "--password-stdin"); code != 0 {
		t.Fatal(errOut)
	}
	code, out, errOut := runCLI(t, dir, "", "migrate", "down")
	if code != 2 || !strings.Contains(errOut, "--everything") || !strings.Contains(errOut, "backup") || strings.Contains(out, "rolled back") {
		t.Fatalf("down: exit %d %q %q", code, out, errOut)
	}
	if code, out, _ := runCLI(t, dir, "", "admin", "user", "list"); code != 0 || !strings.Contains(out, "alice") {
		t.Fatalf("data gone after a refused down: exit %d %q", code, out)
	}
	if code, out, errOut := runCLI(t, dir, "", "migrate", "down", "--everything"); code != 0 || !strings.Contains(out, "rolled back") {
		t.Fatalf("down --everything: exit %d %q %q", code, out, errOut)
	}
	if code, out, _ := runCLI(t, dir, "", "migrate", "status"); code != 0 || strings.Contains(out, "applied") {
		t.Fatalf("status after down --everything: %q", out)
	}
}

// TestMigrateDownLaterGroup: a group applied by an upgrade (not holding the
// first migration) still rolls back without --everything.
func TestMigrateDownLaterGroup(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, dir, "", "migrate", "up"); code != 0 {
		t.Fatal(errOut)
	}
	ctx := context.Background()
	st, err := models.Open(ctx, "sqlite://"+filepath.Join(dir, "odn.db"))
	if err != nil {
		t.Fatal(err)
	}
	m := st.Migrator()
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := &ms[len(ms)-1]
	if err := last.Down(ctx, m, last); err != nil {
		t.Fatal(err)
	}
	if err := m.MarkUnapplied(ctx, last); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if code, _, errOut := runCLI(t, dir, "", "migrate", "up"); code != 0 { // the "upgrade": a group of one
		t.Fatal(errOut)
	}
	if code, out, errOut := runCLI(t, dir, "", "migrate", "down"); code != 0 || !strings.Contains(out, "rolled back") {
		t.Fatalf("down: exit %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, dir, "", "migrate", "down"); code != 2 || !strings.Contains(errOut, "--everything") {
		t.Fatalf("second down: exit %d %q", code, errOut)
	}
}
