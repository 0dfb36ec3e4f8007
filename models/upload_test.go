package models_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

var (
	uploadPNG  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, 64)...)
	uploadPDF  = []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	uploadJPEG = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), bytes.Repeat([]byte{1}, 64)...)
	uploadWebP = append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), bytes.Repeat([]byte{2}, 64)...)
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
		dir := t.TempDir()
		s.SetDataDir(dir)
		mod, _ := s.CreateAccount(ctx, models.NewAccount{Username: "modo", Password: "long enough password", Role: models.RoleModerator})
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
		dir := t.TempDir()
		s.SetDataDir(dir)
		mod, _ := s.CreateAccount(ctx, models.NewAccount{Username: "modo", Password: "long enough password", Role: models.RoleModerator})
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
