package cli

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// Config is everything serve and the other commands need, parsed once
// from flags and ODN_* variables.
type Config struct {
	Addr            string
	BaseURL         string
	DB              string
	Data            string
	Demo            bool
	DevInsecure     bool
	AuthorizedFetch bool
	LogLevel        slog.Level
	LogFormat       string // text, json or auto
	InstanceName    string
	MapTiles        string // tile URL template for consultation maps; "" = lists only
	SMTP            string // smtp://user:pass@host:port for e-mail notifications; "" = none
	SMTPFrom        string // From address of those e-mails
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client; empty trusts nobody and keys everything by the peer.
	TrustedProxies []netip.Prefix
	// MetricsToken lets a remote Prometheus read /metrics (bearer token).
	MetricsToken string
}

// usageError is a configuration or usage mistake: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// commonFlags registers the flags every database command shares; the
// returned function finishes the Config after parsing.
func commonFlags(fs *flag.FlagSet, cfg *Config) func() error {
	fs.StringVar(&cfg.DB, "db", "", "database URL: sqlite://PATH or postgres://… (default sqlite://DATA/odn.db)")
	fs.StringVar(&cfg.Data, "data", "./data", "data directory (SQLite database, uploads)")
	fs.StringVar(&cfg.BaseURL, "base-url", "", "public base URL, e.g. https://city.example (default http://localhost:PORT)")
	fs.BoolVar(&cfg.DevInsecure, "dev-insecure", false, "allow http ids and private addresses (loopback tests only, never in production)")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&cfg.LogFormat, "log-format", "auto", "log format: text, json or auto (text on a terminal)")
	return func() error {
		if err := cfg.LogLevel.UnmarshalText([]byte(*level)); err != nil {
			return usagef("invalid --log-level %q: use debug, info, warn or error", *level)
		}
		switch cfg.LogFormat {
		case "auto", "text", "json":
		default:
			return usagef("invalid --log-format %q: use text, json or auto", cfg.LogFormat)
		}
		if cfg.DB == "" {
			cfg.DB = "sqlite://" + filepath.Join(cfg.Data, "odn.db")
		}
		if !strings.HasPrefix(cfg.DB, "sqlite:") && !strings.HasPrefix(cfg.DB, "postgres://") && !strings.HasPrefix(cfg.DB, "postgresql://") {
			return usagef("invalid --db: use sqlite://PATH or postgres://…")
		}
		if path, ok := sqlitePath(cfg.DB); ok && path == "" {
			return usagef("invalid --db %q: a SQLite database needs a file path, e.g. sqlite:///var/lib/odn/odn.db", cfg.DB)
		}
		if cfg.BaseURL == "" {
			_, port, err := net.SplitHostPort(cfg.Addr)
			if err != nil || port == "" || port == "0" {
				port = "8080"
			}
			cfg.BaseURL = "http://localhost:" + port
		}
		return cfg.checkBaseURL()
	}
}

func (cfg *Config) checkBaseURL() error {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return usagef("invalid --base-url %q: use scheme://host[:port] without a path", cfg.BaseURL)
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		if !cfg.DevInsecure && host != "localhost" && !isLoopback(host) {
			return usagef("--base-url must be https (http is allowed for localhost, or with --dev-insecure)")
		}
	default:
		return usagef("invalid --base-url scheme %q: use https", u.Scheme)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return nil
}

// checkAddr refuses a listen address that is not [host]:port with a port
// from 0 to 65535, before anything is opened.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		var n int
		n, err = strconv.Atoi(port)
		if err == nil && (n < 0 || n > 65535) {
			err = errors.New("port out of range")
		}
	}
	if err != nil {
		return usagef("invalid --addr %q: use [HOST]:PORT, e.g. :8080 or 127.0.0.1:8080", addr)
	}
	return nil
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseFlags parses args into fs, taking each unset flag from its
// environment twin ODN_NAME (dashes become underscores).
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err.Error()}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		env := "ODN_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v := getenv(env)
		if v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, usagef("invalid %s=%q: %v", env, v, err))
		}
	})
	return errors.Join(errs...)
}

// parseProxies reads a list of CIDR prefixes or addresses separated by
// commas or spaces; an address stands for itself (/32 or /128).
func parseProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ' ' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
