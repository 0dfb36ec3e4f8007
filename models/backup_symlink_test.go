package models_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
)

// TestArchiveUploadsThroughALink: the data directory's uploads/ is a link
// to another volume, as operators often make it; the archive still holds
// every file, under uploads/. (WalkDir does not follow a root that is a
// link: the archive was empty.)
func TestArchiveUploadsThroughALink(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data, volume := filepath.Join(dir, "data"), filepath.Join(dir, "volume", "uploads")
	for _, d := range []string{data, volume} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(volume, filepath.Join(data, "uploads")); err != nil {
		t.Fatal(err)
	}
	s, err := models.Open(ctx, "sqlite://"+filepath.Join(data, "odn.db"), models.WithFastPasswordHashing(), models.WithDataDir(data))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	mod, err := s.CreateAccount(ctx, models.NewAccount{Username: "modo", Password: "long enough password", Role: models.RoleModerator})
	if err != nil {
		t.Fatal(err)
	}
	_, jpeg := imagemetatest.JPEGWithMetadata(4)
	u, err := s.SaveUpload(ctx, mod, 1, "photo.jpg", bytes.NewReader(jpeg))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := s.ArchiveUploads(ctx, &buf)
	if err != nil || n != 1 {
		t.Fatalf("archived %d files (%v), want 1", n, err)
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	h, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(tr)
	if want := "uploads/" + u.Key[:2] + "/" + u.Key; h.Name != want || len(got) == 0 {
		t.Fatalf("archive holds %q (%d bytes), want %q", h.Name, len(got), want)
	}
}
