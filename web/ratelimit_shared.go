package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// sharedCountTimeout bounds the statement that counts an attempt in the
// database: a request must not hang on a database that does not answer,
// nor on a row another transaction holds.
const sharedCountTimeout = time.Second

// sharedLimits reports whether the auth limit is counted in the database
// (PostgreSQL: several nodes may serve the instance), so that every node
// counts a client's attempts together: with in-memory counts, N nodes
// behind a load balancer would give a password guesser N times the
// limit. Only the limit that stops password guessing and e-mail sending
// is shared (authLimit); the others are bounds on load, which each node
// keeps for itself in memory (ratelimit.go). On SQLite (one process) the
// auth limit is httprate's, in memory.
func (s *Server) sharedLimits() bool {
	return s.store != nil && s.store.Dialect == models.Postgres
}

// overAuthLimit counts r against the auth limit under its client address;
// when r must stop it answers 429, or 503 when the count failed, and
// reports true.
func (s *Server) overAuthLimit(w http.ResponseWriter, r *http.Request) bool {
	key := clientKey(r)
	if !s.sharedLimits() {
		if !s.authLimit.OnLimit(w, r, key) {
			return false
		}
		s.errorStatus(w, r, http.StatusTooManyRequests, "error.rate_limited")
		return true
	}
	ok, err := s.countShared(w, r, "auth", key, authAttempts, authWindow)
	switch {
	case err != nil:
		// Fail closed: the request could not have been served without the
		// database anyway, and letting it through uncounted would lift the
		// limit when nobody watches.
		s.error(w, r, fmt.Errorf("%w: auth rate count: %w", models.ErrUnavailable, err))
		return true
	case !ok:
		w.Header().Set("Retry-After", strconv.Itoa(int(authWindow.Seconds())))
		s.errorStatus(w, r, http.StatusTooManyRequests, "error.rate_limited")
		return true
	}
	return false
}

// countShared counts r in the database under limiter and key and reports
// whether it is within limit attempts per window, by httprate's sliding
// window estimate: the previous window's count weighted by the part of it
// still inside the last window's length, plus the current window's count.
// It is one statement (models.AddRateCount), under no lock of this
// process: a slow or locked row delays only the requests of its key. A
// refused attempt counts too, unlike httprate's (which reads, then adds
// only what it lets through): one atomic statement cannot do both without
// a lock, and a client that keeps trying past the limit stays refused
// until it slows down. It sets httprate's X-RateLimit headers.
func (s *Server) countShared(w http.ResponseWriter, r *http.Request, limiter, key string, limit int, window time.Duration) (bool, error) {
	now := s.opts.Now().UTC()
	start := now.Truncate(window)
	ctx, cancel := context.WithTimeout(r.Context(), sharedCountTimeout)
	defer cancel()
	cur, prev, err := s.store.AddRateCount(ctx, limiter, key, start, window)
	if err != nil {
		return false, err
	}
	// httprate's estimate before this attempt, rounded, plus this attempt.
	elapsed := now.Sub(start)
	rate := int(math.Round(float64(prev)*float64(window-elapsed)/float64(window)+float64(cur-1))) + 1
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(start.Add(window).Unix(), 10))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(limit-rate, 0)))
	return rate <= limit, nil
}

// limitAuth is authLimit as middleware, by client address.
func (s *Server) limitAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.overAuthLimit(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}
