package cli

import (
	"context"
	"fmt"

	"github.com/uptrace/bun/migrate"

	"github.com/opendemocracynow/odn/models"
)

// runMigrate applies, rolls back or lists migrations, or clears a stale
// migration lock. Migrations also run at every start, so `up` is only
// needed to migrate without serving.
func runMigrate(ctx context.Context, args []string, env Env) error {
	cfg := &Config{}
	fs := &flagSet{FlagSet: newFlagSet("migrate", env)}
	finish := commonFlags(fs.FlagSet, cfg)
	everything := fs.Bool("everything", false, "down: also roll back the group holding the first migration, which drops every table and all data")
	flags, positional := interleave(fs.FlagSet, args)
	fs.positional = positional
	if err := parseFlags(fs.FlagSet, flags, env.Getenv); err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	verb := "status"
	if a := fs.Args(); len(a) > 0 {
		verb = a[0]
	}
	if verb != "up" && verb != "down" && verb != "status" && verb != "unlock" {
		return usagef("unknown migrate action %q: use up, down, status or unlock", verb)
	}
	st, err := models.Open(ctx, cfg.DB, models.WithBaseURL(cfg.BaseURL))
	if err != nil {
		return err
	}
	defer st.Close()
	switch verb {
	case "unlock":
		// On PostgreSQL only an odn older than the advisory lock leaves
		// a row behind (models.Store.WithMigrationLock).
		had, err := st.UnlockMigrations(ctx)
		if err != nil {
			return err
		}
		if had {
			fmt.Fprintln(env.Stdout, "removed a stale migration lock")
		} else {
			fmt.Fprintln(env.Stdout, "the migrations were not locked")
		}
		return nil
	case "up":
		if err := st.Migrate(ctx); err != nil {
			return err
		}
	case "down":
		return st.WithMigrationLock(ctx, func(ctx context.Context, m *migrate.Migrator) error {
			ms, err := m.MigrationsWithStatus(ctx)
			if err != nil {
				return fmt.Errorf("migration status: %w", err)
			}
			// The install's group holds the first migration: rolling it
			// back drops every table.
			if last := ms.LastGroup(); !last.IsZero() && len(ms) > 0 && !*everything {
				for _, mg := range last.Migrations {
					if mg.Name == ms[0].Name {
						return usagef("refusing to roll back %s: it holds the first migration, so this would drop every table and all the data; take a backup first (docs/admin.md), then run `odn migrate down --everything`", last)
					}
				}
			}
			group, err := m.Rollback(ctx)
			if err != nil {
				return fmt.Errorf("rollback: %w", err)
			}
			if group.IsZero() {
				fmt.Fprintln(env.Stdout, "nothing to roll back")
				return nil
			}
			fmt.Fprintf(env.Stdout, "rolled back %s\n", group)
			return nil
		})
	}
	m := st.Migrator()
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("migrate init: %w", err)
	}
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	for _, mg := range ms {
		state := "pending"
		if mg.IsApplied() {
			state = "applied " + mg.MigratedAt.UTC().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(env.Stdout, "%s_%s\t%s\n", mg.Name, mg.Comment, state)
	}
	return nil
}
