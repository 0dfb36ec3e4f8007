package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// sink is a loopback "fediverse": it answers every POST with 202 after
// delay and counts them per host. It listens on all loopback addresses,
// so 127.1.x.y are 500 distinct hosts.
type sink struct {
	srv   *http.Server
	port  int
	delay time.Duration
	posts atomic.Int64
	mu    sync.Mutex
	hosts map[string]int
	first atomic.Int64 // unix nanos of the first POST since posts was reset
	last  atomic.Int64 // unix nanos of the last POST
}

func newSink(delay time.Duration) (*sink, error) {
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		return nil, err
	}
	s := &sink{delay: delay, hosts: map[string]int{}, port: ln.Addr().(*net.TCPAddr).Port}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		if s.delay > 0 {
			time.Sleep(s.delay)
		}
		s.mu.Lock()
		s.hosts[r.Host]++
		s.mu.Unlock()
		now := time.Now().UnixNano()
		if s.posts.Add(1) == 1 {
			s.first.Store(now)
		}
		s.last.Store(now)
		w.WriteHeader(http.StatusAccepted)
	})}
	go s.srv.Serve(ln) //nolint:errcheck // closed by close
	return s, nil
}

func (s *sink) close() { s.srv.Close() }

// inbox is the shared inbox of loopback host number i.
func (s *sink) inbox(i int) string {
	return fmt.Sprintf("http://127.1.%d.%d:%d/inbox", i/250, 1+i%250, s.port)
}

