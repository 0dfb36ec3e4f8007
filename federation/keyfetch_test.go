package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
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
// after the clock advanced by advance.
type keyFetch struct {
	advance     time.Duration
	from        string
	prefix      string
	n           int
	real        bool
	wantFetched int    // GETs the batch causes
	wantRefused int    // lookups refused with retry-later…
	whose       string // …by this budget ("address" or "host")
}

// TestKeyFetchShareOfHost: the key fetches one client address causes
// spend its share (1/fetchShare) of the host's budget before the host's,
// so a forger naming a big host's nonexistent actors from one address
// leaves the rest of the host's fetches to its other senders; an honest
// server sending from fetchShare addresses gets the host's whole budget,
// and a lookup refused for the budget is fetched on its retry. Default
// budget: 10 fetches a second per host, bursts of 100.
func TestKeyFetchShareOfHost(t *testing.T) {
	tests := []struct {
		name    string
		batches []keyFetch
	}{
		{"a forger's 1,000 nonexistent actors spend only its address's share", []keyFetch{
			{from: "192.0.2.66", prefix: "random", n: 1000, wantFetched: 50, wantRefused: 950, whose: "address"},
			{from: "192.0.2.1", prefix: "alice", n: 1, real: true, wantFetched: 1},
			{from: "192.0.2.2", prefix: "bob", n: 1, real: true, wantFetched: 1},
		}},
		{"a forger's share refills at its share of the host's rate", []keyFetch{
			{from: "192.0.2.66", prefix: "random", n: 60, wantFetched: 50, wantRefused: 10, whose: "address"},
			{advance: time.Second, from: "192.0.2.66", prefix: "again", n: 10, wantFetched: 5, wantRefused: 5, whose: "address"},
			{from: "192.0.2.1", prefix: "alice", n: 1, real: true, wantFetched: 1},
		}},
		{"an honest server from two addresses gets the host's whole budget", []keyFetch{
			{from: "192.0.2.1", prefix: "a", n: 50, real: true, wantFetched: 50},
			{from: "192.0.2.2", prefix: "b", n: 50, real: true, wantFetched: 50},
			{from: "192.0.2.3", prefix: "c", n: 1, real: true, wantRefused: 1, whose: "host"},
			// Refused, then retried once the budget refilled: fetched, not
			// "not found recently".
			{advance: time.Second, from: "192.0.2.3", prefix: "c", n: 1, real: true, wantFetched: 1},
		}},
		{"one address alone gets its share, then retries later", []keyFetch{
			{from: "192.0.2.1", prefix: "a", n: 60, real: true, wantFetched: 50, wantRefused: 10, whose: "address"},
			{advance: 2 * time.Second, from: "192.0.2.1", prefix: "later", n: 10, real: true, wantFetched: 10},
		}},
		{"two forgers' addresses spend the host's budget; the host bounds them all", []keyFetch{
			{from: "192.0.2.66", prefix: "x", n: 100, wantFetched: 50, wantRefused: 50, whose: "address"},
			{from: "192.0.2.67", prefix: "y", n: 100, wantFetched: 50, wantRefused: 50, whose: "address"},
			{from: "192.0.2.1", prefix: "alice", n: 1, real: true, wantRefused: 1, whose: "host"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Now()}
			n := newNode(t, func(o *Options) { o.Now = clock.now })
			peer := newHostPeer(t)
			ctx := context.Background()
			fetched := 0
			for i, b := range tt.batches {
				clock.advance(b.advance)
				refused := 0
				for j := range b.n {
					name := fmt.Sprintf("%s%d", b.prefix, j)
					id := peer.base + "/users/" + name
					if b.real {
						id = peer.actor(t, name, "Person")
					}
					_, _, err := n.s.keys.from(b.from).PublicKey(ctx, id+"#main-key", false)
					var later *retryLater
					switch {
					case errors.As(err, &later):
						refused++
						if later.whose != b.whose || later.after <= 0 {
							t.Errorf("batch %d, %s: refused by the %s's budget (retry in %s), want the %s's", i, name, later.whose, later.after, b.whose)
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
					from := fmt.Sprintf("192.0.2.%d", 10*i+j)
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

// TestInboxForgerCannotDrainHostsFetches: POSTs from one address whose
// key ids name distinct nonexistent actors of an honest host are refused
// (429, Retry-After) once that address's share of the host's key fetches
// is spent, and the host's new actor, delivering from another address,
// still has its key fetched and its activity accepted.
func TestInboxForgerCannotDrainHostsFetches(t *testing.T) {
	a := newNode(t, func(o *Options) { o.InboxRate, o.InboxBurst = 0.001, 4 })
	ville := a.space(t, "ville")
	peer := newHostPeer(t)
	alice := peer.actor(t, "alice", "Person")
	inbox := a.srv.URL + "/inbox"
	forger := clientFrom("127.0.0.2")
	var statuses []int
	for i := range claimFactor * 4 { // the forger's address's whole claim budget
		actor := fmt.Sprintf("%s/users/random%d", peer.base, i)
		body := followBody(fmt.Sprintf("%s/f/%d", peer.base, i), actor, ville.Actor.URI)
		resp := postVia(t, forger, inbox, body, mustSigner(t, actor+"#main-key", testKey(t, 0)), nil)
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if want := append([]int{401, 401}, slices.Repeat([]int{429}, claimFactor*4-2)...); !slices.Equal(statuses, want) {
		t.Errorf("forged POSTs: statuses %v, want %v", statuses, want)
	}
	body := followBody(alice+"/f/1", alice, ville.Actor.URI)
	resp := postVia(t, clientFrom("127.0.0.3"), inbox, body, mustSigner(t, alice+"#main-key", testKey(t, 0)), nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("alice's first POST after the forger: status %d, want 202", resp.StatusCode)
	}
	if got := peer.totalGets(); got != 3 {
		t.Errorf("the peer was fetched %d times, want 3 (the forger's share, and alice)", got)
	}
}
