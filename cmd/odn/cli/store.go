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

// dbCommand parses the shared database flags plus the command's own, opens
// the store and runs fn.
func dbCommand(ctx context.Context, name string, args []string, env Env, define func(fs *flagSet), fn func(ctx context.Context, st *models.Store, cfg *Config, fs *flagSet) error) error {
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
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(ctx, st, cfg, fs)
}
