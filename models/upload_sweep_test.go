package models_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestDiscardUpload: an upload nothing points to is removed, record and
// file (its /media/ address answers 404); one a document points to is
// left alone.
func TestDiscardUpload(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		f.s.SetDataDir(t.TempDir())
		loose, err := f.s.SaveUpload(ctx, f.mod, f.space.ID, "loose.pdf", bytes.NewReader(uploadPDF))
		if err != nil {
			t.Fatal(err)
		}
		kept, err := f.s.SaveUpload(ctx, f.mod, f.space.ID, "kept.pdf", bytes.NewReader(uploadPDF))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.AddDocument(ctx, f.mod, f.c.ID, models.DocumentInput{Kind: models.DocFile, Title: "Kept", UploadID: &kept.ID}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			u       *models.Upload
			removed bool
		}{{loose, true}, {kept, false}, {loose, false}} {
			got, err := f.s.DiscardUpload(ctx, tc.u)
			if err != nil || got != tc.removed {
				t.Errorf("discard %s: %v %v, want %v", tc.u.Name, got, err, tc.removed)
			}
			_, file, err := f.s.OpenUpload(ctx, tc.u.Key)
			if file != nil {
				file.Close()
			}
			if gone := errors.Is(err, models.ErrNotFound); gone != (tc.u == loose) {
				t.Errorf("%s after discard: %v", tc.u.Name, err)
			}
		}
	})
}

// TestPurgeUploads: the hourly purge removes, once older than
// UploadGrace, the uploads nothing points to (record and file), the
// stored files without a record and the temporary files; it keeps
// whatever is attached (document, banner, workshop sheet, avatar), and
// whatever is recent, which another node may still be recording.
func TestPurgeUploads(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		dir := t.TempDir()
		f.s.SetDataDir(dir)
		f.at(15) // contribution phase: workshops may be recorded
		save := func(name string, data []byte) *models.Upload {
			t.Helper()
			u, err := f.s.SaveUpload(ctx, f.mod, f.space.ID, name, bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		doc, banner, sheet, loose, deleted := save("doc.pdf", uploadPDF), save("banner.png", uploadPNG), save("sheet.pdf", uploadPDF),
			save("loose.pdf", uploadPDF), save("deleted.pdf", uploadPDF)
		if _, err := f.s.AddDocument(ctx, f.mod, f.c.ID, models.DocumentInput{Kind: models.DocFile, Title: "Plan", UploadID: &doc.ID}); err != nil {
			t.Fatal(err)
		}
		d, err := f.s.AddDocument(ctx, f.mod, f.c.ID, models.DocumentInput{Kind: models.DocFile, Title: "Old plan", UploadID: &deleted.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeleteDocument(ctx, f.mod, d.ID); err != nil {
			t.Fatal(err)
		}
		in := consInput(consT0)
		in.BannerID, in.BannerAlt = &banner.ID, "The square"
		if _, err := f.s.UpdateConsultation(ctx, f.mod, f.c.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.RecordWorkshopContribution(ctx, f.mod, f.c.ID, models.WorkshopInput{Title: "Evening at the school",
			Body: "We met.", HeldAt: consT0.Add(12 * 24 * time.Hour), Place: "School", Participants: 12, SheetID: &sheet.ID}); err != nil {
			t.Fatal(err)
		}
		ana, err := f.s.SetAvatar(ctx, f.citizens[0], "me.png", bytes.NewReader(uploadPNG))
		if err != nil {
			t.Fatal(err)
		}
		avatar, err := f.s.UploadByID(ctx, *ana.AvatarID)
		if err != nil {
			t.Fatal(err)
		}
		// Files a crash left: stored without a record, and half received.
		old := f.clock.Now().Add(-time.Minute)
		file := func(rel string, mtime time.Time) string {
			t.Helper()
			p := filepath.Join(dir, "uploads", rel)
			if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, uploadPDF, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, mtime, mtime); err != nil {
				t.Fatal(err)
			}
			return p
		}
		orphan, tmp := file("ab/ab000000000000000000000000000001", old), file("tmp/up-123", old)
		other := file("ab/notes.txt", old) // not odn's: left alone
		// Recent ones, a grace later: another node may be recording them.
		f.clock.Set(f.clock.Now().Add(models.UploadGrace + time.Minute))
		fresh := save("fresh.pdf", uploadPDF)
		now := f.clock.Now()
		freshOrphan, freshTmp := file("cd/cd000000000000000000000000000002", now), file("tmp/up-456", now)

		n, err := f.s.PurgeUploads(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 4 {
			t.Errorf("purged %d, want 4 (two records and their files count once each, an orphan file, a temporary one)", n)
		}
		for _, tc := range []struct {
			u    *models.Upload
			kept bool
		}{{doc, true}, {banner, true}, {sheet, true}, {avatar, true}, {fresh, true}, {loose, false}, {deleted, false}} {
			_, file, err := f.s.OpenUpload(ctx, tc.u.Key)
			if file != nil {
				file.Close()
			}
			if (err == nil) != tc.kept {
				t.Errorf("%s: %v, want kept %v", tc.u.Name, err, tc.kept)
			}
			if _, err := f.s.UploadByID(ctx, tc.u.ID); (err == nil) != tc.kept {
				t.Errorf("%s's record: %v, want kept %v", tc.u.Name, err, tc.kept)
			}
		}
		for p, kept := range map[string]bool{orphan: false, tmp: false, other: true, freshOrphan: true, freshTmp: true} {
			if _, err := os.Stat(p); (err == nil) != kept {
				t.Errorf("%s: %v, want kept %v", p, err, kept)
			}
		}
		if n, err := f.s.PurgeUploads(ctx); n != 0 || err != nil {
			t.Errorf("second purge: %d %v, want nothing", n, err)
		}
	})
}
