package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opendemocracynow/odn/models"
)

func benchBinarySize(_ context.Context, b *bench) error {
	if b.bin == "" {
		return errors.New("no -bin given")
	}
	fi, err := os.Stat(b.bin)
	if err != nil {
		return err
	}
	b.add(figure{Name: "binary_size", Value: float64(fi.Size()) / (1 << 20), Unit: "MB", Max: 40, Note: "stripped (-s -w), CGO_ENABLED=0"})
	return nil
}

// proc is the odn binary running as a child process.
type proc struct {
	cmd  *exec.Cmd
	base string
	log  *tail
}

// startProc starts `odn serve` on dsn and a free port and returns once
// /readyz answers 200, with the time from exec to that answer.
func startProc(ctx context.Context, b *bench, dsn string, extra ...string) (*proc, time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, 0, err
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &proc{base: "http://" + addr, log: &tail{}}
	args := append([]string{"serve", "--addr", addr, "--db", dsn, "--base-url", p.base, "--log-level", "warn", "--data", filepath.Dir(strings.TrimPrefix(dsn, "sqlite://"))}, extra...)
	p.cmd = exec.CommandContext(ctx, b.bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.Env = append(os.Environ(), "ODN_FEDERATION_POLL=2s")
	c := &http.Client{Timeout: time.Second}
	start := time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, 0, err
	}
	for {
		res, err := c.Get(p.base + "/readyz")
		if err == nil {
			drainClose(res)
			if res.StatusCode == 200 {
				return p, time.Since(start), nil
			}
		}
		if time.Since(start) > 30*time.Second {
			p.stop()
			return nil, 0, fmt.Errorf("not ready after 30 s: %s", p.log)
		}
		time.Sleep(time.Millisecond)
	}
}

func (p *proc) stop() {
	p.cmd.Process.Signal(os.Interrupt) //nolint:errcheck // may be gone
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }() //nolint:errcheck // exit status irrelevant
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill() //nolint:errcheck // last resort
		<-done
	}
}

// rssMB reads VmRSS of the process.
func (p *proc) rssMB() (float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// benchColdStart: exec to /readyz 200, median of 5, on an empty database
// and on one holding a debate with 100,000 votes.
func benchColdStart(ctx context.Context, b *bench) error {
	if b.bin == "" {
		return errors.New("no -bin given")
	}
	for _, votes := range []int{0, b.scale(100000, 20000)} {
		dir, err := osMkdirTemp(b.tmp)
		if err != nil {
			return err
		}
		dsn := "sqlite://" + filepath.Join(dir, "odn.db")
		if votes > 0 {
			if err := seedVotesDB(ctx, dsn, votes); err != nil {
				return err
			}
		}
		var times []time.Duration
		for range 5 {
			p, d, err := startProc(ctx, b, dsn)
			if err != nil {
				return err
			}
			p.stop()
			times = append(times, d)
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		name := "cold_start_empty"
		if votes > 0 {
			name = fmt.Sprintf("cold_start_%dk_votes", votes/1000)
		}
		b.add(figure{Name: name, Value: ms(times[2]), Unit: "ms", Max: 250, Note: "exec to /readyz 200, median of 5, migrations included"})
	}
	return nil
}

// seedVotesDB fills a new SQLite database with one debate and n ballots
// from n remote voters, in bulk (not through CastVote: seeding 100,000
// votes one transaction at a time would take minutes).
func seedVotesDB(ctx context.Context, dsn string, n int) error {
	st, err := models.Open(ctx, dsn, storeOptions("http://localhost:8080")...)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	c, err := seedDebate(ctx, st, 0)
	if err != nil {
		return err
	}
	return bulkVotes(ctx, st, c.debate, n)
}

// bulkVotes inserts n remote voters with one ballot each in d, then lets
// models recount the cached tally.
func bulkVotes(ctx context.Context, st *models.Store, d *models.Debate, n int) error {
	now := time.Now().UTC()
	const batch = 1000
	for done := 0; done < n; done += batch {
		k := min(batch, n-done)
		actors := make([]*models.Actor, k)
		for i := range actors {
			host := fmt.Sprintf("voters%d.example", (done+i)%50)
			uri := fmt.Sprintf("https://%s/users/v%d", host, done+i)
			actors[i] = &models.Actor{URI: uri, Type: models.ActorPerson, Username: fmt.Sprintf("v%d", done+i), Host: host, URL: uri,
				Inbox: uri + "/inbox", PublicKeyID: uri + "#main-key", FetchedAt: &now, CreatedAt: now, UpdatedAt: now}
		}
		if _, err := st.DB.NewInsert().Model(&actors).Returning("id").Exec(ctx); err != nil {
			return err
		}
		ballots := make([]models.Ballot, k)
		values := make([]string, k)
		args := make([]any, 0, 5*k)
		for i, a := range actors {
			receipt := models.Receipt(d.BallotSecret, a.URI)
			ballots[i] = models.Ballot{DebateID: d.ID, ActorID: a.ID, Receipt: receipt, Host: a.Host, CreatedAt: now, UpdatedAt: now}
			values[i] = "(?, ?, ?, ?, ?)"
			args = append(args, d.ID, a.ID, (done+i)%len(d.Options), receipt, now)
		}
		if _, err := st.DB.NewInsert().Model(&ballots).Exec(ctx); err != nil {
			return err
		}
		if _, err := st.DB.ExecContext(ctx, "INSERT INTO debate_votes (debate_id, actor_id, option_index, receipt, created_at) VALUES "+strings.Join(values, ", "), args...); err != nil {
			return err
		}
	}
	admin, err := st.AccountByUsername(ctx, "benchadmin")
	if err != nil {
		return err
	}
	_, err = st.Recount(ctx, admin, d.ID)
	return err
}

// benchIdleRSS: RSS of the binary after start (demo data) and 1,000
// requests over the public pages.
func benchIdleRSS(ctx context.Context, b *bench) error {
	if b.bin == "" {
		return errors.New("no -bin given")
	}
	dir, err := osMkdirTemp(b.tmp)
	if err != nil {
		return err
	}
	p, _, err := startProc(ctx, b, "sqlite://"+filepath.Join(dir, "odn.db"), "--demo")
	if err != nil {
		return err
	}
	defer p.stop()
	paths := []string{"/", "/s", "/s/ville", "/login", "/signup", "/api/v1/instance", "/api/v1/spaces", "/.well-known/nodeinfo", "/healthz", "/s/ville/proposals"}
	c := httpClient(4)
	for i := range 1000 {
		res, err := c.Get(p.base + paths[i%len(paths)])
		if err != nil {
			return err
		}
		drainClose(res)
	}
	time.Sleep(500 * time.Millisecond)
	rss, err := p.rssMB()
	if err != nil {
		return err
	}
	b.add(figure{Name: "idle_rss", Value: rss, Unit: "MB", Max: 40, Note: "demo data, after 1,000 page and API requests"})
	return nil
}
