package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// runSoak runs the odn binary under mixed traffic for d: browsing, API
// votes, comments through the form, and signed inbox POSTs from 3 peer
// hosts. It samples RSS, heap and goroutines every few seconds and fails
// on a growth trend or on any error other than a rate limit (429).
func runSoak(ctx context.Context, b *bench, d time.Duration) error {
	if b.bin == "" {
		return errors.New("-soak needs -bin")
	}
	dir, err := osMkdirTemp(b.tmp)
	if err != nil {
		return err
	}
	dsn := "sqlite://" + filepath.Join(dir, "odn.db")
	// Seed through a second handle; the binary serves the same file.
	seed, err := newInstance(ctx, b, dsn, nil)
	if err != nil {
		return err
	}
	voters := 3000
	c, err := seedDebate(ctx, seed.Store, voters)
	if err != nil {
		return err
	}
	peers, err := seedPeers(ctx, seed.Store, 3)
	if err != nil {
		return err
	}
	sessions := make([]string, 50)
	for i := range sessions {
		if sessions[i], err = seed.Store.CreateSession(ctx, c.voters[i], "soak"); err != nil {
			return err
		}
	}
	seed.close()
	p, _, err := startProc(ctx, b, dsn)
	if err != nil {
		return err
	}
	defer p.stop()
	fmt.Printf("# soak %s against %s (pid %d)\n", d, p.base, p.cmd.Process.Pid)

	// Requests cut by the end of the run (sctx) are not errors.
	sctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var ok, limited, failed atomic.Int64
	var errMu sync.Mutex
	errs := map[string]int{}
	record := func(what string, res *http.Response, err error) {
		switch {
		case err != nil:
			if sctx.Err() != nil {
				return
			}
			failed.Add(1)
			errMu.Lock()
			errs[what+": "+err.Error()]++
			errMu.Unlock()
		case res.StatusCode == http.StatusTooManyRequests:
			limited.Add(1)
		case res.StatusCode >= 400:
			failed.Add(1)
			errMu.Lock()
			errs[what+": "+res.Status]++
			errMu.Unlock()
		default:
			ok.Add(1)
		}
		if res != nil {
			drainClose(res)
		}
	}
	var wg sync.WaitGroup
	debate := strconv.FormatInt(c.debate.ID, 10)
	pages := []string{"/", "/s", "/s/ville", "/d/" + debate, "/login", "/api/v1/instance", "/api/v1/debates/" + debate, "/s/ville/debates"}
	for w := range 4 { // browsing
		wg.Go(func() {
			hc := sourceClient(2, fmt.Sprintf("127.2.0.%d", 2+w))
			for sctx.Err() == nil {
				path := pages[rand.IntN(len(pages))]
				res, err := hc.Get(p.base + path)
				record("GET "+path, res, err)
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	vc := newVoteClients(voters)
	wg.Go(func() { // votes: each voter votes, then changes its mind
		// Round-robin over the clients (one source address per 40
		// voters): every client's keep-alive connection is open after
		// the warm-up, so the server's goroutines (one per connection)
		// measure leaks, not the harness reaching new clients.
		nc := len(vc.clients)
		for i := 0; sctx.Err() == nil; i++ {
			v := (i%nc*40 + i/nc%40) % voters
			err := vc.vote(sctx, p.base, c, v)
			if err != nil && strings.Contains(err.Error(), "status 429") {
				limited.Add(1)
			} else {
				record("vote", &http.Response{StatusCode: 200, Body: http.NoBody}, err)
			}
			time.Sleep(25 * time.Millisecond)
		}
	})
	wg.Go(func() { // comments through the page form
		hc := httpClient(2)
		for i := 0; sctx.Err() == nil; i++ {
			form := url.Values{"object_type": {"debate"}, "object_id": {debate}, "body": {fmt.Sprintf("Commentaire de soak n°%d", i)}, "back": {"/d/" + debate}}
			req, _ := http.NewRequestWithContext(sctx, http.MethodPost, p.base+"/comments", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			req.AddCookie(&http.Cookie{Name: "odn_session", Value: sessions[i%len(sessions)]})
			res, err := hc.Do(req)
			record("comment", res, err)
			time.Sleep(200 * time.Millisecond)
		}
	})
	for k := range peers.actors { // 3 peers posting signed activities
		wg.Go(func() {
			hc := httpClient(2)
			for i := 0; sctx.Err() == nil; i++ {
				a := peers.actors[k]
				body := createNote(a.URI, fmt.Sprintf("http://%s/acts/soak-%d", a.Host, i))
				req, _ := http.NewRequestWithContext(sctx, http.MethodPost, p.base+"/inbox", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/activity+json")
				if err := peers.signers[k].SignRequest(req, body); err != nil {
					record("inbox sign", nil, err)
					return
				}
				res, err := hc.Do(req)
				record("inbox", res, err)
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	// Sampling.
	every := max(d/40, time.Second)
	var rss, heap, gor []float64
	tick := time.NewTicker(every)
	defer tick.Stop()
	for sctx.Err() == nil {
		select {
		case <-sctx.Done():
		case <-tick.C:
			r, _ := p.rssMB()
			m, err := scrapeMetrics(p.base)
			if err != nil {
				fmt.Printf("# metrics: %v\n", err)
				continue
			}
			rss, heap, gor = append(rss, r), append(heap, m["go_memstats_heap_inuse_bytes"]/(1<<20)), append(gor, m["go_goroutines"])
			fmt.Printf("SOAK t=%s rss=%.1fMB heap=%.1fMB goroutines=%.0f ok=%d limited=%d errors=%d\n",
				time.Duration(len(rss))*every, r, heap[len(heap)-1], gor[len(gor)-1], ok.Load(), limited.Load(), failed.Load())
		}
	}
	wg.Wait()
	var problems []string
	for what, n := range errs {
		problems = append(problems, fmt.Sprintf("%d× %s", n, what))
	}
	for _, s := range []struct {
		name string
		v    []float64
		tol  float64
	}{{"rss", rss, 0.25}, {"heap", heap, 0.5}, {"goroutines", gor, 0.25}} {
		if g := growth(s.v); g > s.tol {
			problems = append(problems, fmt.Sprintf("%s grows: +%.0f%% from the second quarter to the last", s.name, 100*g))
		}
	}
	fmt.Printf("# soak done: %d ok, %d rate-limited, %d errors\n", ok.Load(), limited.Load(), failed.Load())
	if ok.Load() == 0 {
		problems = append(problems, "no request succeeded")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// growth compares the mean of the last quarter of samples with that of
// the second quarter (the first is warm-up): 0.3 means 30 % higher.
func growth(v []float64) float64 {
	if len(v) < 8 {
		return 0
	}
	q := len(v) / 4
	mean := func(s []float64) float64 {
		t := 0.0
		for _, x := range s {
			t += x
		}
		return t / float64(len(s))
	}
	base := mean(v[q : 2*q])
	if base <= 0 {
		return 0
	}
	return mean(v[len(v)-q:])/base - 1
}

// scrapeMetrics reads the unlabelled series of /metrics.
func scrapeMetrics(base string) (map[string]float64, error) {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && !strings.HasPrefix(f[0], "#") && !strings.Contains(f[0], "{") {
			if v, err := strconv.ParseFloat(f[1], 64); err == nil {
				out[f[0]] = v
			}
		}
	}
	return out, sc.Err()
}
