package federation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// fakeClock is a settable Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// keyFetch is one batch of key lookups of unknown actors on a hostPeer:
// n key ids from the client address from, of actors named prefix0,
// prefix1… (real actors the peer serves, or paths it answers 404 for),
// after the clock advanced by advance and the addresses in known sent a
// request verified with a key of the peer. Addresses go through
// clientOf, as the inbox's do (known by the full address, budgets by
// IPv6 /64).
type keyFetch struct {
	advance        time.Duration
	known          []string
	knownElsewhere bool // known for another host than the peer
	from           string
	prefix         string
	n              int
	real           bool
	wantFetched    int    // GETs the batch causes
	wantRefused    int    // lookups refused with retry-later…
	whose          string // …by this budget (retryLater.whose)
	maxAfter       time.Duration
}

// TestKeyFetchBudget: the key fetches unknown key ids of a host cause
// draw, for an address known for the host (it sent a request verified
// with one of the host's keys), on the host's whole budget; the other
// addresses share a quarter of it, each a quarter of that. So forgers,
// from however many addresses, cannot spend the fetches the host's own
// server needs, and one forging address cannot spend a new honest
// server's. A fetch is taken from every bucket it draws on or from none.
// Default budget: 10 fetches a second per host, bursts of 100; unknown
// addresses together 2.5 a second, bursts of 25; one unknown address
// 0.625 a second, bursts of 6.
func TestKeyFetchBudget(t *testing.T) {
	const unknowns, forger = "host's unknown addresses", "address"
	tests := []struct {
		name    string
		batches []keyFetch
	}{
		{"two forgers' 1,000 invented key ids each leave a known address the host's budget", []keyFetch{
			{known: []string{"192.0.2.1"}, from: "192.0.2.66", prefix: "x", n: 1000, wantFetched: 6, wantRefused: 994, whose: forger},
			{from: "192.0.2.67", prefix: "y", n: 1000, wantFetched: 6, wantRefused: 994, whose: forger},
			{from: "192.0.2.1", prefix: "alice", n: 88, real: true, wantFetched: 88},
		}},
		{"a new honest address gets its fetch under another address's flood", []keyFetch{
			{from: "192.0.2.66", prefix: "x", n: 1000, wantFetched: 6, wantRefused: 994, whose: forger},
			{from: "192.0.2.2", prefix: "alice", n: 1, real: true, wantFetched: 1},
		}},
		{"many forgers' addresses spend a quarter of the host's budget, then wait with new ones", []keyFetch{
			{from: "192.0.2.60", prefix: "a", n: 10, wantFetched: 6, wantRefused: 4, whose: forger},
			{from: "192.0.2.61", prefix: "b", n: 10, wantFetched: 6, wantRefused: 4, whose: forger},
			{from: "192.0.2.62", prefix: "c", n: 10, wantFetched: 6, wantRefused: 4, whose: forger},
			{from: "192.0.2.63", prefix: "d", n: 10, wantFetched: 6, wantRefused: 4, whose: forger},
			{from: "192.0.2.64", prefix: "e", n: 10, wantFetched: 1, wantRefused: 9, whose: unknowns},
			{known: []string{"192.0.2.1"}, from: "192.0.2.1", prefix: "alice", n: 76, real: true, wantFetched: 75, wantRefused: 1, whose: "host"},
			// A new honest server is told to retry within a second, and is
			// fetched then (forgers racing it for the unknown addresses'
			// 2.5 fetches a second may be served first).
			{from: "192.0.2.2", prefix: "bob", n: 1, real: true, wantRefused: 1, whose: unknowns, maxAfter: time.Second},
			{advance: time.Second, from: "192.0.2.2", prefix: "bob", n: 1, real: true, wantFetched: 1},
		}},
		{"a fetch the host's budget refuses spends no address's", []keyFetch{
			{known: []string{"192.0.2.1"}, from: "192.0.2.1", prefix: "alice", n: 100, real: true, wantFetched: 100},
			{from: "192.0.2.2", prefix: "bob", n: 6, real: true, wantRefused: 6, whose: "host"},
			// The host refilled 10; the address still holds its 6.
			{advance: time.Second, from: "192.0.2.2", prefix: "carol", n: 7, real: true, wantFetched: 6, wantRefused: 1, whose: forger},
		}},
		{"an IPv6 /64 is one address's budget, but known by the full address", []keyFetch{
			{known: []string{"2001:db8::1"}, from: "2001:db8::1", prefix: "alice", n: 80, real: true, wantFetched: 80},
			{from: "2001:db8::ffff", prefix: "w", n: 10, wantFetched: 6, wantRefused: 4, whose: forger},
			{from: "2001:db8:0:1::1", prefix: "x", n: 10, wantFetched: 6, wantRefused: 4, whose: forger},
			{from: "2001:db8:0:1::2", prefix: "y", n: 10, wantRefused: 10, whose: forger},
			{from: "2001:db8:0:2::1", prefix: "z", n: 1, wantFetched: 1},
		}},
		{"an address is known for six hours after its last verified request", []keyFetch{
			{known: []string{"192.0.2.1"}, advance: 0, from: "192.0.2.1", prefix: "a", n: 10, real: true, wantFetched: 10},
			{advance: knownFor - time.Minute, from: "192.0.2.1", prefix: "b", n: 10, real: true, wantFetched: 10},
			{advance: 2 * time.Minute, from: "192.0.2.1", prefix: "c", n: 10, real: true, wantFetched: 6, wantRefused: 4, whose: forger},
		}},
		{"an address is known for its host only", []keyFetch{
			{known: []string{"192.0.2.1"}, knownElsewhere: true, from: "192.0.2.1", prefix: "alice", n: 10, real: true, wantFetched: 6, wantRefused: 4, whose: forger},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Now()}
			n := newNode(t, func(o *Options) { o.Now = clock.now })
			peer := newHostPeer(t)
			host := limitHost(hostOf(peer.base))
			ctx := context.Background()
			fetched := 0
			for i, b := range tt.batches {
				clock.advance(b.advance)
				for _, addr := range b.known {
					if b.knownElsewhere {
						n.s.fetchBudget.verified(clientAt(addr), "other.example")
					} else {
						n.s.fetchBudget.verified(clientAt(addr), host)
					}
				}
				refused := 0
				for j := range b.n {
					name := fmt.Sprintf("%s%d", b.prefix, j)
					id := peer.base + "/users/" + name
					if b.real {
						id = peer.actor(t, name, "Person")
					}
					_, _, err := n.s.keys.from(clientAt(b.from)).PublicKey(ctx, id+"#main-key", false)
					var later *retryLater
					switch {
					case errors.As(err, &later):
						refused++
						if later.whose != b.whose || later.after <= 0 || b.maxAfter > 0 && later.after > b.maxAfter {
							t.Errorf("batch %d, %s: refused by the %s budget (retry in %s), want the %s's", i, name, later.whose, later.after, b.whose)
						}
					case b.real && err != nil:
						t.Errorf("batch %d, %s: %v", i, name, err)
					case !b.real && err == nil:
						t.Errorf("batch %d, %s: a key for a 404", i, name)
					}
				}
				got := peer.totalGets() - fetched
				fetched += got
				if got != b.wantFetched || refused != b.wantRefused {
					t.Errorf("batch %d (%s ×%d from %s): fetched %d, refused %d; want %d, %d", i, b.prefix, b.n, b.from, got, refused, b.wantFetched, b.wantRefused)
				}
			}
		})
	}
}

