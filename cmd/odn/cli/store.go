package cli

import (
	"context"
	"fmt"

	"github.com/opendemocracynow/odn/models"
)

// openStore opens and migrates the configured database.
func openStore(ctx context.Context, cfg *Config, opts ...models.Option) (*models.Store, error) {
	opts = append([]models.Option{models.WithBaseURL(cfg.BaseURL)}, opts...)
	st, err := models.Open(ctx, cfg.DB, opts...)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	return st, nil
}

// openStoreAsIs opens the configured database without migrating it: for
// commands that must not change it (backup).
func openStoreAsIs(ctx context.Context, cfg *Config, opts ...models.Option) (*models.Store, error) {
	return models.Open(ctx, cfg.DB, append([]models.Option{models.WithBaseURL(cfg.BaseURL)}, opts...)...)
}

// dbCommand parses the shared database flags plus the command's own, opens
// (and migrates) the store and runs fn.
func dbCommand(ctx context.Context, name string, args []string, env Env, define func(fs *flagSet), fn func(ctx context.Context, st *models.Store, cfg *Config, fs *flagSet) error) error {
	return dbCommandWith(ctx, name, args, env, define, openStore, fn)
}

// dbCommandWith is dbCommand opening the store with open.
func dbCommandWith(ctx context.Context, name string, args []string, env Env, define func(fs *flagSet),
	open func(ctx context.Context, cfg *Config, opts ...models.Option) (*models.Store, error),
	fn func(ctx context.Context, st *models.Store, cfg *Config, fs *flagSet) error) error {
	cfg := &Config{}
	fs := &flagSet{FlagSet: newFlagSet(name, env)}
	finish := commonFlags(fs.FlagSet, cfg)
	if define != nil {
		define(fs)
	}
	flags, positional := interleave(fs.FlagSet, args)
	fs.positional = positional
	if err := parseFlags(fs.FlagSet, flags, env.Getenv); err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	st, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(ctx, st, cfg, fs)
}
