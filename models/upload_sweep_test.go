package models_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
		// A purge now sees loose and deleted shown nowhere: their grace
		// starts (and nothing is old enough yet).
		if n, err := f.s.PurgeUploads(ctx); n != 0 || err != nil {
			t.Fatalf("first purge: %d %v, want nothing", n, err)
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
		// The files taken wait in uploads/orphaned/<day>/ for OrphanKeep,
		// to be moved back after a mistake.
		day := filepath.Join(dir, "uploads", "orphaned", f.clock.Now().UTC().Format(time.DateOnly))
		for _, k := range []string{loose.Key, deleted.Key, filepath.Base(orphan)} {
			if _, err := os.Stat(filepath.Join(day, k)); err != nil {
				t.Errorf("%s not in quarantine: %v", k, err)
			}
		}
		if n, err := f.s.PurgeUploads(ctx); n != 0 || err != nil {
			t.Errorf("second purge: %d %v, want nothing", n, err)
		}
		f.clock.Set(f.clock.Now().Add(models.OrphanKeep - time.Hour))
		// fresh, freshOrphan and freshTmp are old enough by now.
		if n, err := f.s.PurgeUploads(ctx); err != nil || n != 3 {
			t.Errorf("purge before OrphanKeep: %d %v, want 3 (fresh's record, an orphan and a temporary file), the quarantine kept", n, err)
		}
		if _, err := os.Stat(day); err != nil {
			t.Errorf("quarantine before OrphanKeep: %v, want kept", err)
		}
		f.clock.Set(f.clock.Now().Add(25 * time.Hour))
		if n, err := f.s.PurgeUploads(ctx); err != nil || n != 3 {
			t.Errorf("purge after OrphanKeep: %d %v, want the 3 files of the first quarantine deleted", n, err)
		}
		if _, err := os.Stat(day); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("quarantine of the first purge after OrphanKeep: %v, want gone", err)
		}
	})
}

// TestPurgeUploadsBrake: stored files the database does not know are
// moved aside only when they look like a crash's leftovers; when the
// uploads table is empty, or many of the old files are unknown (a wrong
// or half restored database, another instance's data directory), the
// purge moves none and says why.
func TestPurgeUploadsBrake(t *testing.T) {
	for _, tc := range []struct {
		name    string
		known   int    // attached uploads
		unknown int    // old files with no record
		wantErr string // "" when the unknown files are moved
	}{
		{"a crash's leftovers", 1, 3, ""},
		{"empty uploads table", 0, 3, "uploads table is empty"},
		{"many unknown files", 1, 11, "11 of 12 old stored files have no record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			consEach(t, func(t *testing.T, f *consFixture) {
				ctx := context.Background()
				dir := t.TempDir()
				f.s.SetDataDir(dir)
				for i := range tc.known {
					u, err := f.s.SaveUpload(ctx, f.mod, f.space.ID, "doc.pdf", bytes.NewReader(uploadPDF))
					if err != nil {
						t.Fatal(err)
					}
					if _, err := f.s.AddDocument(ctx, f.mod, f.c.ID, models.DocumentInput{Kind: models.DocFile, Title: fmt.Sprint("Doc ", i), UploadID: &u.ID}); err != nil {
						t.Fatal(err)
					}
				}
				old := f.clock.Now()
				var unknown []string
				for i := range tc.unknown {
					key := fmt.Sprintf("ab%030x", i)
					p := filepath.Join(dir, "uploads", "ab", key)
					if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, uploadPDF, 0o600); err != nil {
						t.Fatal(err)
					}
					if err := os.Chtimes(p, old, old); err != nil {
						t.Fatal(err)
					}
					unknown = append(unknown, p)
				}
				f.clock.Set(old.Add(models.UploadGrace + time.Hour))
				n, err := f.s.PurgeUploads(ctx)
				if tc.wantErr == "" {
					if err != nil || n != int64(tc.unknown) {
						t.Errorf("purge: %d %v, want %d moved", n, err, tc.unknown)
					}
				} else if err == nil || !strings.Contains(err.Error(), tc.wantErr) || n != 0 {
					t.Errorf("purge: %d %v, want nothing moved and %q", n, err, tc.wantErr)
				}
				for _, p := range unknown {
					if _, err := os.Stat(p); (err == nil) != (tc.wantErr != "") {
						t.Errorf("%s: %v, want kept %v", p, err, tc.wantErr != "")
					}
				}
			})
		})
	}
}

