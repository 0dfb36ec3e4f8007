package models

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// UploadGrace is how old a stored file nothing points to must be before
// PurgeUploads removes it. An upload is written, renamed into place,
// recorded and attached within one request (well under a minute); the
// grace also covers the clocks of several nodes sharing the data
// directory, and a network file system setting modification times by its
// own clock, so a file another node is still recording is never taken.
const UploadGrace = 24 * time.Hour

// uploadRefs are the columns that point to an upload: an upload none of
// them points to is shown nowhere (TestUploadRefsCoverSchema keeps the
// list whole).
var uploadRefs = []struct{ table, column string }{
	{"consultation_documents", "upload_id"},
	{"consultations", "banner_id"},
	{"workshop_contributions", "sheet_id"},
	{"accounts", "avatar_id"},
}

// whereUnattached restricts q to the uploads no row points to. Each
// subquery is uncorrelated (read once, on either database), and keeps
// out NULL, which would make NOT IN match nothing.
func whereUnattached(q *bun.DeleteQuery) *bun.DeleteQuery {
	for _, r := range uploadRefs {
		q = q.Where("id NOT IN (SELECT ? FROM ? WHERE ? IS NOT NULL)", bun.Ident(r.column), bun.Ident(r.table), bun.Ident(r.column))
	}
	return q
}

// DiscardUpload removes u, record and file, unless a row points to it:
// the web door calls it once a request that stored u is over, so that a
// file whose document, banner or sheet was refused (or whose request
// failed after the upload) does not stay stored and reachable at its
// /media/ address. An attached upload is left alone; it reports whether
// u was removed.
func (s *Store) DiscardUpload(ctx context.Context, u *Upload) (bool, error) {
	if u == nil {
		return false, nil
	}
	res, err := whereUnattached(s.DB.NewDelete().Model((*Upload)(nil)).Where("id = ?", u.ID)).Exec(ctx)
	if err != nil {
		return false, dbErr("discard upload", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, dbErr("discard upload", err)
	}
	s.removeUploadFile(u.Key)
	return true, nil
}

// PurgeUploads removes what an interrupted upload left behind, once
// older than UploadGrace: uploads no row points to (a crash between the
// upload's record and the row that shows it, a deleted document, a
// replaced banner), record and file; stored files with no record (a
// crash between the file's rename and its record); and temporary files
// of uploads/tmp (a crash while receiving). The server calls it hourly;
// several nodes sharing the data directory may run it at once. It
// returns how many records and files it removed.
func (s *Store) PurgeUploads(ctx context.Context) (int64, error) {
	before := s.Now().Add(-UploadGrace)
	var keys []string
	err := whereUnattached(s.DB.NewDelete().Model((*Upload)(nil)).Where("created_at < ?", before)).
		Returning("key").Scan(ctx, &keys)
	if err != nil {
		return 0, dbErr("purge uploads", err)
	}
	for _, k := range keys {
		s.removeUploadFile(k)
	}
	n := int64(len(keys))
	if s.dataDir == "" {
		return n, nil
	}
	files, err := s.purgeUploadFiles(ctx, before)
	return n + files, err
}

// purgeUploadFiles removes the stored files modified before before that
// have no record, and the temporary files modified before before.
func (s *Store) purgeUploadFiles(ctx context.Context, before time.Time) (int64, error) {
	root := filepath.Join(s.dataDir, "uploads")
	old := map[string]string{} // key → path, files old enough
	var n int64
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // no upload yet, or removed meanwhile by another node
			}
			return err
		}
		if d.IsDir() {
			if path != root && filepath.Dir(path) != root {
				return filepath.SkipDir // only uploads/ab/ and uploads/tmp/
			}
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.ModTime().Before(before) {
			return nil // removed meanwhile, or recent
		}
		switch dir, name := filepath.Base(filepath.Dir(path)), d.Name(); {
		case dir == "tmp" && strings.HasPrefix(name, "up-"):
			if os.Remove(path) == nil {
				n++
			}
		case uploadKeyRE.MatchString(name) && dir == name[:2]:
			old[name] = path
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("purge upload files: %w", err)
	}
	if len(old) == 0 {
		return n, nil
	}
	// Read after the walk: a record inserted before the file was seen
	// is known here, and a file old enough was recorded long ago if ever.
	var known []string
	if err := s.DB.NewSelect().Model((*Upload)(nil)).Column("key").Scan(ctx, &known); err != nil {
		return n, dbErr("purge upload files", err)
	}
	for _, k := range known {
		delete(old, k)
	}
	for _, path := range old {
		if os.Remove(path) == nil {
			n++
		}
	}
	return n, nil
}
