package federation

import (
	"sync"
	"time"
)

// strangerShare divides a host's key-fetch budget for the client
// addresses not known for that host (fetchBudget): together they may
// cause 1/strangerShare of the host's fetches (rate and burst), and each
// one 1/strangerShare of that.
const strangerShare = 4

// knownFor is how long a client address stays known for a host after its
// last request verified with a key of that host; knownPairs bounds the
// (address, host) pairs remembered, least recently verified first out;
// knownTouch is how stale a pair's time may get before a verified
// request rewrites it, so that the verified hot path mostly only reads.
const (
	knownFor   = 6 * time.Hour
	knownPairs = 20_000
	knownTouch = time.Minute
)

// fetchBudget bounds the key fetches that unknown key ids cause, per key
// host, so that requests naming invented actors of a host cannot make odn
// hammer it, nor spend the fetches its own new actors need.
//
// A client address (clientKey: IPv6 by /64) is known for a host once a
// request from it verified with a key of that host: it holds one of the
// host's private keys, so it is the host's server, and forgers never
// become known. A known address draws on the host's budget alone. The
// others draw, in one step, on their own bucket (1/strangerShare² of the
// host's rate and burst), the bucket of the host's unknown addresses
// together (1/strangerShare) and the host's; a fetch is taken from all
// of them or from none. So however many addresses forge key ids of a
// host, they leave (strangerShare-1)/strangerShare of its budget to its
// known addresses, and one forging address leaves most of the unknown
// addresses' part to a new honest server.
type fetchBudget struct {
	now func() time.Time
	// mu makes checking the buckets of a fetch and spending them one
	// step; the limiters are used only under it.
	mu                        sync.Mutex
	host, strangers, stranger *keyLimiter
	knownMu                   sync.Mutex
	known                     *lru[knownPair, time.Time]
}

// knownPair is a client address and a host (limitHost) its requests were
// verified for.
type knownPair struct{ client, host string }

func newFetchBudget(perSecond float64, burst int, now func() time.Time) *fetchBudget {
	const s = strangerShare
	return &fetchBudget{now: now,
		host:      newKeyLimiter(perSecond, burst, now),
		strangers: newKeyLimiter(perSecond/s, max(1, burst/s), now),
		stranger:  newKeyLimiter(perSecond/(s*s), max(1, burst/(s*s)), now),
		known:     newLRU[knownPair, time.Time](knownPairs),
	}
}

// verified records that a request from client verified with a key of
// host (limitHost). It allocates nothing for a pair already known.
func (b *fetchBudget) verified(client, host string) {
	now := b.now()
	p := knownPair{client, host}
	b.knownMu.Lock()
	if at, ok := b.known.get(p); !ok || now.Sub(at) >= knownTouch {
		b.known.add(p, now)
	}
	b.knownMu.Unlock()
}

// isKnown reports whether client is known for host.
func (b *fetchBudget) isKnown(client, host string) bool {
	b.knownMu.Lock()
	at, ok := b.known.get(knownPair{client, host})
	b.knownMu.Unlock()
	return ok && b.now().Sub(at) < knownFor
}

// spend takes one key fetch of host (limitHost) for a request of client,
// from every bucket it draws on or from none; refused, it says when the
// last of the refusing buckets has a fetch again, and whose it is.
func (b *fetchBudget) spend(client, host string) error {
	type draw struct {
		l     *keyLimiter
		key   string
		whose string
	}
	draws := []draw{{b.host, host, "host"}}
	if !b.isKnown(client, host) {
		draws = append(draws, draw{b.strangers, host, "host's unknown addresses"}, draw{b.stranger, client + " " + host, "address"})
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	var refused *retryLater
	buckets := make([]*keyBucket, len(draws))
	for i, d := range draws {
		bk, wait := d.l.bucket(d.key, now)
		if bk == nil && (refused == nil || wait > refused.after) {
			refused = &retryLater{after: wait, whose: d.whose}
		}
		buckets[i] = bk
	}
	if refused != nil {
		return refused
	}
	for _, bk := range buckets {
		bk.lim.AllowN(now, 1)
	}
	return nil
}