// TestPurgeUploadsGraceFromDetachment: an upload's grace runs from when
// the purge first sees it shown nowhere, not from its creation: a file
// uploaded long ago and detached today stays a grace longer; and an
// upload attached again starts a new grace when detached.
func TestPurgeUploadsGraceFromDetachment(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		f.s.SetDataDir(t.TempDir())
		u, err := f.s.SaveUpload(ctx, f.mod, f.space.ID, "plan.pdf", bytes.NewReader(uploadPDF))
		if err != nil {
			t.Fatal(err)
		}
		kept := func(when string, want bool) {
			t.Helper()
			if _, err := f.s.PurgeUploads(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.UploadByID(ctx, u.ID); (err == nil) != want {
				t.Errorf("%s: %v, want kept %v", when, err, want)
			}
		}
		attach := func() *models.Document {
			t.Helper()
			d, err := f.s.AddDocument(ctx, f.mod, f.c.ID, models.DocumentInput{Kind: models.DocFile, Title: "Plan", UploadID: &u.ID})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		detach := func(d *models.Document) {
			t.Helper()
			if err := f.s.DeleteDocument(ctx, f.mod, d.ID); err != nil {
				t.Fatal(err)
			}
		}
		step := func(d time.Duration) { f.clock.Set(f.clock.Now().Add(d)) }
		kept("new, unattached: its grace starts", true)
		step(time.Hour)
		d := attach()
		kept("attached", true)
		step(3 * models.UploadGrace)
		detach(d)
		kept("detached long after its creation", true)
		step(models.UploadGrace - time.Hour)
		kept("detached less than a grace ago", true)
		step(2 * time.Hour)
		kept("detached more than a grace ago", false)
	})
}

// TestPurgeUploadsOneNodeAtATime: on PostgreSQL, a node whose hourly
// purge finds another node's purge running skips its round (nothing
// removed, no error), and purges as usual once the other is done.
func TestPurgeUploadsOneNodeAtATime(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		if f.s.Dialect != models.Postgres {
			t.Skip("one node per SQLite database")
		}
		ctx := context.Background()
		f.s.SetDataDir(t.TempDir())
		u, err := f.s.SaveUpload(ctx, f.mod, f.space.ID, "plan.pdf", bytes.NewReader(uploadPDF))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.PurgeUploads(ctx); err != nil { // its grace starts
			t.Fatal(err)
		}
		f.clock.Set(f.clock.Now().Add(2 * models.UploadGrace))
		other, err := f.s.DB.DB.Conn(ctx) // the other node's session
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		const lock = 0x6f646e2d75706c73 // "odn-upls", models.purgeUploadsLock
		if _, err := other.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lock); err != nil {
			t.Fatal(err)
		}
		if n, err := f.s.PurgeUploads(ctx); n != 0 || err != nil {
			t.Fatalf("purge while another runs: %d %v, want a skipped round", n, err)
		}
		if _, err := f.s.UploadByID(ctx, u.ID); err != nil {
			t.Fatalf("upload after a skipped round: %v", err)
		}
		if _, err := other.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", lock); err != nil {
			t.Fatal(err)
		}
		if n, err := f.s.PurgeUploads(ctx); n != 1 || err != nil {
			t.Fatalf("purge after the other: %d %v, want 1", n, err)
		}
		if _, err := f.s.UploadByID(ctx, u.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("upload after the purge: %v, want not found", err)
		}
	})
}
