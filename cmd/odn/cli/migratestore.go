package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraCommands["migrate-store"] = runMigrateStore
}

// runMigrateStore moves an instance's data from one database to another,
// typically SQLite to PostgreSQL:
//
//	odn migrate-store --from sqlite://./data/odn.db --to postgres://odn@db/odn
//
// Both databases are migrated to this binary's schema first; the target
// must be empty. Every table is copied in one transaction on the target,
// sequences are reset and row counts checked before commit. Stop the
// server during the move (docs/admin.md).
func runMigrateStore(ctx context.Context, args []string, env Env) error {
	fs := &flagSet{FlagSet: newFlagSet("migrate-store", env)}
	from := fs.String("from", env.Getenv("ODN_MIGRATE_FROM"), "source database URL (sqlite://PATH or postgres://…)")
	to := fs.String("to", env.Getenv("ODN_MIGRATE_TO"), "target database URL (postgres://…), empty")
	flags, positional := interleave(fs.FlagSet, args)
	fs.positional = positional
	if err := fs.Parse(flags); err != nil {
		return usagef("%v", err)
	}
	if *from == "" || *to == "" || len(fs.Args()) > 0 {
		return usagef("usage: odn migrate-store --from sqlite://PATH --to postgres://…")
	}
	if !strings.HasPrefix(*to, "postgres://") && !strings.HasPrefix(*to, "postgresql://") {
		return usagef("--to must be a postgres:// URL")
	}
	if path, ok := sqlitePath(*from); ok {
		if path == "" {
			return usagef("--from sqlite:// needs a file path")
		}
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("source: no SQLite database at %s: %w", path, err)
		}
	}
	open := func(dsn string) (*models.Store, error) {
		st, err := models.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		if err := st.Migrate(ctx); err != nil {
			st.Close()
			return nil, fmt.Errorf("migrate database: %w", err)
		}
		return st, nil
	}
	src, err := open(*from)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer src.Close()
	dst, err := open(*to)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	defer dst.Close()
	counts, err := src.CopyTo(ctx, dst)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	total := 0
	for _, c := range counts {
		fmt.Fprintf(tw, "%s\t%d\n", c.Table, c.Rows)
		total += c.Rows
	}
	tw.Flush()
	fmt.Fprintf(env.Stdout, "moved %d rows in %d tables\n", total, len(counts))
	return nil
}

// sqlitePath returns the file a sqlite: database URL names, and whether
// dsn is a SQLite URL at all; an in-memory database has no file ("" and
// false).
func sqlitePath(dsn string) (string, bool) {
	if !strings.HasPrefix(dsn, "sqlite:") {
		return "", false
	}
	p := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
	if strings.Contains(p, "mode=memory") {
		return "", false
	}
	p, _, _ = strings.Cut(p, "?")
	return strings.TrimPrefix(p, "file:"), true
}
