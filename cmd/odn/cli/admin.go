package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/opendemocracynow/odn/models"
)

// adminCommands maps `odn admin GROUP ACTION` to its implementation; other
// files add groups (block, invite) in init.
var adminCommands = map[string]map[string]func(ctx context.Context, args []string, env Env) error{
	"user": {
		"create": adminUserCreate, "list": adminUserList, "promote": adminUserPromote,
		"disable": adminUserDisable(true), "enable": adminUserDisable(false), "decider": adminUserDecider,
		"unlock": adminUserUnlock, "password": adminUserPassword, "confirm-email": adminUserConfirmEmail,
	},
	"space": {"create": adminSpaceCreate, "list": adminSpaceList},
	"token": {"create": adminTokenCreate},
}

func runAdmin(ctx context.Context, args []string, env Env) error {
	if len(args) < 2 {
		return usagef("usage: odn admin user|space|token|block ACTION … (see odn help)")
	}
	group, ok := adminCommands[args[0]]
	if !ok {
		return usagef("unknown admin group %q", args[0])
	}
	fn, ok := group[args[1]]
	if !ok {
		return usagef("unknown action %q for odn admin %s", args[1], args[0])
	}
	return fn(ctx, args[2:], env)
}

// oneName returns the single positional argument, or a usage error.
func oneName(fs *flagSet, what string) (string, error) {
	a := fs.Args()
	if len(a) != 1 {
		return "", usagef("expected exactly one %s", what)
	}
	return a[0], nil
}

func adminUserCreate(ctx context.Context, args []string, env Env) error {
	var email, role string
	var admin, moderator, fromStdin bool
	return dbCommand(ctx, "admin user create", args, env, func(fs *flagSet) {
		fs.StringVar(&email, "email", "", "e-mail address (optional)")
		fs.BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input")
		fs.BoolVar(&admin, "admin", false, "make the user an administrator")
		fs.BoolVar(&moderator, "moderator", false, "make the user a moderator")
	}, func(ctx context.Context, st *models.Store, cfg *Config, fs *flagSet) error {
		name, err := oneName(fs, "user name")
		if err != nil {
			return err
		}
		role = models.RoleMember
		if moderator {
			role = models.RoleModerator
		}
		if admin {
			role = models.RoleAdmin
		}
		password, generated, err := newPassword(env, fromStdin)
		if err != nil {
			return err
		}
		acc, err := st.CreateAccount(ctx, models.NewAccount{Username: name, Email: email, Password: password, Role: role})
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		fmt.Fprintf(env.Stdout, "created user %s (%s)\n", acc.Username, acc.Role)
		warnDefaultBaseURL(env, cfg, "user")
		if generated {
			fmt.Fprintf(env.Stdout, "password: %s\n", password)
		}
		return nil
	})
}

