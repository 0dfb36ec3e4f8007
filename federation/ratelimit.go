package federation

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/httprate"
	"golang.org/x/time/rate"
)

// claimFactor is how many times a host's inbox rate and burst one client
// address may send before signatures are verified: an address may carry
// several honest hosts (a hosting provider's, a NAT), while a forger
// still spends only their own address's budget.
const claimFactor = 4

// maxLimiterKeys bounds the buckets one keyLimiter holds. Keys come from
// the network (a claimed host, a client address), so a flood of invented
// ones must not grow memory without end: past the bound, idle buckets are
// dropped first (one sweep a second at most, under the lock every caller
// takes), and a new key is refused while none can be.
const maxLimiterKeys = 50_000

// keyLimiter is a token bucket (golang.org/x/time/rate) per key: rate
// tokens per second, up to burst. The inbox keys one by the client's
// address before verifying, and one by the verified host after; key
// fetches are keyed by host (see Service.inbox). A bucket that has been
// idle long enough to be full again is dropped: it is the same as a new
// one.
type keyLimiter struct {
	limit   rate.Limit
	burst   int
	refill  time.Duration // how long an empty bucket takes to fill
	maxKeys int
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*keyBucket
	swept   time.Time
	sweeps  int // how many sweeps ran (tests)
}

type keyBucket struct {
	lim  *rate.Limiter
	last time.Time
}

func newKeyLimiter(perSecond float64, burst int, now func() time.Time) *keyLimiter {
	return &keyLimiter{limit: rate.Limit(perSecond), burst: burst, now: now, buckets: map[string]*keyBucket{}, maxKeys: maxLimiterKeys,
		refill: time.Duration(float64(burst) / perSecond * float64(time.Second))}
}

// allow takes a token for key; when none is left it reports how long
// until one is.
func (l *keyLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, wait := l.bucketLocked(key, now)
	if b == nil {
		return false, wait
	}
	b.lim.AllowN(now, 1)
	return true, 0
}

// bucket returns key's bucket when it holds a token at now, without
// taking it; otherwise nil, and how long until it holds one (or until a
// new key may have a bucket, past maxKeys). The caller takes the token
// (b.lim.AllowN) or not: a bucket left full is swept as a new one.
// Checking then taking is one step only for callers that serialise their
// use of l (fetchBudget.mu).
func (l *keyLimiter) bucket(key string, now time.Time) (*keyBucket, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bucketLocked(key, now)
}

func (l *keyLimiter) bucketLocked(key string, now time.Time) (*keyBucket, time.Duration) {
	b, ok := l.buckets[key]
	if !ok {
		due := min(l.refill, time.Minute)
		if len(l.buckets) >= l.maxKeys {
			due = min(due, time.Second)
		}
		if now.Sub(l.swept) >= due {
			l.sweep(now)
		}
		if len(l.buckets) >= l.maxKeys {
			return nil, l.refill
		}
		b = &keyBucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.last = now
	if tokens := b.lim.TokensAt(now); tokens < 1 {
		return nil, max(time.Nanosecond, time.Duration((1-tokens)/float64(l.limit)*float64(time.Second)))
	}
	return b, 0
}

// sweep drops the buckets that are full again.
func (l *keyLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.last) >= l.refill {
			delete(l.buckets, k)
		}
	}
	l.swept = now
	l.sweeps++
}

// limitHost is the key of a host's budgets: one server however its name
// is spelled (case, a trailing dot, a port or its leading zeros, an IPv4
// address written as IPv6), so that respelling it gives no fresh budget.
func limitHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().String()
	}
	return host
}

// clientAddr is a request's client address as the inbox's limits see it:
// r.RemoteAddr without its port, which web's clientAddr has set from a
// trusted proxy's X-Forwarded-For when there is one.
type clientAddr struct {
	// group is the rate-limit key of the address, as the web layer keys
	// its own limits: IPv6 clients by their /64, which one client usually
	// holds whole. The early inbox limit and the key-fetch budgets of an
	// address (fetchBudget) are its group's.
	group string
	// addr is the full address (IPv6 /128, IPv4 unmapped): a server's
	// outgoing address is stable, so whether an address is known for a
	// host (fetchBudget) is its full address's. Invalid (RemoteAddr is
	// not an IP address), it is never known.
	addr netip.Addr
}

// clientOf returns the client address of r.
func clientOf(r *http.Request) clientAddr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	c := clientAddr{group: httprate.CanonicalizeIP(host)}
	if ip, err := netip.ParseAddr(host); err == nil {
		c.addr = ip.Unmap()
	}
	return c
}