// clientAt is clientOf a request from addr.
func clientAt(addr string) clientAddr {
	return clientOf(&http.Request{RemoteAddr: net.JoinHostPort(addr, "443")})
}

// TestFetchBudgetVerifiedAllocatesNothing: recording a verified request
// of an address already known, on every inbox POST, allocates nothing.
func TestFetchBudgetVerifiedAllocatesNothing(t *testing.T) {
	b := newFetchBudget(10, 100, time.Now)
	client, host := clientAt("2001:db8::1"), "peer.example"
	b.verified(client, host)
	if n := testing.AllocsPerRun(100, func() { b.verified(client, host) }); n != 0 {
		t.Errorf("verified allocates %v times per call, want 0", n)
	}
}

// TestFetchBudgetKnownPairs: the (address, host) pairs known are pushed
// out least recently verified first, a lookup not counting as a
// verification; one address group (an IPv4 address, an IPv6 /64) is known
// for knownPerGroup hosts at most, a new one pushing out its own oldest,
// so one group signing for many hosts of its own (wildcard subdomains)
// cannot push out the others' pairs.
func TestFetchBudgetKnownPairs(t *testing.T) {
	const peer = "peer.example"
	honest := clientAt("192.0.2.1")
	evilHost := func(i int) string { return fmt.Sprintf("h%d.evil.example", i) }
	// fill verifies knownPairs pairs, each from its own IPv4 address,
	// running between after every 1,000th.
	fill := func(b *fetchBudget, clock *fakeClock, between func()) {
		for i := range knownPairs {
			b.verified(clientAt(fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255)), "filler.example")
			if i%1000 == 0 {
				between()
			}
		}
	}
	tests := []struct {
		name string
		run  func(b *fetchBudget, clock *fakeClock)
		want map[string]bool // "address host": known
	}{
		{"one address's wildcard subdomains push out only its own oldest", func(b *fetchBudget, _ *fakeClock) {
			b.verified(honest, peer)
			for i := range knownPairs + 1 {
				b.verified(clientAt("198.51.100.7"), evilHost(i))
			}
		}, map[string]bool{
			"192.0.2.1 " + peer:                                    true,
			"198.51.100.7 " + evilHost(0):                          false,
			"198.51.100.7 " + evilHost(knownPairs-knownPerGroup):   false,
			"198.51.100.7 " + evilHost(knownPairs-knownPerGroup+1): true,
			"198.51.100.7 " + evilHost(knownPairs):                 true,
		}},
		{"an IPv6 /64's addresses share their group's hosts", func(b *fetchBudget, _ *fakeClock) {
			b.verified(honest, peer)
			for i := range knownPairs + 1 {
				b.verified(clientAt(fmt.Sprintf("2001:db8::%x", i+1)), evilHost(i))
			}
		}, map[string]bool{
			"192.0.2.1 " + peer:          true,
			"2001:db8::1 " + evilHost(0): false,
			fmt.Sprintf("2001:db8::%x ", knownPairs+1) + evilHost(knownPairs): true,
		}},
		{"a client address that is not an IP address is never known", func(b *fetchBudget, _ *fakeClock) {
			b.verified(clientAt("pipe"), peer)
		}, map[string]bool{"pipe " + peer: false}},
		{"lookups do not keep a pair known", func(b *fetchBudget, clock *fakeClock) {
			b.verified(honest, peer)
			fill(b, clock, func() { b.isKnown(honest, peer) })
		}, map[string]bool{"192.0.2.1 " + peer: false}},
		{"verifications keep a pair known", func(b *fetchBudget, clock *fakeClock) {
			b.verified(honest, peer)
			fill(b, clock, func() { clock.advance(knownTouch); b.verified(honest, peer) })
		}, map[string]bool{"192.0.2.1 " + peer: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Now()}
			b := newFetchBudget(10, 100, clock.now)
			tt.run(b, clock)
			for pair, want := range tt.want {
				addr, host, _ := strings.Cut(pair, " ")
				if got := b.isKnown(clientAt(addr), host); got != want {
					t.Errorf("%s known for %s: %v, want %v", addr, host, got, want)
				}
			}
			if n := b.known.len(); n > knownPairs {
				t.Errorf("%d pairs known, want at most %d", n, knownPairs)
			}
		})
	}
}