// newPassword is the first line of standard input (fromStdin), or a
// random password, generated then.
func newPassword(env Env, fromStdin bool) (password string, generated bool, err error) {
	if !fromStdin {
		return randomPassword(), true, nil
	}
	line, err := bufio.NewReader(io.LimitReader(env.Stdin, models.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", false, fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

// adminUserPassword sets a member's password: the way back in for one
// who forgot it on an instance without e-mail, or without an address on
// the account. Sessions, API tokens and reset links end; the audit log
// says so.
func adminUserPassword(ctx context.Context, args []string, env Env) error {
	var fromStdin bool
	return dbCommand(ctx, "admin user password", args, env, func(fs *flagSet) {
		fs.BoolVar(&fromStdin, "password-stdin", false, "read the new password from the first line of standard input (default: generate one and print it)")
	}, func(ctx context.Context, st *models.Store, _ *Config, fs *flagSet) error {
		name, err := oneName(fs, "user name")
		if err != nil {
			return err
		}
		password, generated, err := newPassword(env, fromStdin)
		if err != nil {
			return err
		}
		if err := st.SetPassword(ctx, nil, name, password); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(env.Stdout, "%s has a new password; their sessions and API tokens are ended\n", name)
		if generated {
			fmt.Fprintf(env.Stdout, "password: %s\n", password)
		}
		if acc, err := st.AccountByUsername(ctx, strings.ToLower(strings.TrimSpace(name))); err == nil && acc.Disabled {
			// A new password lets nobody in while the account is disabled.
			fmt.Fprintf(env.Stdout, "%s stays disabled and cannot log in: odn admin user enable %s to let them\n", name, acc.Username)
		}
		return nil
	})
}

func randomPassword() string {
	b := make([]byte, 15)
	rand.Read(b) //nolint:errcheck // never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

func adminUserList(ctx context.Context, args []string, env Env) error {
	return dbCommand(ctx, "admin user list", args, env, nil, func(ctx context.Context, st *models.Store, _ *Config, _ *flagSet) error {
		accs, err := st.ListAccounts(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tDECIDER\tDISABLED\tCREATED")
		for _, a := range accs {
			fmt.Fprintf(tw, "%s\t%s\t%t\t%t\t%s\n", a.Username, a.Role, a.Decider, a.Disabled, a.CreatedAt.Format("2006-01-02"))
		}
		return tw.Flush()
	})
}

func adminUserPromote(ctx context.Context, args []string, env Env) error {
	var role string
	return dbCommand(ctx, "admin user promote", args, env, func(fs *flagSet) {
		fs.StringVar(&role, "role", models.RoleModerator, "new role: member, moderator or admin")
	}, func(ctx context.Context, st *models.Store, cfg *Config, fs *flagSet) error {
		name, err := oneName(fs, "user name")
		if err != nil {
			return err
		}
		if err := st.SetRole(ctx, nil, name, role); err != nil {
			return fmt.Errorf("promote %s: %w", name, err)
		}
		fmt.Fprintf(env.Stdout, "%s is now %s\n", name, role)
		return nil
	})
}

func adminUserDisable(disabled bool) func(ctx context.Context, args []string, env Env) error {
	return func(ctx context.Context, args []string, env Env) error {
		var reason string
		return dbCommand(ctx, "admin user disable", args, env, func(fs *flagSet) {
			if disabled {
				fs.StringVar(&reason, "reason", "", "why (kept in the audit log and on the reports it closes)")
			}
		}, func(ctx context.Context, st *models.Store, _ *Config, fs *flagSet) error {
			name, err := oneName(fs, "user name")
			if err != nil {
				return err
			}
			state := map[bool]string{true: "disabled", false: "enabled"}[disabled]
			switch err := st.SetDisabled(ctx, nil, name, disabled, reason); {
			case errors.Is(err, models.ErrConflict):
				// Scripts may run this twice: the account is as asked.
				fmt.Fprintf(env.Stdout, "%s is already %s\n", name, state)
			case err != nil:
				return fmt.Errorf("%s: %w", name, err)
			default:
				fmt.Fprintf(env.Stdout, "%s is %s\n", name, state)
			}
			return nil
		})
	}
}

// adminUserUnlock clears a name's count of wrong passwords, so that a
// user a guesser kept throttled logs in at once.
func adminUserUnlock(ctx context.Context, args []string, env Env) error {
	return dbCommand(ctx, "admin user unlock", args, env, nil, func(ctx context.Context, st *models.Store, _ *Config, fs *flagSet) error {
		name, err := oneName(fs, "user name")
		if err != nil {
			return err
		}
		had, err := st.UnlockLogin(ctx, name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if had {
			fmt.Fprintf(env.Stdout, "%s may log in again\n", name)
		} else {
			fmt.Fprintf(env.Stdout, "%s had no failed log-ins counted\n", name)
		}
		return nil
	})
}

// adminUserConfirmEmail confirms a member's address awaiting its link:
// on an instance without e-mail nothing else can, and a member may not
// receive the link. Written to the audit log.
func adminUserConfirmEmail(ctx context.Context, args []string, env Env) error {
	return dbCommand(ctx, "admin user confirm-email", args, env, nil, func(ctx context.Context, st *models.Store, _ *Config, fs *flagSet) error {
		name, err := oneName(fs, "user name")
		if err != nil {
			return err
		}
		address, err := st.ConfirmPendingEmail(ctx, nil, name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(env.Stdout, "%s's e-mail address %s is confirmed\n", name, address)
		return nil
	})
}

func adminUserDecider(ctx context.Context, args []string, env Env) error {
	var off bool
	return dbCommand(ctx, "admin user decider", args, env, func(fs *flagSet) {
		fs.BoolVar(&off, "off", false, "remove the verified decision-maker mark")
	}, func(ctx context.Context, st *models.Store, cfg *Config, fs *flagSet) error {
		name, err := oneName(fs, "user name")
		if err != nil {
			return err
		}
		if err := st.SetDecider(ctx, nil, name, !off); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(env.Stdout, "%s decider=%t\n", name, !off)
		return nil
	})
}

func adminSpaceCreate(ctx context.Context, args []string, env Env) error {
	var in models.SpaceInput
	var hosts string
	return dbCommand(ctx, "admin space create", args, env, func(fs *flagSet) {
		fs.StringVar(&in.Kind, "kind", "", "city, association or collective")
		fs.StringVar(&in.Title, "title", "", "display title")
		fs.StringVar(&in.Description, "description", "", "description (Markdown)")
		fs.StringVar(&in.Policy, "policy", models.PolicyOpen, "participation policy: open, network or local")
		fs.StringVar(&hosts, "allowed-hosts", "", "comma-separated instances allowed under the network policy")
		fs.IntVar(&in.SupportThreshold, "threshold", 0, "supports a proposal needs to reach its threshold (0: none)")
		fs.StringVar(&in.Licence, "licence", models.DefaultLicence, "open data licence")
	}, func(ctx context.Context, st *models.Store, cfg *Config, fs *flagSet) error {
		name, err := oneName(fs, "space name")
		if err != nil {
			return err
		}
		in.Name = name
		if hosts != "" {
			in.AllowedHosts = strings.Split(hosts, ",")
		}
		sp, err := st.CreateSpace(ctx, nil, in)
		if err != nil {
			return fmt.Errorf("create space: %w", err)
		}
		fmt.Fprintf(env.Stdout, "created space %s (%s) %s\n", sp.Name, sp.Kind, sp.Actor.URI)
		warnDefaultBaseURL(env, cfg, "space")
		return nil
	})
}

func adminSpaceList(ctx context.Context, args []string, env Env) error {
	return dbCommand(ctx, "admin space list", args, env, nil, func(ctx context.Context, st *models.Store, _ *Config, _ *flagSet) error {
		spaces, err := st.ListSpaces(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tKIND\tPOLICY\tTITLE")
		for _, sp := range spaces {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", sp.Name, sp.Kind, sp.Policy, sp.Title)
		}
		return tw.Flush()
	})
}

func adminTokenCreate(ctx context.Context, args []string, env Env) error {
	var user, name string
	return dbCommand(ctx, "admin token create", args, env, func(fs *flagSet) {
		fs.StringVar(&user, "user", "", "user the token acts as (required)")
		fs.StringVar(&name, "name", "cli", "a label for the token")
	}, func(ctx context.Context, st *models.Store, _ *Config, _ *flagSet) error {
		if user == "" {
			return usagef("--user is required")
		}
		acc, err := st.AccountByUsername(ctx, user)
		if err != nil {
			return fmt.Errorf("user %s: %w", user, err)
		}
		tok, err := st.CreateToken(ctx, acc, name)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, tok)
		return nil
	})
}

// defaultBaseURL is the base URL of a command given none.
const defaultBaseURL = "http://localhost:8080"

// warnDefaultBaseURL tells the operator that what was just created got
// permanent ids under the default base URL, which federates nowhere once
// the instance is served under its real domain.
func warnDefaultBaseURL(env Env, cfg *Config, what string) {
	if cfg.BaseURL != defaultBaseURL {
		return
	}
	fmt.Fprintf(env.Stderr, "warning: this %s's ids are minted under the default base URL %s and never change; unless this instance really is served there, pass the server's --base-url (or ODN_BASE_URL) and --data/--db to admin commands, or this %s will not federate\n", what, defaultBaseURL, what)
}
