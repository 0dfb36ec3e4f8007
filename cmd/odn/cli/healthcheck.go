package cli

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// runHealthcheck GETs /healthz; the Docker HEALTHCHECK uses it because the
// image has no shell or curl.
func runHealthcheck(ctx context.Context, args []string, env Env) error {
	fs := newFlagSet("healthcheck", env)
	u := fs.String("url", "http://127.0.0.1:8080/healthz", "health URL")
	if err := parseFlags(fs, args, env.Getenv); err != nil {
		return err
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