// TestKeyFetchMissRemembered: an actor URI whose fetch found no actor
// (404, 410, a document that is not an actor) is not fetched again for a
// key within keyMissTTL, whatever address asks; one the peer could not
// answer for now (503) is fetched again after keyRefreshEvery.
func TestKeyFetchMissRemembered(t *testing.T) {
	later := []time.Duration{0, keyRefreshEvery + time.Second, keyMissTTL - time.Minute, keyMissTTL + time.Second}
	tests := []struct {
		name  string
		setup func(p *hostPeer, path string)
		gets  []int // the peer's GETs after each lookup, at the times in later
	}{
		{"404", func(*hostPeer, string) {}, []int{1, 1, 1, 2}},
		{"410", func(p *hostPeer, path string) { p.gone[path] = true }, []int{1, 1, 1, 2}},
		{"not an actor", func(p *hostPeer, path string) {
			p.docs[path] = map[string]any{"id": p.base + path, "type": "Note", "content": "hi"}
		}, []int{1, 1, 1, 2}},
		{"503", func(p *hostPeer, path string) { p.status[path] = http.StatusServiceUnavailable }, []int{1, 2, 3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			clock := &fakeClock{t: start}
			n := newNode(t, func(o *Options) { o.Now = clock.now })
			peer := newHostPeer(t)
			path := "/users/ghost"
			peer.mu.Lock()
			tt.setup(peer, path)
			peer.mu.Unlock()
			for i, at := range later {
				clock.mu.Lock()
				clock.t = start.Add(at)
				clock.mu.Unlock()
				for j := range 3 { // asked again at once, from other addresses
					from := clientAt(fmt.Sprintf("192.0.2.%d", 10*i+j))
					if _, _, err := n.s.keys.from(from).PublicKey(context.Background(), peer.base+path+"#main-key", false); err == nil {
						t.Fatalf("lookup %d: a key for %s", i, tt.name)
					}
				}
				if got := peer.totalGets(); got != tt.gets[i] {
					t.Errorf("after %s: %d GETs, want %d", at, got, tt.gets[i])
				}
			}
		})
	}
}

