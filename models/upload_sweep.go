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

// OrphanKeep is how long a stored file the purge took stays in
// uploads/orphaned/ before it is deleted for good: long enough for a
// mistake (a node started on the wrong database, a restore older than
// the files) to be seen and undone by moving the files back
// (docs/admin.md, "Uploads").
const OrphanKeep = 30 * 24 * time.Hour

// orphanedDir is the folder, under uploads/, where the purge moves the
// files it takes, one subfolder per day (2006-01-02).
const orphanedDir = "orphaned"

// whereUnattached restricts q to the uploads no row points to. Each
// subquery is uncorrelated (read once, on either database), and keeps
// out NULL, which would make NOT IN match nothing.
func whereUnattached[Q interface{ Where(string, ...any) Q }](q Q) Q {
	for _, r := range uploadRefs {
		q = q.Where("id NOT IN (SELECT ? FROM ? WHERE ? IS NOT NULL)", bun.Ident(r.column), bun.Ident(r.table), bun.Ident(r.column))
	}
	return q
}

// deleteUnattached deletes the record of upload id unless a row points
// to it or, before not zero, unless it was created or seen unattached
// first (unattached_since) since; it returns the
// deleted upload's key, "" when none was deleted. On PostgreSQL it first
// locks the row (FOR UPDATE), skipping it when an attaching transaction
// holds it (lockUpload), then checks the references in a statement of
// its own: its snapshot, taken once the row is locked, sees every attach
// committed before, and an attach after it waits for the commit and then
// finds no row. SQLite runs one write transaction at a time.
func (s *Store) deleteUnattached(ctx context.Context, id int64, before time.Time) (string, error) {
	del := func(ctx context.Context, db bun.IDB) (string, error) {
		q := whereUnattached(db.NewDelete().Model((*Upload)(nil)).Where("id = ?", id))
		if !before.IsZero() {
			q = q.Where("created_at < ? AND unattached_since < ?", before, before)
		}
		var keys []string
		if err := q.Returning("key").Scan(ctx, &keys); err != nil || len(keys) == 0 {
			return "", err
		}
		return keys[0], nil
	}
	if s.Dialect != Postgres {
		return del(ctx, s.DB)
	}
	var key string
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var ids []int64
		err := tx.NewSelect().Model((*Upload)(nil)).Column("id").Where("id = ?", id).For("UPDATE SKIP LOCKED").Scan(ctx, &ids)
		if err != nil || len(ids) == 0 {
			return err // gone, or being attached
		}
		key, err = del(ctx, tx)
		return err
	})
	return key, err
}

// DiscardUpload removes u, record and file, unless a row points to it:
// the web door calls it once a request that stored u is over, so that a
// file whose document, banner or sheet was refused (or whose request
// failed after the upload) does not stay stored and reachable at its
// /media/ address. An attached upload, or one a transaction is attaching
// at that moment, is left alone; it reports whether u was removed.
func (s *Store) DiscardUpload(ctx context.Context, u *Upload) (bool, error) {
	if u == nil {
		return false, nil
	}
	key, err := s.deleteUnattached(ctx, u.ID, time.Time{})
	if err != nil || key == "" {
		return false, dbErr("discard upload", err)
	}
	s.removeUploadFile(key)
	return true, nil
}

// PurgeUploads takes what is shown nowhere any more, once older than
// UploadGrace: uploads no row has pointed to for that long (a crash
// between the upload's record and the row that shows it, a deleted
// document, a replaced banner), record and file; stored files with no record (a crash between
// the file's rename and its record); and temporary files of uploads/tmp
// (a crash while receiving). The files of the first two kinds are moved
// to uploads/orphaned/ and deleted OrphanKeep later, and the files with
// no record are left alone when they look like a wrong database rather
// than a crash (purgeUploadFiles). The server calls it hourly; on
// PostgreSQL, when several nodes share the database and the data
// directory, one of them purges at a time (purgeUploadsLock) and the
// others skip the round. It returns how many records and files it
// removed or moved.
func (s *Store) PurgeUploads(ctx context.Context) (int64, error) {
	if s.Dialect != Postgres {
		return s.purgeUploads(ctx)
	}
	// Two nodes purging at once would race on the same rows (each
	// statement locks them in its own order) and on the same files (a
	// quarantine rename against an expiry); the second gains nothing the
	// first does not do. A session lock on a connection of its own,
	// tried rather than waited for: the hourly round of another node is
	// as good as this one's.
	conn, err := s.DB.DB.Conn(ctx)
	if err != nil {
		return 0, dbErr("purge uploads: lock", err)
	}
	var mine bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", purgeUploadsLock).Scan(&mine); err != nil {
		discardConn(conn) // the lock may have been granted: end the session
		return 0, dbErr("purge uploads: lock", err)
	}
	if !mine {
		conn.Close()
		return 0, nil
	}
	defer func() {
		var unlocked bool
		err := conn.QueryRowContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", purgeUploadsLock).Scan(&unlocked)
		if err != nil || !unlocked {
			// Not this session's lock any more (a pooler in transaction
			// mode hands sessions around): ending the session is what
			// releases it then.
			discardConn(conn)
			return
		}
		conn.Close()
	}()
	return s.purgeUploads(ctx)
}

