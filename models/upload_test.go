package models_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
)

// Real images without metadata: they are stored as sent.
var (
	uploadPNG  = imagemetatest.PNG()
	uploadPDF  = []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	uploadJPEG = imagemetatest.JPEG()
	uploadWebP = imagemetatest.WebP()
)

// storedFiles lists the regular files under dir.
func storedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestUploadAcceptsDocumentsAndImages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		dir, mod := uploadStore(t, s)
		for _, tc := range []struct {
			name, ct, want string
			data           []byte
		}{
			{"Plan du quartier.PDF", models.TypePDF, "Plan du quartier.pdf", uploadPDF},
			{"photo.png", models.TypePNG, "photo.png", uploadPNG},
			{"photo.jpeg", models.TypeJPEG, "photo.jpg", uploadJPEG},
			{"img.webp", models.TypeWebP, "img.webp", uploadWebP},
			{"../../../etc/passwd.png", models.TypePNG, "passwd.png", uploadPNG},
			{`C:\Users\x\..\évènement ..png`, models.TypePNG, "évènement.png", uploadPNG},
			{"scan.exe", models.TypePDF, "scan.pdf", uploadPDF},
		} {
			u, err := s.SaveUpload(ctx, mod, 1, tc.name, bytes.NewReader(tc.data))
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if u.ContentType != tc.ct || u.Name != tc.want || u.Size != int64(len(tc.data)) || len(u.Key) != 32 {
				t.Errorf("%s: got %+v", tc.name, u)
			}
			got, f, err := s.OpenUpload(ctx, u.Key)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(f)
			f.Close()
			if !bytes.Equal(b, tc.data) || got.ID != u.ID {
				t.Errorf("%s: content differs", tc.name)
			}
			if !strings.HasPrefix(f.Name(), filepath.Join(dir, "uploads")) || strings.Contains(filepath.Base(f.Name()), ".") {
				t.Errorf("%s stored at %s", tc.name, f.Name())
			}
		}
	})
}

func TestUploadAttacksRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		dir, mod := uploadStore(t, s)
		citizen, _ := s.CreateAccount(ctx, models.NewAccount{Username: "cit", Password: "long enough password"})
		big := io.MultiReader(bytes.NewReader(uploadPNG), bytes.NewReader(make([]byte, models.MaxUploadSize)))
		for _, tc := range []struct {
			name string
			by   *models.Account
			data io.Reader
		}{
			{"evil.svg", mod, strings.NewReader(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)},
			{"evil.png", mod, strings.NewReader(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
			{"page.pdf", mod, strings.NewReader("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>")},
			{"x.jpg", mod, strings.NewReader("GIF89a\x01\x00\x01\x00")},
			{"x.gif", mod, bytes.NewReader([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))},
			{"archive.zip", mod, bytes.NewReader([]byte("PK\x03\x04\x14\x00\x00\x00"))},
			{"RIFF.webp", mod, bytes.NewReader([]byte("RIFF\x24\x00\x00\x00WAVEfmt "))},
			{"empty.pdf", mod, bytes.NewReader(nil)},
			{"huge.png", mod, big},
			{"../../../../tmp/pwned.pdf", citizen, bytes.NewReader(uploadPDF)},
		} {
			u, err := s.SaveUpload(ctx, tc.by, 1, tc.name, tc.data)
			if err == nil {
				t.Errorf("%s accepted: %+v", tc.name, u)
				continue
			}
			var ve *models.ValidationError
			if !errors.As(err, &ve) && !errors.Is(err, models.ErrForbidden) {
				t.Errorf("%s: unexpected error %v", tc.name, err)
			}
		}
		if files := storedFiles(t, dir); len(files) != 0 {
			t.Errorf("refused uploads left files: %v", files)
		}
		if _, err := os.Stat("/tmp/pwned.pdf"); err == nil {
			t.Error("path trick wrote outside the data directory")
		}
		n, err := s.DB.NewSelect().Table("uploads").Count(ctx)
		if err != nil || n != 0 {
			t.Errorf("refused uploads left %d rows (%v)", n, err)
		}
		for _, key := range []string{"../../etc/passwd", "..", "", strings.Repeat("a", 31), strings.Repeat("A", 32), "0123456789abcdef0123456789abcde/"} {
			if _, _, err := s.OpenUpload(ctx, key); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("OpenUpload(%q) = %v", key, err)
			}
		}
		s.SetDataDir("")
		if _, err := s.SaveUpload(ctx, mod, 1, "a.pdf", bytes.NewReader(uploadPDF)); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("upload without a data directory: %v", err)
		}
	})
}

