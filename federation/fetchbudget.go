package federation

import (
	"net/netip"
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
// (address, host) pairs remembered, and knownPerGroup those of the
// addresses of one group (clientAddr.group: an IPv4 address, an IPv6
// /64), least recently verified first out in both; knownTouch is how
// stale a pair's time may get before a verified request rewrites it, so
// that the verified hot path mostly only reads.
const (
	knownFor      = 6 * time.Hour
	knownPairs    = 20_000
	knownPerGroup = 64
	knownTouch    = time.Minute
)

// fetchBudget bounds the key fetches that unknown key ids cause, per key
// host, so that requests naming invented actors of a host cannot make odn
// hammer it, nor spend the fetches its own new actors need.
//
// A client address is known for a host once a request from it verified
// with a key of that host: whoever sent it from that address held one of
// the host's private keys. Known-ness is keyed by the full address (IPv6
// /128: a server's outgoing address is stable), so a forger in the
// server's /64 is not known; but everyone who shares the server's very
// address (a NAT, a shared host, or every client when a reverse proxy is
// missing from --trusted-proxies) is known with it. A known address draws
// on the host's budget alone. The others draw, in one step, on their
// group's bucket (clientAddr.group, an IPv6 /64: 1/strangerShare² of the
// host's rate and burst), the bucket of the host's unknown addresses
// together (1/strangerShare) and the host's; a fetch is taken from all
// of them or from none. So however many addresses forge key ids of a
// host, they leave (strangerShare-1)/strangerShare of its budget to its
// known addresses, and one forging address leaves most of the unknown
// addresses' part to a new honest server.
//
// One group is known for knownPerGroup hosts at most (a new one pushes
// out its own least recently verified), so one address signing for many
// hosts of its own (wildcard subdomains) cannot push the other addresses'
// pairs out of the knownPairs remembered.
type fetchBudget struct {
	now func() time.Time
	// mu makes checking the buckets of a fetch and spending them one
	// step; the limiters are used only under it.
	mu                        sync.Mutex
	host, strangers, stranger *keyLimiter
	// knownMu guards known and groups: every pair known, by when it was
	// last verified (lookups do not refresh it), and the pairs of each
	// group, in the same order.
	knownMu sync.Mutex
	known   *lru[knownPair, knownMark]
	groups  map[string]*lru[knownPair, struct{}]
}

// knownPair is a client's full address and a host (limitHost) its
// requests were verified for.
type knownPair struct {
	addr netip.Addr
	host string
}

// knownMark is when a pair was last verified, and its address's group.
type knownMark struct {
	at    time.Time
	group string
}

func newFetchBudget(perSecond float64, burst int, now func() time.Time) *fetchBudget {
	const s = strangerShare
	b := &fetchBudget{now: now,
		host:      newKeyLimiter(perSecond, burst, now),
		strangers: newKeyLimiter(perSecond/s, max(1, burst/s), now),
		stranger:  newKeyLimiter(perSecond/(s*s), max(1, burst/(s*s)), now),
		known:     newLRU[knownPair, knownMark](knownPairs),
		groups:    map[string]*lru[knownPair, struct{}]{},
	}
	b.known.evicted = func(p knownPair, m knownMark) { b.dropFromGroup(p, m.group) }
	return b
}

// verified records that a request from client verified with a key of
// host (limitHost). It allocates nothing for a pair already known.
func (b *fetchBudget) verified(client clientAddr, host string) {
	if !client.addr.IsValid() {
		return
	}
	now := b.now()
	p := knownPair{client.addr, host}
	b.knownMu.Lock()
	defer b.knownMu.Unlock()
	if m, ok := b.known.peek(p); ok && now.Sub(m.at) < knownTouch {
		return
	}
	g := b.groups[client.group]
	if g == nil {
		g = newLRU[knownPair, struct{}](knownPerGroup)
		g.evicted = func(p knownPair, _ struct{}) { b.known.remove(p) }
		b.groups[client.group] = g
	}
	g.add(p, struct{}{})
	b.known.add(p, knownMark{at: now, group: client.group})
}

// dropFromGroup forgets p in group's pairs, once known pushed it out.
func (b *fetchBudget) dropFromGroup(p knownPair, group string) {
	if g := b.groups[group]; g != nil {
		g.remove(p)
		if g.len() == 0 {
			delete(b.groups, group)
		}
	}
}

// isKnown reports whether client is known for host. It does not make
// the pair more recent: it stays known knownFor after its last
// verification, not its last use.
func (b *fetchBudget) isKnown(client clientAddr, host string) bool {
	if !client.addr.IsValid() {
		return false
	}
	b.knownMu.Lock()
	m, ok := b.known.peek(knownPair{client.addr, host})
	b.knownMu.Unlock()
	return ok && b.now().Sub(m.at) < knownFor
}

// spend takes one key fetch of host (limitHost) for a request of client,
// from every bucket it draws on or from none; refused, it says when the
// last of the refusing buckets has a fetch again, and whose it is.
func (b *fetchBudget) spend(client clientAddr, host string) error {
	type draw struct {
		l     *keyLimiter
		key   string
		whose string
	}
	draws := []draw{{b.host, host, "host"}}
	if !b.isKnown(client, host) {
		draws = append(draws, draw{b.strangers, host, "host's unknown addresses"}, draw{b.stranger, client.group + " " + host, "address"})
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
