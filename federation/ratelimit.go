package federation

import (
	"sync"
	"time"
)

// hostLimiter is a token bucket per remote host for the inbox: rate
// tokens per second, up to burst. Keyed by the signing key's host, so one
// noisy peer cannot starve the others. Idle buckets are dropped.
type hostLimiter struct {
	rate    float64
	burst   float64
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newHostLimiter(rate float64, burst int, now func() time.Time) *hostLimiter {
	return &hostLimiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// allow takes a token for host; when none is left it reports how long
// until one is.
func (l *hostLimiter) allow(host string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) > time.Minute {
		for h, b := range l.buckets {
			if now.Sub(b.last) > time.Minute {
				delete(l.buckets, h)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[host]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[host] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}