// TestUploadStripsImageMetadata: a phone photo is stored without its GPS
// position, camera serial, dates or names (JPEG keeps its orientation),
// its size and SHA-256 are those of what is stored; a PDF is kept as
// sent; a malformed image is refused on the file field and leaves
// nothing behind.
func TestUploadStripsImageMetadata(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		dir, mod := uploadStore(t, s)
		jpegIn, jpegWant := imagemetatest.JPEGWithMetadata(6)
		pngIn, pngWant := imagemetatest.PNGWithMetadata()
		webpIn, webpWant := imagemetatest.WebPWithMetadata()
		pdf := []byte("%PDF-1.7\n1 0 obj << /Author (Jeanne Privee) >> endobj\n%%EOF\n")
		for _, tc := range []struct {
			name     string
			in, want []byte
		}{
			{"photo.jpg", jpegIn, jpegWant},
			{"sheet.png", pngIn, pngWant},
			{"banner.webp", webpIn, webpWant},
			{"doc.pdf", pdf, pdf},
		} {
			u, err := s.SaveUpload(ctx, mod, 1, tc.name, bytes.NewReader(tc.in))
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			sum := sha256.Sum256(tc.want)
			if u.Size != int64(len(tc.want)) || u.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("%s: recorded size %d sha256 %s, want those of the %d stored bytes", tc.name, u.Size, u.SHA256, len(tc.want))
			}
			got, f, err := s.OpenUpload(ctx, u.Key)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(f)
			f.Close()
			if !bytes.Equal(b, tc.want) || got.Size != u.Size || got.SHA256 != u.SHA256 {
				t.Errorf("%s: stored %d bytes, want %d", tc.name, len(b), len(tc.want))
			}
		}
		if files := storedFiles(t, filepath.Join(dir, "uploads", "tmp")); len(files) != 0 {
			t.Errorf("temporary files left: %v", files)
		}
		jpg := imagemetatest.JPEG()
		for name, in := range map[string][]byte{
			"truncated.jpg": jpg[:len(jpg)-2],
			"broken.png":    append(bytes.Clone(pngIn[:40]), bytes.Repeat([]byte{7}, 600)...),
			"broken.webp":   append(bytes.Clone(webpIn[:30]), bytes.Repeat([]byte{7}, 600)...),
		} {
			u, err := s.SaveUpload(ctx, mod, 1, name, bytes.NewReader(in))
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Fields["file"] != "The image is damaged or incomplete." {
				t.Errorf("%s: %+v, %v", name, u, err)
			}
		}
		n, _ := s.DB.NewSelect().Table("uploads").Count(ctx)
		if files := storedFiles(t, dir); len(files) != 4 || n != 4 {
			t.Errorf("refused images left %d files, %d rows: %v", len(files), n, files)
		}
	})
}

// TestStripStoredImages: images stored before odn stripped them at upload
// (here written back as sent, with their record) lose their metadata in
// place, their size and SHA-256 updated; PDFs are not touched; a second
// run changes nothing; an image that cannot be stripped is left as it is,
// reported, and does not stop the others.
func TestStripStoredImages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		dir, mod := uploadStore(t, s)
		jpegIn, jpegWant := imagemetatest.JPEGWithMetadata(6)
		pngIn, pngWant := imagemetatest.PNGWithMetadata()
		webpIn, webpWant := imagemetatest.WebPWithMetadata()
		// asSent stores want through SaveUpload, then puts back the bytes
		// as they were sent, and their record, as an older version did.
		asSent := func(name string, sent, want []byte) *models.Upload {
			t.Helper()
			u, err := s.SaveUpload(ctx, mod, 1, name, bytes.NewReader(want))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "uploads", u.Key[:2], u.Key), sent, 0o640); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(sent)
			if _, err := s.DB.NewUpdate().Table("uploads").Set("size = ?", len(sent)).Set("sha256 = ?", hex.EncodeToString(sum[:])).
				Where("id = ?", u.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			return u
		}
		want := map[int64][]byte{}
		for _, c := range []struct {
			name       string
			sent, want []byte
		}{{"photo.jpg", jpegIn, jpegWant}, {"sheet.png", pngIn, pngWant}, {"banner.webp", webpIn, webpWant}} {
			want[asSent(c.name, c.sent, c.want).ID] = c.want
		}
		pdf := []byte("%PDF-1.7\n1 0 obj << /Author (Jeanne Privee) >> endobj\n%%EOF\n")
		doc, err := s.SaveUpload(ctx, mod, 1, "doc.pdf", bytes.NewReader(pdf))
		if err != nil {
			t.Fatal(err)
		}
		want[doc.ID] = pdf
		jpg := imagemetatest.JPEG()
		broken := asSent("broken.jpg", jpg[:len(jpg)-2], jpg)

		checked, changed, failed, err := s.StripStoredImages(ctx)
		if err != nil || checked != 4 || changed != 3 || len(failed) != 1 {
			t.Fatalf("checked %d, changed %d, failed %v (%v); want 4, 3, one", checked, changed, failed, err)
		}
		for id, w := range want {
			u, err := s.UploadByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			_, f, err := s.OpenUpload(ctx, u.Key)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(f)
			f.Close()
			sum := sha256.Sum256(w)
			if !bytes.Equal(b, w) || u.Size != int64(len(w)) || u.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("%s: %d bytes stored, record %d bytes %s; want the %d stripped bytes", u.Name, len(b), u.Size, u.SHA256, len(w))
			}
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "uploads", broken.Key[:2], broken.Key)); !bytes.Equal(b, jpg[:len(jpg)-2]) {
			t.Error("the image that could not be stripped was changed")
		}
		if _, changed, _, err := s.StripStoredImages(ctx); err != nil || changed != 0 {
			t.Errorf("second run: changed %d (%v), want 0", changed, err)
		}
		if files := storedFiles(t, filepath.Join(dir, "uploads", "tmp")); len(files) != 0 {
			t.Errorf("temporary files left: %v", files)
		}
	})
}

// uploadStore gives s a data directory for uploads, which it returns, and
// a moderator, who may upload.
func uploadStore(t *testing.T, s *models.Store) (string, *models.Account) {
	t.Helper()
	dir := t.TempDir()
	s.SetDataDir(dir)
	mod, err := s.CreateAccount(context.Background(), models.NewAccount{Username: "modo", Password: "long enough password", Role: models.RoleModerator})
	if err != nil {
		t.Fatal(err)
	}
	return dir, mod
}
