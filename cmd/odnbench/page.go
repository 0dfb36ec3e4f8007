package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// benchDebatePage: the first page of a debate with 5,000 comments (for,
// against and general, some threaded) and 10,000 votes, rendered for an
// anonymous visitor; median of sequential GETs against one primary-key
// select.
func benchDebatePage(ctx context.Context, b *bench) error {
	in, err := newInstance(ctx, b, "", nil)
	if err != nil {
		return err
	}
	defer in.close()
	c, err := seedDebate(ctx, in.Store, 20)
	if err != nil {
		return err
	}
	comments, votes := b.scale(5000, 1000), b.scale(10000, 2000)
	if err := bulkVotes(ctx, in.Store, c.debate, votes); err != nil {
		return err
	}
	stances := []string{models.StanceFor, models.StanceAgainst, ""}
	var parents []int64
	for i := range comments {
		ci := models.CommentInput{ObjectType: models.ObjectTypeDebate, ObjectID: c.debate.ID, Stance: stances[i%3],
			Body: fmt.Sprintf("Argument n°%d : *la rue* serait plus calme, <script>alert(%d)</script> voir https://example.org/%d", i, i, i)}
		if i%4 == 3 && len(parents) > 0 {
			ci.ParentID, ci.Stance = parents[len(parents)-1], ""
		}
		cm, err := in.Store.CreateComment(ctx, c.voters[i%len(c.voters)].Actor, ci)
		if err != nil {
			return err
		}
		if ci.ParentID == 0 {
			parents = append(parents, cm.ID)
		}
	}
	phase("seeded %d comments and %d votes", comments, votes)
	if err := in.start(ctx); err != nil {
		return err
	}
	// The seed's comments are outbox events (comment.created) that the
	// started server federates at once: let that backlog drain so that
	// page views are measured on a settled instance, not against a
	// thousand seed transactions (as fanout_10k waits for its seed).
	if err := waitOutboxDrained(ctx, in.Store, time.Minute); err != nil {
		return err
	}
	url := in.Base + "/d/" + strconv.FormatInt(c.debate.ID, 10)
	hc := httpClient(1)
	var times []time.Duration
	var size int64
	for i := range b.scale(60, 20) {
		// As a browser asks, gzip; the bytes are read as they come, not
		// uncompressed: that is the reader's work (Go's transport would
		// gunzip them in the timed loop, slower than a browser's zlib,
		// 0.1–0.3 ms here), and the figure is the server's.
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		start := time.Now()
		res, err := hc.Do(req)
		if err != nil {
			return err
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" {
			return fmt.Errorf("GET %s: %d, Content-Encoding %q", url, res.StatusCode, res.Header.Get("Content-Encoding"))
		}
		size = n
		if i > 0 { // the first one warms caches
			times = append(times, time.Since(start))
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.add(figure{Name: "debate_page", Value: ms(percentile(times, 50)), Unit: "ms", Limit: ms(b.floors.PKSelect), Max: 20,
		Note: fmt.Sprintf("median; %d comments, %d votes; p90 %.1f ms; %d bytes gzipped", comments, votes, ms(percentile(times, 90)), size)})
	return nil
}

// waitOutboxDrained waits until no outbox event is pending.
func waitOutboxDrained(ctx context.Context, st *models.Store, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		n, err := st.DB.NewSelect().TableExpr("events").Where("processed_at IS NULL").Count(ctx)
		if err != nil || n == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d outbox events still pending after %s", n, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
