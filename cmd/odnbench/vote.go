package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// civic is a space with an open debate and its voters' API tokens.
type civic struct {
	admin  *models.Account
	space  *models.Space
	debate *models.Debate
	tokens []string
	voters []*models.Account
}

// seedDebate creates a space, an open two-option debate and n voters
// (accounts with API tokens).
func seedDebate(ctx context.Context, st *models.Store, n int) (*civic, error) {
	c := &civic{}
	var err error
	if c.admin, err = st.CreateAccount(ctx, models.NewAccount{Username: "benchadmin", Password: "correct horse battery", Role: models.RoleAdmin}); err != nil {
		return nil, err
	}
	if c.space, err = st.CreateSpace(ctx, nil, models.SpaceInput{Name: "ville", Kind: models.KindCity, Title: "Ville"}); err != nil {
		return nil, err
	}
	c.debate, err = st.CreateDebate(ctx, c.admin, c.space, models.DebateInput{Question: "Faut-il piétonniser la rue du marché ?",
		Description: "Un débat de **banc d'essai**.", Options: []string{"Oui", "Non"}})
	if err != nil {
		return nil, err
	}
	if c.debate, err = st.OpenDebate(ctx, c.admin, c.debate.ID); err != nil {
		return nil, err
	}
	for i := range n {
		acc, err := st.CreateAccount(ctx, models.NewAccount{Username: fmt.Sprintf("v%d", i), Password: "correct horse battery"})
		if err != nil {
			return nil, err
		}
		tok, err := st.CreateToken(ctx, acc, "bench")
		if err != nil {
			return nil, err
		}
		c.voters, c.tokens = append(c.voters, acc), append(c.tokens, tok)
	}
	return c, nil
}

// voteClients spreads voters over loopback source addresses so that the
// per-address vote rate limit (60/min) sees distinct clients, as real
// voters are; 40 voters per address.
type voteClients struct{ clients []*http.Client }

func newVoteClients(voters int) *voteClients {
	vc := &voteClients{}
	for i := 0; i*40 < voters; i++ {
		vc.clients = append(vc.clients, sourceClient(4, fmt.Sprintf("127.0.%d.%d", 1+i/250, 2+i%250)))
	}
	return vc
}

func (vc *voteClients) vote(ctx context.Context, base string, c *civic, voter int) error {
	body := []byte(`{"options":["` + []string{"Oui", "Non"}[voter%2] + `"]}`)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/debates/"+strconv.FormatInt(c.debate.ID, 10)+"/votes", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.tokens[voter])
	res, err := vc.clients[voter/40].Do(req)
	if err != nil {
		return err
	}
	drainClose(res)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("vote %d: status %d", voter, res.StatusCode)
	}
	return nil
}

func benchVotes(ctx context.Context, b *bench) error {
	if err := votes(ctx, b, "", "", b.floors.SQLiteInsert); err != nil {
		return err
	}
	if b.pgDSN == "" {
		return nil
	}
	dsn, drop, err := pgDatabase(ctx, b.pgDSN, "odnbench_votes")
	if err != nil {
		return err
	}
	defer drop()
	return votes(ctx, b, dsn, "_pg", b.floors.PGInsert)
}

func votes(ctx context.Context, b *bench, dsn, suffix string, insert time.Duration) error {
	in, err := newInstance(ctx, b, dsn, nil)
	if err != nil {
		return err
	}
	defer in.close()
	loaded, unloaded := b.scale(3000, 600), b.scale(300, 100)
	c, err := seedDebate(ctx, in.Store, loaded+unloaded)
	if err != nil {
		return err
	}
	phase("seeded %d voters", loaded+unloaded)
	if err := in.start(ctx); err != nil {
		return err
	}
	vc := newVoteClients(loaded + unloaded)
	// Unloaded latency first: one vote at a time, each once the
	// background work of the one before (its outbox events) is done, so
	// that it measures a vote alone, not a sequential burst.
	lat := make([]time.Duration, 0, unloaded)
	for v := loaded; v < loaded+unloaded; v++ {
		if err := settle(ctx, in.Store); err != nil {
			return err
		}
		start := time.Now()
		if err := vc.vote(ctx, in.Base, c, v); err != nil {
			return fmt.Errorf("%w; log: %s", err, in.log)
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	// Throughput: 32 concurrent voters. Each worker votes its own run of
	// consecutive voters, so that a client address (40 voters) is used
	// by one worker, two at the ends of a run, and its keep-alive
	// connections serve its 40 votes. Voters handed out one by one made
	// the 32 workers hit the same address at once: each address opened
	// ~30 connections for its 40 votes and closed most of them again
	// (2,340 dials for 3,000 votes), measuring TCP set-up and tear-down
	// on both sides rather than votes.
	var bad atomic.Int64
	var firstErr atomic.Value
	const workers = 32
	run := (loaded + workers - 1) / workers
	start, cpu0 := time.Now(), cpuTime()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for v := w * run; v < min((w+1)*run, loaded); v++ {
				if err := vc.vote(ctx, in.Base, c, v); err != nil {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	wg.Wait()
	d, cpu := time.Since(start), cpuTime()-cpu0
	if bad.Load() > 0 {
		return fmt.Errorf("%d votes failed (first: %v); log: %s", bad.Load(), firstErr.Load(), in.log)
	}
	got, err := in.Store.DebateByID(ctx, c.debate.ID)
	if err != nil {
		return err
	}
	if got.Voters != loaded+unloaded {
		return fmt.Errorf("debate counts %d voters, want %d", got.Voters, loaded+unloaded)
	}
	b.add(figure{Name: "vote_api" + suffix, Value: float64(loaded) / d.Seconds(), Unit: "votes/s", Limit: 1 / insert.Seconds(), Min: 0.3,
		Note: fmt.Sprintf("%d voters, 32 concurrent, POST /api/v1/debates/{id}/votes; CPU %.0f µs/vote (server and clients)", loaded, us(cpu)/float64(loaded))})
	if suffix == "" {
		b.add(figure{Name: "vote_latency_p50", Value: ms(percentile(lat, 50)), Unit: "ms", Limit: ms(insert), Max: 4})
		b.add(figure{Name: "vote_latency_p99", Value: ms(percentile(lat, 99)), Unit: "ms", Limit: ms(insert), Max: 12})
	}
	return nil
}

// settle waits (at most a second) until the outbox has no pending event
// and the workers' last writes are done.
func settle(ctx context.Context, st *models.Store) error {
	for range 200 {
		evs, err := st.PendingEvents(ctx, 1)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(2 * time.Millisecond) // the finishing transaction's wake-ups
	return nil
}
