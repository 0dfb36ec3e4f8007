package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
)

// clientAddr sets r.RemoteAddr to the client's address, where every rate
// limit and log line reads it. Behind a trusted reverse proxy (see
// Options.TrustedProxies) that is the rightmost X-Forwarded-For entry
// that is not itself a trusted proxy: entries to its left were written by
// the client and prove nothing. From any other peer the header is
// ignored, so nobody can pick their own rate-limit bucket. When a trusted
// proxy sends no usable header, the proxy stays the client.
func (s *Server) clientAddr(next http.Handler) http.Handler {
	trusted := s.opts.TrustedProxies
	if len(trusted) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ip, ok := forwardedClient(r, trusted); ok {
			r = r.WithContext(r.Context()) // a copy: the caller's request stays as it was
			r.RemoteAddr = netip.AddrPortFrom(ip, 0).String()
		}
		next.ServeHTTP(w, r)
	})
}

// forwardedClient is the client a trusted proxy names in X-Forwarded-For:
// reading the entries from the right (the last header first), the first
// one outside trusted. It reports false when the peer itself is not a
// trusted proxy, when every entry is one, and at the first entry that is
// not an address (fail closed: the proxy stays the client rather than an
// entry further left, which the client may have written).
func forwardedClient(r *http.Request, trusted []netip.Prefix) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !inPrefixes(peer.Unmap().WithZone(""), trusted) {
		return netip.Addr{}, false
	}
	headers := r.Header.Values("X-Forwarded-For")
	for i := len(headers) - 1; i >= 0; i-- {
		entries := strings.Split(headers[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			entry := strings.TrimSpace(entries[j])
			if entry == "" {
				continue
			}
			ip, err := netip.ParseAddr(entry)
			if err != nil {
				return netip.Addr{}, false
			}
			if ip = ip.Unmap().WithZone(""); !inPrefixes(ip, trusted) {
				return ip, true
			}
		}
	}
	return netip.Addr{}, false
}

func inPrefixes(ip netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// headAsGet answers a HEAD with the route's GET handler when no HEAD
// route matches (net/http drops the body): link checkers and monitors ask
// HEAD, and chi alone answers 405. It is chi's middleware.GetHead, which
// odn does not import: chi's middleware package links net/http/pprof,
// whose handlers then sit on http.DefaultServeMux and whose reach of
// runtime.MemProfile keeps allocation sampling on in every odn process.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			rctx := chi.RouteContext(r.Context())
			path := rctx.RoutePath
			if path == "" { // as chi's router reads it
				path = r.URL.RawPath
				if path == "" {
					path = r.URL.Path
				}
			}
			if !rctx.Routes.Match(chi.NewRouteContext(), http.MethodHead, path) {
				rctx.RouteMethod = http.MethodGet
				rctx.RoutePath = path
			}
		}
		next.ServeHTTP(w, r)
	})
}

// refuseBadText answers 400 to a path or query string holding a NUL
// byte or invalid UTF-8 (percent-encoded or not), before any handler
// passes it to the database. Form and JSON bodies are checked where they
// are decoded (parseForm, decodeJSON).
func (s *Server) refuseBadText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query, _ := url.ParseQuery(r.URL.RawQuery) // what parses is what handlers see
		if badText(r.URL.Path) || checkText(query) != nil {
			s.errorStatus(w, r, http.StatusBadRequest, "error.bad_request")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requestID tags each request with an id, echoed in X-Request-Id and in
// every log line about it. An incoming id is kept only if it looks sane.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if len(id) == 0 || len(id) > 64 || strings.ContainsFunc(id, func(c rune) bool { return c < '!' || c > '~' }) {
			b := make([]byte, 8)
			rand.Read(b) //nolint:errcheck // never fails
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxRequestID, id)))
	})
}

func requestIDOf(ctx context.Context) string { id, _ := ctx.Value(ctxRequestID).(string); return id }

// recoverer turns a panic into a logged 500 instead of a dropped connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", "request_id", requestIDOf(r.Context()), "err", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.errorStatus(w, r, http.StatusInternalServerError, "error.internal")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status code for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer (flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one structured log line per request and feeds the
// Prometheus counters, labelled by route pattern (never the raw path, to
// bound cardinality).
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := time.Since(start)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		s.metrics.GetOrCreateCounter(fmt.Sprintf(`odn_http_requests_total{method=%q,route=%q,code="%d"}`, r.Method, route, sw.status)).Inc()
		s.metrics.GetOrCreateHistogram(fmt.Sprintf(`odn_http_request_duration_seconds{route=%q}`, route)).Update(d.Seconds())
		if route == "/healthz" || route == "/readyz" || route == "/metrics" {
			return
		}
		s.log.LogAttrs(r.Context(), levelFor(sw.status), "request",
			strAttr("request_id", requestIDOf(r.Context())), strAttr("method", r.Method),
			strAttr("path", r.URL.Path), intAttr("status", sw.status), intAttr("bytes", sw.bytes),
			durAttr("duration", d))
	})
}

// securityHeaders sets a strict CSP and the usual hardening headers.
// Pages use no inline script or style; embeds relax frame-ancestors.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		frame := "'none'"
		if strings.HasPrefix(r.URL.Path, "/embed/") {
			frame = "*"
		} else {
			h.Set("X-Frame-Options", "DENY")
		}
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
			"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors "+frame)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.secureCk {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}
