package web

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/VictoriaMetrics/metrics"
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
func (s *Server) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	var b bytes.Buffer
	s.metrics.WritePrometheus(&b)
	metrics.WriteProcessMetrics(&b)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write(b.Bytes()) //nolint:errcheck // client gone
}
