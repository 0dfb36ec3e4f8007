package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// runHealthcheck GETs /healthz; the Docker HEALTHCHECK uses it because the
// image has no shell or curl.
func runHealthcheck(ctx context.Context, args []string, env Env) error {
	fs := newFlagSet("healthcheck", env)
	addr := fs.String("addr", ":8080", "the address serve listens on (ODN_ADDR, as for serve)")
	u := fs.String("url", "", "health URL (default: /healthz on --addr, via loopback)")
	if err := parseFlags(fs, args, env.Getenv); err != nil {
		return err
	}
	if *u == "" {
		host, port, err := net.SplitHostPort(*addr)
		if err != nil {
			return usagef("invalid --addr %q: %v", *addr, err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		*u = "http://" + net.JoinHostPort(host, port) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *u, nil)
	if err != nil {
		return usagef("invalid --url: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check: status %d", resp.StatusCode)
	}
	return nil
}