// purgeUploadsLock is the PostgreSQL advisory lock ("odn-upls") a node
// holds while it purges uploads (PurgeUploads).
const purgeUploadsLock int64 = 0x6f646e2d75706c73

func (s *Store) purgeUploads(ctx context.Context) (int64, error) {
	now := s.Now()
	before := now.Add(-UploadGrace)
	// The grace of an upload runs from when it is first seen shown
	// nowhere (unattached_since), and starts again if it is attached
	// meanwhile. On PostgreSQL the rows an attach holds (lockUpload) are
	// skipped, not waited for: the next purge sees them.
	mark := whereUnattached(s.DB.NewSelect().Model((*Upload)(nil)).Column("id").Where("unattached_since IS NULL"))
	unmark := s.DB.NewSelect().Model((*Upload)(nil)).Column("id").Where("unattached_since IS NOT NULL").
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			for _, r := range uploadRefs {
				q = q.WhereOr("id IN (SELECT ? FROM ?)", bun.Ident(r.column), bun.Ident(r.table))
			}
			return q
		})
	for _, m := range []struct {
		rows  *bun.SelectQuery
		since *time.Time
	}{{mark, &now}, {unmark, nil}} {
		if s.Dialect == Postgres {
			m.rows = m.rows.For("UPDATE SKIP LOCKED")
		}
		_, err := s.DB.NewUpdate().Model((*Upload)(nil)).Set("unattached_since = ?", m.since).Where("id IN (?)", m.rows).Exec(ctx)
		if err != nil {
			return 0, dbErr("purge uploads: mark", err)
		}
	}
	var ids []int64
	err := whereUnattached(s.DB.NewSelect().Model((*Upload)(nil)).Column("id").
		Where("created_at < ? AND unattached_since < ?", before, before)).Order("id").Scan(ctx, &ids)
	if err != nil {
		return 0, dbErr("purge uploads", err)
	}
	var n int64
	for _, id := range ids {
		key, err := s.deleteUnattached(ctx, id, before)
		if err != nil {
			return n, dbErr("purge uploads", err)
		}
		if key != "" {
			s.quarantineUploadFile(key)
			n++
		}
	}
	if s.dataDir == "" {
		return n, nil
	}
	gone, err := s.expireOrphaned()
	n += gone
	if err != nil {
		return n, err
	}
	files, err := s.purgeUploadFiles(ctx, before)
	return n + files, err
}

// quarantineUploadFile moves the stored file of key to today's folder of
// uploads/orphaned/ (a rename: the same file system), and reports whether
// it did.
func (s *Store) quarantineUploadFile(key string) bool {
	p, err := s.uploadPath(key)
	if err != nil || s.dataDir == "" {
		return false
	}
	dir := filepath.Join(s.dataDir, "uploads", orphanedDir, s.Now().UTC().Format(time.DateOnly))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return false
	}
	return os.Rename(p, filepath.Join(dir, key)) == nil
}

// expireOrphaned deletes the days of uploads/orphaned/ older than
// OrphanKeep and returns how many files they held.
func (s *Store) expireOrphaned() (int64, error) {
	root := filepath.Join(s.dataDir, "uploads", orphanedDir)
	days, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("expire orphaned uploads: %w", err)
	}
	var n int64
	limit := s.Now().Add(-OrphanKeep)
	for _, d := range days {
		day, err := time.Parse(time.DateOnly, d.Name())
		// A day's folder is filled until its end: it expires OrphanKeep after.
		if err != nil || !d.IsDir() || !day.Add(24*time.Hour).Before(limit) {
			continue
		}
		p := filepath.Join(root, d.Name())
		files, _ := os.ReadDir(p)
		if err := os.RemoveAll(p); err != nil {
			return n, fmt.Errorf("expire orphaned uploads: %w", err)
		}
		n += int64(len(files))
	}
	return n, nil
}

// orphanBrake is how many stored files with no record the purge moves
// at most without a question: more, and more than a tenth of the old
// files, look like a wrong or half restored database, not a crash.
const orphanBrake = 10

// purgeUploadFiles moves to uploads/orphaned/ the stored files modified
// before before that have no record, and removes the temporary files
// modified before before. It moves none, and says why, when the uploads
// table is empty while old files exist, or when more than orphanBrake
// old files, and more than a tenth of them, have no record: the node
// then more likely runs on the wrong database (an empty or partial
// restore, another instance's data directory) than after a crash.
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
			if path != root && (filepath.Dir(path) != root || d.Name() == orphanedDir) {
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
	total := len(old)
	for _, k := range known {
		delete(old, k)
	}
	switch {
	case len(known) == 0:
		return n, fmt.Errorf("purge upload files: skipped: the uploads table is empty but %d stored files exist; is this the right database? (docs/admin.md, \"Uploads\")", total)
	case len(old) > orphanBrake && len(old)*10 > total:
		return n, fmt.Errorf("purge upload files: skipped: %d of %d old stored files have no record; is this the right database? (docs/admin.md, \"Uploads\")", len(old), total)
	}
	for k := range old {
		if s.quarantineUploadFile(k) {
			n++
		}
	}
	return n, nil
}
