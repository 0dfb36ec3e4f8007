package web

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-chi/httprate"

	"github.com/opendemocracynow/odn/models"
)

// sharedCountTimeout bounds one read or write of a shared count:
// httprate's LimitCounter passes no context, and a request must not hang
// on a database that does not answer.
const sharedCountTimeout = 2 * time.Second

// sharedCounter is an httprate.LimitCounter kept in the database
// (models.AddRateCount), so that every node of a PostgreSQL deployment
// counts a client's attempts together: with in-memory counts, N nodes
// behind a load balancer would give a password guesser N times the
// limit. Only the limits that stop password guessing or e-mail sending
// use it (authLimit); the others are bounds on load, which each node
// keeps for itself in memory (ratelimit.go).
type sharedCounter struct {
	store  *models.Store
	name   string // the limiter's name, part of the stored key
	window time.Duration
	// swept is the last window (Unix seconds) at whose start this
	// process deleted the ended ones.
	swept atomic.Int64
}

var _ httprate.LimitCounter = (*sharedCounter)(nil)

// Config is told the limiter's window.
func (c *sharedCounter) Config(_ int, window time.Duration) { c.window = window }

// Increment adds 1 to key's count in the window.
func (c *sharedCounter) Increment(key string, window time.Time) error {
	return c.IncrementBy(key, window, 1)
}

// IncrementBy adds n to key's count in the window; the first increment a
// process makes in a new window deletes the ended ones.
func (c *sharedCounter) IncrementBy(key string, window time.Time, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), sharedCountTimeout)
	defer cancel()
	if err := c.store.AddRateCount(ctx, c.name, key, window, c.window, n); err != nil {
		return err
	}
	if last := c.swept.Load(); window.Unix() > last && c.swept.CompareAndSwap(last, window.Unix()) {
		// Best effort: the server's hourly purge catches what this misses.
		c.store.PurgeRateCounts(ctx) //nolint:errcheck // retried by the hourly purge
	}
	return nil
}

// Get returns key's counts in the current and the previous window.
func (c *sharedCounter) Get(key string, cur, prev time.Time) (int, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sharedCountTimeout)
	defer cancel()
	return c.store.RateCounts(ctx, c.name, key, cur, prev)
}

// limitCounterOptions are the options that give a limiter named name a
// count shared through the database when the store is PostgreSQL (several
// nodes may serve the instance). A count that cannot be read or written
// refuses the request (fail closed): the request could not have been
// served without the database anyway. httprate then calls both its error
// handler and its limit handler, so the error handler only notes the
// error for overLimit (503) to answer once; a limiter used without overLimit
// answers 429. On SQLite (one process) the count stays in memory.
func (s *Server) limitCounterOptions(name string) []httprate.Option {
	if s.store == nil || s.store.Dialect != models.Postgres {
		return nil
	}
	return []httprate.Option{
		httprate.WithLimitCounter(&sharedCounter{store: s.store, name: name}),
		httprate.WithErrorHandler(func(_ http.ResponseWriter, r *http.Request, err error) {
			if f, ok := r.Context().Value(countFailureKey{}).(*countFailure); ok {
				f.err = fmt.Errorf("%w: %s rate count: %w", models.ErrUnavailable, name, err)
			}
		}),
	}
}

// countFailureKey is the context key of a request's *countFailure.
type countFailureKey struct{}

// countFailure is where a limiter's error handler leaves the error of a
// count that failed, for overLimit.
type countFailure struct{ err error }

// overLimit counts r against l under key; when r must stop it answers 429,
// or 503 when the count failed, and reports true.
func (s *Server) overLimit(l *httprate.RateLimiter, w http.ResponseWriter, r *http.Request, key string) bool {
	failure := new(countFailure)
	r = r.WithContext(context.WithValue(r.Context(), countFailureKey{}, failure))
	if !l.OnLimit(w, r, key) {
		return false
	}
	if failure.err != nil {
		w.Header().Del("Retry-After") // httprate's window; s.error sets its own
		s.error(w, r, failure.err)
		return true
	}
	s.errorStatus(w, r, http.StatusTooManyRequests, "error.rate_limited")
	return true
}

// limitAuth is authLimit as middleware, by client address.
func (s *Server) limitAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.overLimit(s.authLimit, w, r, clientKey(r)) {
			return
		}
		next.ServeHTTP(w, r)
	})
}
