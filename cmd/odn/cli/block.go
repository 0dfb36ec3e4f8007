package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	adminCommands["block"] = map[string]func(ctx context.Context, args []string, env Env) error{
		"add": adminBlockAdd, "list": adminBlockList, "remove": adminBlockRemove,
	}
}

// adminBlockAdd blocks a domain: inbound refused, outbound skipped, its
// follows removed and its actors' contributions hidden. A running server
// notices within a few seconds.
func adminBlockAdd(ctx context.Context, args []string, env Env) error {
	var reason string
	return dbCommand(ctx, "admin block add", args, env, func(fs *flagSet) {
		fs.StringVar(&reason, "reason", "", "why (shown to admins)")
	}, func(ctx context.Context, st *models.Store, _ *Config, fs *flagSet) error {
		domain, err := oneName(fs, "domain")
		if err != nil {
			return err
		}
		b, err := st.BlockDomain(ctx, nil, domain, reason)
		if err != nil {
			return fmt.Errorf("block %s: %w", domain, err)
		}
		fmt.Fprintf(env.Stdout, "blocked %s\n", b.Domain)
		return nil
	})
}

func adminBlockList(ctx context.Context, args []string, env Env) error {
	return dbCommand(ctx, "admin block list", args, env, nil, func(ctx context.Context, st *models.Store, _ *Config, _ *flagSet) error {
		blocks, err := st.DomainBlocks(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DOMAIN\tSINCE\tREASON")
		for _, b := range blocks {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", b.Domain, b.CreatedAt.Format("2006-01-02"), b.Reason)
		}
		return tw.Flush()
	})
}

func adminBlockRemove(ctx context.Context, args []string, env Env) error {
	return dbCommand(ctx, "admin block remove", args, env, nil, func(ctx context.Context, st *models.Store, _ *Config, fs *flagSet) error {
		domain, err := oneName(fs, "domain")
		if err != nil {
			return err
		}
		if err := st.UnblockDomain(ctx, nil, domain); err != nil {
			return fmt.Errorf("unblock %s: %w", domain, err)
		}
		fmt.Fprintf(env.Stdout, "unblocked %s\n", domain)
		return nil
	})
}
