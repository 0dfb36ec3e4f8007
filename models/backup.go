package models

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrBackupPostgres is BackupDatabase's answer on PostgreSQL, whose own
// tools (pg_dump) make consistent copies.
var ErrBackupPostgres = errors.New("odn backs up SQLite databases; back up PostgreSQL with pg_dump (docs/admin.md)")

// BackupDatabase writes a consistent copy of the SQLite database to dest,
// a file that must not exist yet, while the server may keep running:
// VACUUM INTO reads one snapshot (the WAL's recent writes included, which
// a copy of odn.db alone would miss) and writes it compacted. The copy is
// then opened on its own and checked (PRAGMA integrity_check); a copy that
// fails is removed. It returns the copy's size.
func (s *Store) BackupDatabase(ctx context.Context, dest string) (int64, error) {
	if s.Dialect != SQLite {
		return 0, ErrBackupPostgres
	}
	if _, err := os.Lstat(dest); err == nil {
		return 0, fmt.Errorf("back up database: %s already exists", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("back up database: %w", err)
	}
	if _, err := s.DB.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		os.Remove(dest) //nolint:errcheck // a partial copy, if any
		return 0, fmt.Errorf("back up database: %w", err)
	}
	if err := checkSQLiteFile(ctx, dest); err != nil {
		os.Remove(dest) //nolint:errcheck // a copy that does not check is no backup
		return 0, fmt.Errorf("back up database: the copy %w", err)
	}
	st, err := os.Stat(dest)
	if err != nil {
		return 0, fmt.Errorf("back up database: %w", err)
	}
	return st.Size(), nil
}

// checkSQLiteFile opens the database file path read-only, apart from any
// pool, and runs SQLite's integrity check on it.
func checkSQLiteFile(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("cannot be read: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("fails its integrity check: %s", strings.Join(problems, "; "))
	}
	return nil
}

// ArchiveUploads writes the uploaded files (the data directory's uploads/,
// without its temporary files nor those the purge took, uploads/orphaned/) to w as a gzipped tar whose paths start
// with uploads/, as they lie in the data directory: restoring is
// unpacking it there. It returns how many files it wrote.
func (s *Store) ArchiveUploads(ctx context.Context, w io.Writer) (int, error) {
	if s.dataDir == "" {
		return 0, errors.New("archive uploads: no data directory")
	}
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	n := 0
	// uploads/ is often a link to another volume: WalkDir does not follow
	// its root when it is a link, and the archive came out empty.
	root := filepath.Join(s.dataDir, "uploads")
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case errors.Is(err, fs.ErrNotExist) && path == root:
			return fs.SkipAll // nothing uploaded yet
		case err != nil:
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		case d.IsDir() && path == filepath.Join(root, "tmp"):
			return fs.SkipDir // uploads being received, or left by a crash
		case d.IsDir() && path == filepath.Join(root, orphanedDir):
			return fs.SkipDir // files the purge took, kept a while to undo a mistake
		case d.IsDir() || !d.Type().IsRegular():
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if err := addToTar(tw, path, "uploads/"+filepath.ToSlash(rel)); err != nil {
			return err
		}
		n++
		return nil
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return n, fmt.Errorf("archive uploads: %w", err)
	}
	return n, nil
}

// addToTar writes the file at path into tw under name.
func addToTar(tw *tar.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	hdr, err := tar.FileInfoHeader(info, "")
	if err != nil {
		return err
	}
	hdr.Name, hdr.Uname, hdr.Gname = name, "", ""
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	// A file that changed size since Stat fails the copy (tar refuses
	// more or fewer bytes than its header), rather than archiving a torn
	// file: uploads are written once, under a new name.
	_, err = io.Copy(tw, f)
	return err
}
