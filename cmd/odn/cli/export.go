package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraCommands["export"] = runExport
}

// runExport writes a space's open data (or one item's):
//
//	odn export SPACE --format json|zip [--out FILE]
//	odn export SPACE --format csv --table proposals [--out FILE]
//	odn export SPACE --format csv --out DIR      (one file per table)
//	odn export SPACE --item debate:12 …           (one item)
//
// Output goes to stdout unless --out names a file (or, for CSV of every
// table, a directory).
func runExport(ctx context.Context, args []string, env Env) error {
	var format, table, out, item string
	return dbCommand(ctx, "export", args, env, func(fs *flagSet) {
		fs.StringVar(&format, "format", "json", "csv, json or zip")
		fs.StringVar(&table, "table", "", "with --format csv: the table to write ("+strings.Join(models.ExportTables, ", ")+")")
		fs.StringVar(&out, "out", "", "output file (csv of every table: a directory); default stdout")
		fs.StringVar(&item, "item", "", "export one item: proposal:ID, debate:ID or petition:ID")
	}, func(ctx context.Context, st *models.Store, _ *Config, fs *flagSet) error {
		space, err := oneName(fs, "space name")
		if err != nil {
			return err
		}
		q := models.ExportQuery{Space: space}
		if item != "" {
			kind, idText, _ := strings.Cut(item, ":")
			id, err := strconv.ParseInt(idText, 10, 64)
			if err != nil || !slices.Contains(models.CommentableTypes, kind) {
				return usagef("--item must be proposal:ID, debate:ID or petition:ID")
			}
			q.Kind, q.ID = kind, id
		}
		switch format {
		case models.FormatJSON, models.FormatZIP:
		case models.FormatCSV:
			if table != "" && !slices.Contains(models.ExportTables, table) {
				return usagef("--table must be one of %s", strings.Join(models.ExportTables, ", "))
			}
			if table == "" && out == "" {
				return usagef("csv has one file per table: give --table NAME, or --out DIR for all of them")
			}
		default:
			return usagef("--format must be csv, json or zip")
		}
		e, err := st.Export(ctx, q)
		if err != nil {
			return fmt.Errorf("export %s: %w", space, err)
		}
		if format == models.FormatCSV && table == "" {
			return exportCSVDir(e, q, out)
		}
		return writeOut(env.Stdout, out, func(w io.Writer) error {
			switch format {
			case models.FormatCSV:
				return e.WriteCSV(w, table)
			case models.FormatZIP:
				return e.WriteZIP(w)
			}
			return e.WriteJSON(w)
		})
	})
}

// exportCSVDir writes every table as DIR/<name>.csv.
func exportCSVDir(e *models.Export, q models.ExportQuery, dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for _, t := range models.ExportTables {
		path := filepath.Join(dir, e.FileName(q, models.FormatCSV, t))
		if err := writeOut(nil, path, func(w io.Writer) error { return e.WriteCSV(w, t) }); err != nil {
			return err
		}
	}
	return nil
}

// writeOut writes through fill to the file path, or to stdout when path
// is empty; a file is written completely or not at all.
func writeOut(stdout io.Writer, path string, fill func(io.Writer) error) error {
	if path == "" {
		bw := bufio.NewWriter(stdout)
		if err := fill(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".odn-export-*")
	if err != nil {
		return fmt.Errorf("create output: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	bw := bufio.NewWriter(tmp)
	if err := fill(bw); err != nil {
		tmp.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { //nolint:gosec // open data is public
		return err
	}
	return os.Rename(tmp.Name(), path)
}
