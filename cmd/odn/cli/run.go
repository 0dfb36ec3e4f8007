package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/opendemocracynow/odn/models"
)

// Env is the outside world a command sees; tests pass their own.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Version        string
	// Listener, when set, is used by serve instead of listening on --addr;
	// multi-instance tests pick their ports this way.
	Listener net.Listener
	// Ready, when set, is called once serve accepts requests.
	Ready func(addr string)
	// StoreOptions are applied when serve opens its store; tests pass
	// pre-made keys (models.WithKeyGenerator) and fake clocks here.
	StoreOptions []models.Option
}

const usage = `odn — Open Democracy Now server

Usage:
  odn serve [--addr :8080] [--base-url URL] [--db URL] [--data DIR] [--demo]
  odn migrate up|down [--everything]|status|unlock
  odn admin user create NAME [--email E] [--password-stdin] [--admin|--moderator]
  odn admin user list | promote NAME [--role R] | disable NAME [--reason R] | enable NAME | decider NAME | unlock NAME
  odn admin user password NAME [--password-stdin]
  odn admin user confirm-email NAME
  odn admin space create NAME --kind city|association|collective --title TITLE [--policy P]
  odn admin space list
  odn admin token create --user NAME
  odn admin block add|list|remove [DOMAIN]
  odn admin uploads strip
  odn admin setting get|set KEY [VALUE|--stdin]
  odn export SPACE --format csv|json|zip
  odn recount DEBATE_ID
  odn backup DIR
  odn migrate-store --from URL --to URL
  odn healthcheck [--url URL]
  odn version

Every flag has an environment twin: --base-url is ODN_BASE_URL, and so on.
`

// Run executes the command in args and returns the process exit code:
// 0 success, 1 failure, 2 bad usage or configuration.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = runServe(ctx, rest, env)
	case "migrate":
		err = runMigrate(ctx, rest, env)
	case "admin":
		err = runAdmin(ctx, rest, env)
	case "version", "--version", "-v":
		fmt.Fprintf(env.Stdout, "odn %s\n", env.Version)
	case "healthcheck":
		err = runHealthcheck(ctx, rest, env)
	case "help", "--help", "-h":
		fmt.Fprint(env.Stdout, usage)
	default:
		if c, ok := extraCommands[cmd]; ok {
			err = c(ctx, rest, env)
			break
		}
		err = usagef("unknown command %q (see odn help)", cmd)
	}
	return exitCode(err, env.Stderr)
}

// extraCommands lets other files of this package add commands (export,
// recount, migrate-store) without touching the switch above.
var extraCommands = map[string]func(ctx context.Context, args []string, env Env) error{}

// exitCode prints err as one line and maps it to an exit code.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "odn: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// newLogger builds the slog logger: text on a terminal, JSON otherwise.
func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	format := cfg.LogFormat
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// newFlagSet returns a FlagSet that reports errors instead of exiting.
func newFlagSet(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}