// totalGets is how many GETs the peer answered.
func (p *hostPeer) totalGets() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	total := 0
	for _, n := range p.gets {
		total += n
	}
	return total
}

// TestInboxForgerCannotDrainHostsFetches: POSTs whose key ids name
// distinct nonexistent actors of an honest host, from addresses that
// never delivered a verified activity of it, are refused (429,
// Retry-After) once their address's part of the unknown addresses' share
// of the host's key fetches is spent; a new honest server of the host
// still has its first key fetched from another address, and once that
// address delivered a verified activity, its new actors draw on the
// host's whole budget, which forgers from any number of addresses have
// left at least three quarters of. Budget: 16 fetches per host, 4 for
// its unknown addresses together, 1 for each.
func TestInboxForgerCannotDrainHostsFetches(t *testing.T) {
	a := newNode(t, func(o *Options) { o.InboxRate, o.InboxBurst = 0.001, 16 })
	ville := a.space(t, "ville")
	peer := newHostPeer(t)
	inbox := a.srv.URL + "/inbox"
	forged := 0
	forge := func(from string, n int) []int {
		var statuses []int
		for range n {
			forged++
			actor := fmt.Sprintf("%s/users/random%d", peer.base, forged)
			body := followBody(fmt.Sprintf("%s/f/%d", peer.base, forged), actor, ville.Actor.URI)
			resp := postVia(t, clientFrom(from), inbox, body, mustSigner(t, actor+"#main-key", testKey(t, 0)), nil)
			statuses = append(statuses, resp.StatusCode)
			if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
		return statuses
	}
	deliver := func(from, name string) int {
		actor := peer.actor(t, name, "Person")
		body := followBody(actor+"/f/1", actor, ville.Actor.URI)
		return postVia(t, clientFrom(from), inbox, body, mustSigner(t, actor+"#main-key", testKey(t, 0)), nil).StatusCode
	}
	oneThenRefused := func(n int) []int { return append([]int{401}, slices.Repeat([]int{429}, n-1)...) }
	for _, st := range []struct {
		from string
		n    int
		want []int
	}{
		{"127.0.0.2", 20, oneThenRefused(20)},
		{"127.0.0.4", 20, oneThenRefused(20)},
	} {
		if got := forge(st.from, st.n); !slices.Equal(got, st.want) {
			t.Errorf("forged POSTs from %s: statuses %v, want %v", st.from, got, st.want)
		}
	}
	if got := deliver("127.0.0.3", "alice"); got != http.StatusAccepted {
		t.Errorf("a new honest server's first POST under the forgers' flood: status %d, want 202", got)
	}
	if got, want := forge("127.0.0.5", 5), oneThenRefused(5); !slices.Equal(got, want) {
		t.Errorf("a third forger's POSTs: statuses %v, want %v", got, want)
	}
	if got, want := forge("127.0.0.6", 5), slices.Repeat([]int{429}, 5); !slices.Equal(got, want) {
		t.Errorf("a fourth forger's POSTs, the unknown addresses' share spent: statuses %v, want %v", got, want)
	}
	for i := range 12 { // what the unknown addresses left of the host's 16
		if got := deliver("127.0.0.3", fmt.Sprintf("new%d", i)); got != http.StatusAccepted {
			t.Errorf("the known server's new actor %d: status %d, want 202", i, got)
		}
	}
	if got := peer.totalGets(); got != 3+1+12 {
		t.Errorf("the peer was fetched %d times, want 16 (one per forger's address, alice, 12 new actors)", got)
	}
}

// missStep is one lookup of TestActorFetchMissRemembered at a time
// after the start: a key lookup ("key"), an activity's actor ("actor",
// as the inbox worker, mentions and announces ask), an object's author
// ("author"); or "vanish": the peer answers 404 from then on.
type missStep struct {
	at       time.Duration
	op       string
	wantGets int // the peer's GETs so far
	wantErr  bool
}

// TestActorFetchMissRemembered: the actors that activities name share
// the key lookups' memory of fetches that found no actor: within
// keyMissTTL, neither path fetches again an actor either found missing
// (404, 410); one the peer could not answer (503) is fetched again; a
// remembered 410 still gives an object's author as deleted; a stale
// stored actor whose refresh finds none is kept and not refreshed again
// at once.
func TestActorFetchMissRemembered(t *testing.T) {
	soon, after := time.Minute, keyMissTTL+time.Second
	stale := ActorMaxAge + time.Hour
	tests := []struct {
		name  string
		setup func(p *hostPeer, path string)
		steps []missStep
	}{
		{"a key lookup's 404, then activities naming the actor", func(*hostPeer, string) {}, []missStep{
			{0, "key", 1, true}, {soon, "actor", 1, true}, {soon, "author", 1, true}, {after, "actor", 2, true},
		}},
		{"an activity's 404, then a key lookup and another activity", func(*hostPeer, string) {}, []missStep{
			{0, "actor", 1, true}, {soon, "key", 1, true}, {soon, "actor", 1, true}, {after, "key", 2, true},
		}},
		{"not an actor", func(p *hostPeer, path string) {
			p.docs[path] = map[string]any{"id": p.base + path, "type": "Note", "content": "hi"}
		}, []missStep{
			{0, "actor", 1, true}, {soon, "actor", 1, true}, {after, "actor", 2, true},
		}},
		{"503 is not remembered", func(p *hostPeer, path string) { p.status[path] = http.StatusServiceUnavailable }, []missStep{
			{0, "actor", 1, true}, {soon, "actor", 2, true}, {soon, "key", 3, true},
		}},
		{"a key lookup's 410, then the author of an object: deleted", func(p *hostPeer, path string) { p.gone[path] = true }, []missStep{
			{0, "key", 1, true}, {soon, "author", 1, false}, {after, "author", 1, false},
		}},
		{"a stale actor whose refresh finds none", func(p *hostPeer, path string) {
			p.docs[path] = p.docs["/users/template"]
		}, []missStep{
			{0, "actor", 1, false}, {0, "vanish", 1, false},
			{stale, "actor", 2, false}, {stale + soon, "actor", 2, false}, {stale + after, "actor", 3, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			clock := &fakeClock{t: start}
			n := newNode(t, func(o *Options) { o.Now = clock.now })
			peer := newHostPeer(t)
			const path = "/users/ghost"
			peer.actor(t, "ghost", "Person")
			peer.mu.Lock()
			peer.docs["/users/template"] = peer.docs[path]
			delete(peer.docs, path)
			tt.setup(peer, path)
			delete(peer.docs, "/users/template")
			peer.gets = map[string]int{}
			peer.mu.Unlock()
			uri, ctx := peer.base+path, context.Background()
			for i, st := range tt.steps {
				clock.mu.Lock()
				clock.t = start.Add(st.at)
				clock.mu.Unlock()
				var err error
				switch st.op {
				case "key":
					_, _, err = n.s.keys.from(clientAt(fmt.Sprintf("192.0.2.%d", i))).PublicKey(ctx, uri+"#main-key", false)
				case "actor":
					_, err = n.s.actorFor(ctx, uri)
				case "author":
					var a *models.Actor
					if a, err = n.s.authorFor(ctx, uri); err == nil && a.DeletedAt == nil {
						t.Errorf("step %d: author %s not deleted", i, uri)
					}
				case "vanish":
					peer.mu.Lock()
					delete(peer.docs, path)
					peer.mu.Unlock()
				}
				if (err != nil) != st.wantErr {
					t.Errorf("step %d (%s at %s): err %v, want an error: %v", i, st.op, st.at, err, st.wantErr)
				}
				if got := peer.totalGets(); got != st.wantGets {
					t.Errorf("step %d (%s at %s): %d GETs, want %d", i, st.op, st.at, got, st.wantGets)
				}
			}
		})
	}
}

// TestActorMissesLeaveKeyMarks: the actors that activities name (an
// actor, an author) share the key lookups' memory of missing actors but
// write their own, so however many missing actors a verified sender names
// on its own host, the key lookups' marks stay: a nonexistent actor's key
// id still costs its host one fetch per keyMissTTL. Both memories are
// shrunk to 4 here; the sender names 10.
func TestActorMissesLeaveKeyMarks(t *testing.T) {
	tests := []struct {
		name  string
		churn func(n *node, uri string) error
		gone  bool
	}{
		{"actors found missing (404)", func(n *node, uri string) error {
			_, err := n.s.actorFor(context.Background(), uri)
			return err
		}, false},
		{"authors found deleted (410)", func(n *node, uri string) error {
			_, err := n.s.authorFor(context.Background(), uri)
			return err
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Now()}
			n := newNode(t, func(o *Options) { o.Now = clock.now })
			shrinkMissMemory(n, 4)
			peer := newHostPeer(t)
			ghost := peer.base + "/users/ghost#main-key"
			lookup := func(from string) {
				if _, _, err := n.s.keys.from(clientAt(from)).PublicKey(context.Background(), ghost, false); err == nil {
					t.Fatal("a key for a 404")
				}
			}
			lookup("192.0.2.1")
			for i := range 10 {
				uri := fmt.Sprintf("%s/users/none%d", peer.base, i)
				if tt.gone {
					peer.mu.Lock()
					peer.gone["/users/none"+fmt.Sprint(i)] = true
					peer.mu.Unlock()
				}
				if err := tt.churn(n, uri); err == nil && !tt.gone {
					t.Fatalf("an actor for a 404: %s", uri)
				}
			}
			clock.advance(keyRefreshEvery + time.Second)
			lookup("192.0.2.2")
			if got := peer.totalGets(); got != 1+10 {
				t.Errorf("%d GETs, want 11: the ghost's key lookup fetched again after the activities' misses", got)
			}
		})
	}
}

// shrinkMissMemory bounds n's memories of fetched and missing actors to
// size entries.
func shrinkMissMemory(n *node, size int) {
	n.s.keys.mu.Lock()
	n.s.keys.marks = newLRU[string, fetchMark](size)
	n.s.keys.actorMisses = newLRU[string, fetchMark](size)
	n.s.keys.mu.Unlock()
}
