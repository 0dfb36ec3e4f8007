package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/opendemocracynow/odn/models"
)

// healthz says the process is alive; it does no I/O.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n")) //nolint:errcheck // client gone
}

// readyz says the instance can serve: the database answers.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database unavailable\n")) //nolint:errcheck // client gone
		return
	}
	w.Write([]byte("ready\n")) //nolint:errcheck // client gone
}

// serveMetrics writes the Prometheus text format: this instance's
// counters plus Go runtime and process figures. They are gathered in one
// buffer and written at once: WriteProcessMetrics writes line by line,
// and the stateless gzip of compressResponses compresses each write on
// its own, so that scrapes (Prometheus asks for gzip) came out larger
// than the plain text.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if !s.mayReadMetrics(r) {
		s.error(w, r, models.ErrNotFound)
		return
	}
	var b bytes.Buffer
	s.metrics.WritePrometheus(&b)
	metrics.WriteProcessMetrics(&b)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write(b.Bytes()) //nolint:errcheck // client gone
}

// mayReadMetrics reports whether r may read /metrics: with the
// configured bearer token (Options.MetricsToken) from anywhere, else only
// from a loopback peer that no proxy forwarded (a Prometheus on the same
// machine). The figures are the instance's operations, not for the
// public: the mail outbox's counters, read before and after a password
// reset request, would tell whether an account has that address.
func (s *Server) mayReadMetrics(r *http.Request) bool {
	if tok := s.opts.MetricsToken; tok != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok && subtle.ConstantTimeCompare([]byte(got), []byte(tok)) == 1 {
			return true
		}
	}
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-Ip") != "" {
		return false // came through a proxy: its client is elsewhere
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