// waitPosts waits until the sink got n POSTs and returns when the last
// one arrived.
func (s *sink) waitPosts(ctx context.Context, n int64, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for s.posts.Load() < n {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return time.Time{}, fmt.Errorf("sink got %d of %d POSTs", s.posts.Load(), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Unix(0, s.last.Load()), nil
}

// benchFanout: a space with 10,000 remote followers on 500 instances
// (20 per shared inbox) gets a new proposal; time until the last POST.
func benchFanout(ctx context.Context, b *bench) error {
	sk, err := newSink(0)
	if err != nil {
		return err
	}
	defer sk.close()
	in, err := newInstance(ctx, b, "", nil)
	if err != nil {
		return err
	}
	defer in.close()
	const hosts, perHost = 500, 20
	sp, err := in.Store.CreateSpace(ctx, nil, models.SpaceInput{Name: "ville", Kind: models.KindCity, Title: "Ville"})
	if err != nil {
		return err
	}
	author, err := in.Store.CreateAccount(ctx, models.NewAccount{Username: "autrice", Password: "correct horse battery"})
	if err != nil {
		return err
	}
	spaceActor, err := in.Store.ActorByID(ctx, sp.ActorID)
	if err != nil {
		return err
	}
	if err := seedFollowers(ctx, in.Store, spaceActor, sk, hosts, perHost); err != nil {
		return err
	}
	phase("seeded %d followers on %d hosts", hosts*perHost, hosts)
	if err := in.start(ctx); err != nil {
		return err
	}
	// Let the seed's own deliveries (Update{Group} of the space to the
	// 500 inboxes) drain first: counting a fixed 200 ms, then "no POST
	// for 300 ms", both let part of them count as the proposal's POSTs
	// on a loaded machine. Wait for the queues to be empty instead.
	if err := drained(ctx, in.Store, 2*time.Minute); err != nil {
		return err
	}
	// The proposal goes through the API, as a user's would: the server's
	// own store then wakes its outbox worker at the commit (a proposal
	// created through in.Store, another handle on the same file, was
	// found by the worker's 20 ms poll instead).
	tok, err := in.Store.CreateToken(ctx, author, "bench")
	if err != nil {
		return err
	}
	body := []byte(`{"title":"Piétonniser la rue du marché","body":"Le samedi matin, **sans voitures**."}`)
	client := httpClient(1)
	sign := signFloor(b.scale(100, 40)) // beside the figure, see signFloor
	sk.posts.Store(0)
	sk.mu.Lock()
	clear(sk.hosts)
	sk.mu.Unlock()
	start, cpu0 := time.Now(), cpuTime()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, in.Base+"/api/v1/spaces/ville/proposals", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	drainClose(res)
	if res.StatusCode != http.StatusCreated {
		return fmt.Errorf("create proposal: status %d", res.StatusCode)
	}
	// A new proposal is one POST per shared inbox, in the form its
	// server shows (seedFollowers: half Mastodon, half odn): the space's
	// Announce{Note} or Announce{Create} (docs/FEDERATION.md). The floor
	// is one RSA signature per POST.
	want := int64(hosts)
	last, err := sk.waitPosts(ctx, want, 5*time.Minute)
	if err != nil {
		return err
	}
	cpu := cpuTime() - cpu0
	time.Sleep(300 * time.Millisecond) // any extra POST?
	d := last.Sub(start)
	floor := sign * time.Duration(want) / time.Duration(b.floors.Cores)
	got := sk.posts.Load()
	f := figure{Name: "fanout_10k", Value: ms(d), Unit: "ms", Limit: ms(floor), Max: 1.5,
		Note: fmt.Sprintf("%d POSTs (want exactly %d) to %d hosts, the first after %.0f ms; CPU %.0f µs/POST (sign %.0f beside, %.0f at the start; server and sink); new proposal → Announce{Note} to Mastodon, Announce{Create} to odn",
			got, want, len(sk.hosts), ms(time.Unix(0, sk.first.Load()).Sub(start)), float64(cpu.Microseconds())/float64(max(got, 1)), us(sign), us(b.floors.RSASign))}
	if got != want {
		f.Note = "WRONG POST COUNT: " + f.Note
	}
	b.add(f)
	return nil
}

// drained waits until no outbox event and no delivery is pending.
func drained(ctx context.Context, st *models.Store, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		evs, err := st.PendingEvents(ctx, 1)
		if err != nil {
			return err
		}
		counts, err := st.DeliveryCounts(ctx)
		if err != nil {
			return err
		}
		if len(evs) == 0 && counts[models.DeliveryPending] == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("queues not drained after %s: %d deliveries pending", timeout, counts[models.DeliveryPending])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// seedFollowers adds hosts×perHost accepted remote followers of target,
// perHost of them on each loopback host, sharing its inbox. Even hosts
// run Mastodon and odd ones odn, as the space would have learnt from
// their NodeInfo when they followed.
func seedFollowers(ctx context.Context, st *models.Store, target *models.Actor, sk *sink, hosts, perHost int) error {
	now := time.Now().UTC()
	const batch = 500
	var actors []*models.Actor
	flush := func() error {
		if len(actors) == 0 {
			return nil
		}
		if _, err := st.DB.NewInsert().Model(&actors).Returning("id").Exec(ctx); err != nil {
			return err
		}
		follows := make([]models.Follow, len(actors))
		for i, a := range actors {
			follows[i] = models.Follow{URI: a.URI + "#follow", FollowerID: a.ID, FolloweeID: target.ID, State: models.FollowAccepted, CreatedAt: now, UpdatedAt: now}
		}
		if _, err := st.DB.NewInsert().Model(&follows).Exec(ctx); err != nil {
			return err
		}
		actors = actors[:0]
		return nil
	}
	for h := range hosts {
		shared := sk.inbox(h)
		host := shared[len("http://") : len(shared)-len("/inbox")]
		if err := st.SetHostSoftware(ctx, host, []string{"mastodon", "odn"}[h%2]); err != nil {
			return err
		}
		for u := range perHost {
			uri := fmt.Sprintf("http://%s/users/u%d", host, u)
			actors = append(actors, &models.Actor{URI: uri, Type: models.ActorPerson, Username: fmt.Sprintf("u%d", u), Host: host,
				URL: uri, Inbox: uri + "/inbox", SharedInbox: shared, PublicKeyID: uri + "#main-key", FetchedAt: &now, CreatedAt: now, UpdatedAt: now})
			if len(actors) == batch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// benchSlowPeer queues activities for one peer that answers after 300 ms
// and measures the delivery rate.
func benchSlowPeer(ctx context.Context, b *bench) error {
	sk, err := newSink(300 * time.Millisecond)
	if err != nil {
		return err
	}
	defer sk.close()
	in, err := newInstance(ctx, b, "", nil)
	if err != nil {
		return err
	}
	defer in.close()
	sp, err := in.Store.CreateSpace(ctx, nil, models.SpaceInput{Name: "ville", Kind: models.KindCity, Title: "Ville"})
	if err != nil {
		return err
	}
	if err := in.start(ctx); err != nil {
		return err
	}
	n := b.scale(120, 48)
	var outs []models.Outgoing
	for i := range n {
		outs = append(outs, models.Outgoing{ActivityID: fmt.Sprintf("%s/acts/slow-%d", in.Base, i), Body: createNote("x", "y"),
			SignerID: sp.ActorID, Inboxes: []string{sk.inbox(0)}})
	}
	start := time.Now()
	if _, err := in.Store.EnqueueDeliveries(ctx, outs...); err != nil {
		return err
	}
	last, err := sk.waitPosts(ctx, int64(n), 5*time.Minute)
	if err != nil {
		return err
	}
	b.add(figure{Name: "slow_peer", Value: float64(n) / last.Sub(start).Seconds(), Unit: "activities/s", Min: 20,
		Note: fmt.Sprintf("%d activities to one peer answering after 300 ms", n)})
	return nil
}
