package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
)

// TestBackup: `odn backup DIR`, while the server's store is open and has
// writes still in its WAL, writes a database copy that holds them and
// checks, and an archive of the uploaded files (not the temporary ones)
// that unpacks to the same bytes; no directory is a usage error.
func TestBackup(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := models.Open(ctx, "sqlite://"+filepath.Join(dir, "odn.db"), models.WithFastPasswordHashing(), models.WithDataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	mod, err := st.CreateAccount(ctx, models.NewAccount{Username: "modo", Password: "long enough password", Role: models.RoleModerator})
	if err != nil {
		t.Fatal(err)
	}
	_, jpeg := imagemetatest.JPEGWithMetadata(4)
	u, err := st.SaveUpload(ctx, mod, 1, "photo.jpg", bytes.NewReader(jpeg))
	if err != nil {
		t.Fatal(err)
	}
	// Left out: a file being received, and one the purge took.
	for _, p := range []string{"tmp/partial", "orphaned/2026-12-07/ab000000000000000000000000000001"} {
		p = filepath.Join(dir, "uploads", p)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("half"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.CreateAccount(ctx, models.NewAccount{Username: "last", Password: "long enough password"}); err != nil {
		t.Fatal(err) // in the WAL: the store is still open, nothing checkpointed it
	}

	out := filepath.Join(dir, "backups")
	code, stdout, stderr := runCLI(t, dir, "", "backup", out)
	if code != 0 || !strings.Contains(stdout, "integrity ok") || !strings.Contains(stdout, "(1 files,") {
		t.Fatalf("backup: exit %d, %q %q", code, stdout, stderr)
	}
	m := regexp.MustCompile(`database: (\S+) .*\nuploads:  (\S+) `).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("paths not reported: %q", stdout)
	}
	copyDB, err := models.Open(ctx, "sqlite://"+m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	for _, name := range []string{"modo", "last"} {
		if _, err := copyDB.AccountByUsername(ctx, name); err != nil {
			t.Errorf("the copy lacks account %s: %v", name, err)
		}
	}
	files := untar(t, m[2])
	want := "uploads/" + u.Key[:2] + "/" + u.Key
	if len(files) != 1 || !bytes.Equal(files[want], jpeg) {
		t.Errorf("archive holds %d files, %s equal: %v; want only the upload", len(files), want, bytes.Equal(files[want], jpeg))
	}

	if code, _, _ := runCLI(t, dir, "", "backup"); code != 2 {
		t.Errorf("no directory: exit %d, want 2", code)
	}
}

// untar reads a gzipped tar into a map of name → content.
func untar(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	got := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got[h.Name] = b
	}
}
