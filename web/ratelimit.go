package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/httprate"
)

// Rate limits on writes. Reads are free (open data); writes through the
// API are limited per token (or per address without one), and the acts
// that count (supports, votes, signatures) per account on both doors, so
// a script cannot hammer them. Past a limit the answer is 429 with
// Retry-After. These limits are in memory, per process: with N nodes
// behind a load balancer a client gets up to N times them, which is
// accepted because they bound load, not a secret's guessing (a vote or a
// support counts once per account however often it is sent), and a
// database round trip on every vote would slow the hottest path. The
// log-in limit, which does stop guessing, is shared through the database
// on PostgreSQL (ratelimit_shared.go).
const (
	apiWrites          = 60 // API writes per token or address
	apiWriteWindow     = time.Minute
	participations     = 30 // supports, votes and signatures per account
	participationRange = time.Minute
)

// participationSuffixes end the paths of supports, votes and signatures,
// on the API (/support, /votes, /signatures) and on pages (/vote, /sign).
var participationSuffixes = []string{"/support", "/unsupport", "/votes", "/vote", "/signatures", "/sign"}

func isParticipation(r *http.Request) bool {
	if r.Method != http.MethodPost && r.Method != http.MethodDelete {
		return false
	}
	for _, s := range participationSuffixes {
		if strings.HasSuffix(r.URL.Path, s) {
			return true
		}
	}
	return false
}

// clientKey is the rate-limit key of the client's address: r.RemoteAddr,
// which clientAddr has set from a trusted proxy's X-Forwarded-For when
// there is one. IPv6 clients are keyed by their /64, which one client
// usually holds whole.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return httprate.CanonicalizeIP(host)
}

// keyByClient is clientKey as an httprate key function.
func keyByClient(r *http.Request) (string, error) { return clientKey(r), nil }

// tokenOrIP keys API writes by bearer token (hashed: keys stay in memory
// and must not be usable) or by client address.
func tokenOrIP(r *http.Request) (string, error) {
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		sum := sha256.Sum256([]byte(auth))
		return "t:" + hex.EncodeToString(sum[:8]), nil
	}
	return "ip:" + clientKey(r), nil
}

// accountOrIP keys participation by the signed-in account.
func accountOrIP(r *http.Request) (string, error) {
	if acc := currentAccount(r.Context()); acc != nil {
		return "a:" + strconv.FormatInt(acc.ID, 10), nil
	}
	return "ip:" + clientKey(r), nil
}

func (s *Server) limited(w http.ResponseWriter, r *http.Request) {
	s.errorStatus(w, r, http.StatusTooManyRequests, "error.rate_limited")
}

// apiWriteLimit limits every API write per token or address, and
// participation per account. Use it after bearerAccount.
func (s *Server) apiWriteLimit() func(http.Handler) http.Handler {
	writes := httprate.NewRateLimiter(apiWrites, apiWriteWindow, httprate.WithKeyFuncs(tokenOrIP), httprate.WithLimitHandler(s.limited))
	acts := s.participationLimit()
	return func(next http.Handler) http.Handler {
		limitedWrites := writes.Handler(acts(next))
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
				next.ServeHTTP(w, r)
				return
			}
			limitedWrites.ServeHTTP(w, r)
		})
	}
}

// participationLimiters holds one participation limiter per Server, so
// the API and the pages share an account's budget (and several servers in
// one test process do not share theirs).
var participationLimiters sync.Map // *Server → *httprate.RateLimiter

// participationLimit limits supports, votes and signatures per account;
// other requests pass. Use it after the account is known.
func (s *Server) participationLimit() func(http.Handler) http.Handler {
	return s.limitIf(&participationLimiters, participations, participationRange, accountOrIP, isParticipation)
}

// limitIf limits the requests pred selects to n a window per key; the
// others pass. The limiter is s's one in m (created on first use), so the
// pages and the API that ask for it share one budget.
func (s *Server) limitIf(m *sync.Map, n int, window time.Duration, key httprate.KeyFunc, pred func(*http.Request) bool) func(http.Handler) http.Handler {
	l, _ := m.LoadOrStore(s, httprate.NewRateLimiter(n, window, httprate.WithKeyFuncs(key), httprate.WithLimitHandler(s.limited)))
	limiter := l.(*httprate.RateLimiter)
	return func(next http.Handler) http.Handler {
		limited := limiter.Handler(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if pred(r) {
				limited.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
