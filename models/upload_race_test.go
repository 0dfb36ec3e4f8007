package models_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/opendemocracynow/odn/models"
)

// TestAttachRacesPurge (PostgreSQL; SQLite runs one write transaction at
// a time): an upload old enough and unattached that a transaction is
// attaching (a banner, a document's file) is left alone by the purge and
// by DiscardUpload, which meet it while the transaction is open; the
// upload is there, record and file, once it commits.
func TestAttachRacesPurge(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		if f.s.Dialect != models.Postgres {
			t.Skip("SQLite runs one write transaction at a time")
		}
		ctx := context.Background()
		first, err := f.s.SaveUpload(ctx, f.mod, f.space.ID, "first.pdf", bytes.NewReader(uploadPDF))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := f.s.AddDocument(ctx, f.mod, f.c.ID, models.DocumentInput{Kind: models.DocFile, Title: "Plan", UploadID: &first.ID})
		if err != nil {
			t.Fatal(err)
		}
		attaches := []struct {
			name   string
			file   string
			data   []byte
			attach func(ctx context.Context, tx bun.Tx, id int64) error
		}{
			{"banner", "banner.png", uploadPNG, func(ctx context.Context, tx bun.Tx, id int64) error {
				if err := models.CheckBanner(ctx, tx, f.space.ID, &id); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, "UPDATE consultations SET banner_id = ?, banner_alt = 'x' WHERE id = ?", id, f.c.ID)
				return err
			}},
			{"document's file", "plan.pdf", uploadPDF, func(ctx context.Context, tx bun.Tx, id int64) error {
				if err := models.CheckUpload(ctx, tx, f.space.ID, &id); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, "UPDATE consultation_documents SET upload_id = ? WHERE id = ?", id, doc.ID)
				return err
			}},
		}
		removes := []struct {
			name   string
			remove func(ctx context.Context, u *models.Upload) error
		}{
			{"purge", func(ctx context.Context, _ *models.Upload) error { _, err := f.s.PurgeUploads(ctx); return err }},
			{"discard", func(ctx context.Context, u *models.Upload) error {
				gone, err := f.s.DiscardUpload(ctx, u)
				if gone {
					return errors.New("discarded")
				}
				return err
			}},
		}
		for _, a := range attaches {
			for _, r := range removes {
				u, err := f.s.SaveUpload(ctx, f.mod, f.space.ID, a.file, bytes.NewReader(a.data))
				if err != nil {
					t.Fatal(err)
				}
				f.clock.Set(f.clock.Now().Add(models.UploadGrace + time.Hour))
				tx, err := f.s.DB.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := a.attach(ctx, tx, u.ID); err != nil {
					tx.Rollback()
					t.Fatalf("%s: attach: %v", a.name, err)
				}
				// The purge must neither wait for the attach nor take it.
				rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err = r.remove(rctx, u)
				cancel()
				if cerr := tx.Commit(); cerr != nil {
					t.Fatal(cerr)
				}
				if err != nil {
					t.Errorf("%s during the attach of a %s: %v", r.name, a.name, err)
				}
				_, file, err := f.s.OpenUpload(ctx, u.Key)
				if file != nil {
					file.Close()
				}
				if err != nil {
					t.Errorf("%s during the attach of a %s: the upload is %v once attached", r.name, a.name, err)
				}
			}
		}
	})
}

// TestAttachAfterPurgeRefused (PostgreSQL): an attach that comes while
// the purge holds and deletes the upload waits for it, then finds no
// upload and is refused (a 422), instead of pointing to a deleted one.
func TestAttachAfterPurgeRefused(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		if f.s.Dialect != models.Postgres {
			t.Skip("SQLite runs one write transaction at a time")
		}
		ctx := context.Background()
		u, err := f.s.SaveUpload(ctx, f.mod, f.space.ID, "banner.png", bytes.NewReader(uploadPNG))
		if err != nil {
			t.Fatal(err)
		}
		// The purge's transaction (deleteUnattached), held open.
		tx, err := f.s.DB.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "SELECT id FROM uploads WHERE id = ? FOR UPDATE SKIP LOCKED", u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM uploads WHERE id = ?", u.ID); err != nil {
			t.Fatal(err)
		}
		in := consInput(consT0)
		in.BannerID, in.BannerAlt = &u.ID, "The square"
		done := make(chan error, 1)
		go func() {
			_, err := f.s.UpdateConsultation(ctx, f.mod, f.c.ID, in)
			done <- err
		}()
		// Commit once the attach waits for the row (or has finished: the
		// bug this test is about).
		var err2 error
		waited := false
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !waited; time.Sleep(20 * time.Millisecond) {
			var n int
			if err2 = f.s.DB.NewRaw("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()").Scan(ctx, &n); err2 != nil {
				t.Fatal(err2)
			}
			waited = n > 0
			if len(done) > 0 {
				break
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		err = <-done
		var ve *models.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("attach after the purge: %v (waited %v), want a refusal", err, waited)
		}
		c, err := f.s.ConsultationByID(ctx, f.c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.BannerID != nil {
			t.Errorf("the consultation points to the deleted upload %d", *c.BannerID)
		}
	})
}
