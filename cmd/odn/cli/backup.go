package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraCommands["backup"] = runBackup
}

// runBackup writes into DIR a consistent copy of the SQLite database,
// checked (models.Store.BackupDatabase), and a gzipped tar of the
// uploaded files (models.Store.ArchiveUploads), named by the time, while
// the server keeps running. It neither migrates nor changes the database,
// and needs no sqlite3 program: it works in the container image, which
// has none. On PostgreSQL it says to use pg_dump (exit 2). Exit code 1: a
// copy failed, and nothing of this run is left in DIR.
func runBackup(ctx context.Context, args []string, env Env) error {
	return dbCommandWith(ctx, "backup", args, env, nil, openStoreAsIs, func(ctx context.Context, st *models.Store, cfg *Config, fs *flagSet) error {
		dir, err := oneName(fs, "backup directory")
		if err != nil {
			return err
		}
		if st.Dialect != models.SQLite {
			return usagef("%v", models.ErrBackupPostgres)
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("backup directory: %w", err)
		}
		st.SetDataDir(cfg.Data)
		stamp := time.Now().UTC().Format("20060102T150405Z")
		dbPath := filepath.Join(dir, "odn-"+stamp+".db")
		filesPath := filepath.Join(dir, "odn-"+stamp+"-uploads.tar.gz")
		size, err := st.BackupDatabase(ctx, dbPath)
		if err != nil {
			return err
		}
		files, filesSize, err := archiveUploads(ctx, st, filesPath)
		if err != nil {
			os.Remove(dbPath) //nolint:errcheck // half a backup is no backup
			return err
		}
		fmt.Fprintf(env.Stdout, "database: %s (%d bytes, integrity ok)\nuploads:  %s (%d files, %d bytes)\n",
			dbPath, size, filesPath, files, filesSize)
		return nil
	})
}

// archiveUploads writes the uploads' archive to path, a new file, and
// removes it when writing fails.
func archiveUploads(ctx context.Context, st *models.Store, path string) (files int, size int64, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return 0, 0, fmt.Errorf("uploads archive: %w", err)
	}
	files, err = st.ArchiveUploads(ctx, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		var info os.FileInfo
		if info, err = os.Stat(path); err == nil {
			return files, info.Size(), nil
		}
	}
	return 0, 0, errors.Join(err, os.Remove(path))
}
