package models_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestClaimDeliveriesIsExclusive: 50 concurrent claimers never lease the
// same job twice, and a lease that expires frees the job.
func TestClaimDeliveriesIsExclusive(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc := sender(t, s)
		var out []models.Outgoing
		for i := range 200 {
			out = append(out, models.Outgoing{ActivityID: fmt.Sprintf("https://x.example/a/%d", i), Body: []byte("{}"),
				SignerID: acc.Actor.ID, Inboxes: []string{"https://peer.example/inbox"}})
		}
		if n, err := s.EnqueueDeliveries(ctx, out...); err != nil || n != 200 {
			t.Fatalf("enqueue: %d, %v", n, err)
		}
		if n, _ := s.EnqueueDeliveries(ctx, out[:10]...); n != 0 {
			t.Errorf("re-enqueue queued %d duplicates", n)
		}
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		for w := range 50 {
			wg.Go(func() {
				owner := fmt.Sprintf("w%d", w)
				for {
					jobs, err := s.ClaimDeliveries(ctx, owner, 3, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if len(jobs) == 0 {
						return
					}
					mu.Lock()
					for _, j := range jobs {
						if prev, dup := seen[j.ID]; dup {
							t.Errorf("job %d claimed by %s and %s", j.ID, prev, owner)
						}
						seen[j.ID] = owner
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != 200 {
			t.Fatalf("claimed %d jobs, want 200", len(seen))
		}
		// A final 4xx kills the job; only its owner may record it.
		for id, owner := range seen {
			if err := s.FailDelivery(ctx, id, "someone-else", 410, "gone", time.Time{}, models.ForwardErrorRefused); err != nil {
				t.Fatal(err)
			}
			if ok, err := s.CompleteDelivery(ctx, id, owner, 202); err != nil || !ok {
				t.Fatalf("complete: %v %v", ok, err)
			}
			break
		}
		c, _ := s.DeliveryCounts(ctx)
		if c[models.DeliveryDone] != 1 || c[models.DeliveryDead] != 0 {
			t.Errorf("counts %v", c)
		}
	})
}

// TestBlockDomainPurges: blocking removes follows with the domain's actors
// and cancels pending deliveries there; subdomains are blocked too.
func TestBlockDomainPurges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		sp, err := s.CreateSpace(ctx, nil, models.SpaceInput{Name: "ville", Kind: models.KindCity})
		if err != nil {
			t.Fatal(err)
		}
		remote, err := s.UpsertRemoteActor(ctx, &models.Actor{URI: "https://social.bad.example/u/x", Type: "Person", Username: "x",
			Host: "social.bad.example", Inbox: "https://social.bad.example/u/x/inbox", PublicKeyID: "https://social.bad.example/u/x#k"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReceiveFollow(ctx, remote, sp.Actor, "https://social.bad.example/f/1", true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: "https://l.example/a", Body: []byte("{}"), SignerID: sp.ActorID,
			Inboxes: []string{"https://social.bad.example/inbox"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.BlockDomain(ctx, nil, "bad.example", "spam"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.IsDomainBlocked(ctx, "social.bad.example"); !ok {
			t.Error("subdomain not blocked")
		}
		if ok, _ := s.IsDomainBlocked(ctx, "notbad.example"); ok {
			t.Error("suffix without a dot blocked")
		}
		if page, _ := s.Followers(ctx, sp.ActorID, 0, 10); page.Total != 0 {
			t.Errorf("%d followers left", page.Total)
		}
		c, _ := s.DeliveryCounts(ctx)
		if c[models.DeliveryPending] != 0 || c[models.DeliveryCancelled] != 1 {
			t.Errorf("deliveries %v", c)
		}
		if n, _ := s.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: "https://l.example/b", Body: []byte("{}"), SignerID: sp.ActorID,
			Inboxes: []string{"https://social.bad.example/inbox"}}); n != 0 {
			t.Error("queued a delivery to a blocked domain")
		}
		if _, err := s.BlockDomain(ctx, nil, "bad.example", ""); err == nil {
			t.Error("blocked twice")
		}
		if err := s.UnblockDomain(ctx, nil, "bad.example"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestDeliveryBodyShared: the jobs of one activity share one stored body,
// claims and DeliveriesFor give each job its body, and the purge removes
// a body once no job points at it (including one left by a re-run whose
// jobs were all queued already).
func TestDeliveryBodyShared(t *testing.T) {
	var clock time.Time
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clock = time.Now()
		acc := sender(t, s)
		inboxes := []string{"https://a.example/inbox", "https://b.example/inbox", "https://c.example/inbox"}
		out := []models.Outgoing{
			{ActivityID: "https://x.example/create", Body: []byte(`{"type":"Create"}`), SignerID: acc.Actor.ID, Inboxes: inboxes},
			{ActivityID: "https://x.example/announce", Body: []byte(`{"type":"Announce"}`), SignerID: acc.Actor.ID, Inboxes: inboxes[:2]},
		}
		if n, err := s.EnqueueDeliveries(ctx, out...); err != nil || n != 5 {
			t.Fatalf("enqueue: %d %v", n, err)
		}
		if n, err := s.EnqueueDeliveries(ctx, out[0]); err != nil || n != 0 { // a re-run of the event
			t.Fatalf("re-enqueue: %d %v", n, err)
		}
		if stored, err := s.DB.NewSelect().Table("delivery_bodies").Count(ctx); err != nil || stored != 3 {
			t.Fatalf("%d bodies stored (%v), want 3: one per activity and the re-run's", stored, err)
		}
		jobs, err := s.ClaimDeliveries(ctx, "node", 10, time.Minute)
		if err != nil || len(jobs) != 5 {
			t.Fatalf("claim: %d %v", len(jobs), err)
		}
		for _, j := range jobs {
			want := map[string]string{"https://x.example/create": `{"type":"Create"}`, "https://x.example/announce": `{"type":"Announce"}`}[j.ActivityID]
			if j.Body != want {
				t.Errorf("job %d (%s) body %q, want %q", j.ID, j.ActivityID, j.Body, want)
			}
		}
		if ds, err := s.DeliveriesFor(ctx, "https://x.example/announce"); err != nil || len(ds) != 2 || ds[1].Body != `{"type":"Announce"}` {
			t.Fatalf("DeliveriesFor: %+v %v", ds, err)
		}
		// Deliver all but one Create; a week later the purge keeps the
		// body of the pending job only.
		for _, j := range jobs {
			if j.ActivityID == "https://x.example/create" && j.Inbox == inboxes[2] {
				continue
			}
			if ok, err := s.CompleteDelivery(ctx, j.ID, "node", 202); err != nil || !ok {
				t.Fatalf("complete: %v %v", ok, err)
			}
		}
		clock = clock.Add(8 * 24 * time.Hour)
		if n, err := s.PurgeDeliveries(ctx, 7*24*time.Hour); err != nil || n != 4 {
			t.Fatalf("purge: %d %v", n, err)
		}
		var left []struct{ Body string }
		if err := s.DB.NewSelect().Table("delivery_bodies").Column("body").Scan(ctx, &left); err != nil || len(left) != 1 || left[0].Body != `{"type":"Create"}` {
			t.Fatalf("bodies after purge: %+v %v", left, err)
		}
	}, models.WithClock(func() time.Time { return clock }))
}

// TestCompleteDeliveriesHosts: acknowledging deliveries closes the
// circuit of a failing host, records new hosts, and refreshes a healthy
// host's last success once a minute at most.
func TestCompleteDeliveriesHosts(t *testing.T) {
	var clock time.Time
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clock = time.Now()
		acc := sender(t, s)
		ack := func(i int, hosts ...string) {
			t.Helper()
			var inboxes []string
			for _, h := range hosts {
				inboxes = append(inboxes, "https://"+h+"/inbox")
			}
			if _, err := s.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: fmt.Sprintf("https://x.example/a/%d", i), Body: []byte("{}"),
				SignerID: acc.Actor.ID, Inboxes: inboxes}); err != nil {
				t.Fatal(err)
			}
			jobs, err := s.ClaimDeliveries(ctx, "node", 10, time.Minute)
			if err != nil || len(jobs) != len(hosts) {
				t.Fatalf("claim: %d %v", len(jobs), err)
			}
			var done []models.Delivered
			for _, j := range jobs {
				done = append(done, models.Delivered{ID: j.ID, Host: j.Host, Status: 202})
			}
			if n, err := s.CompleteDeliveries(ctx, "node", done); err != nil || n != len(hosts) {
				t.Fatalf("complete: %d %v", n, err)
			}
		}
		host := func(name string) models.RemoteHost {
			t.Helper()
			var h models.RemoteHost
			if err := s.DB.NewSelect().Model(&h).Where("host = ?", name).Scan(ctx); err != nil {
				t.Fatalf("host %s: %v", name, err)
			}
			return h
		}
		for range 3 {
			if _, err := s.HostFailed(ctx, "down.example", "status 503", 3, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		clock = clock.Add(2 * time.Minute) // the circuit's minute is over
		ack(1, "down.example", "new.example")
		for _, name := range []string{"down.example", "new.example"} {
			if h := host(name); h.Failures != 0 || h.DownUntil != nil || h.LastSuccessAt == nil || !h.LastSuccessAt.Equal(s.Now()) {
				t.Errorf("%s after a success: %+v", name, h)
			}
		}
		first := s.Now()
		clock = clock.Add(30 * time.Second)
		ack(2, "new.example")
		if h := host("new.example"); !h.LastSuccessAt.Equal(first) {
			t.Errorf("last success rewritten after 30 s: %s, want %s", h.LastSuccessAt, first)
		}
		clock = clock.Add(time.Minute)
		ack(3, "new.example")
		if h := host("new.example"); !h.LastSuccessAt.Equal(s.Now()) {
			t.Errorf("last success %s not refreshed after 90 s (now %s)", h.LastSuccessAt, s.Now())
		}
	}, models.WithClock(func() time.Time { return clock }))
}

// TestClaimDeliveriesOrder: a claim hands its jobs over oldest first
// (PostgreSQL's UPDATE … RETURNING has no order of its own).
func TestClaimDeliveriesOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc := sender(t, s)
		for i := range 40 {
			if _, err := s.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: fmt.Sprintf("https://x.example/a/%d", i), Body: []byte("{}"),
				SignerID: acc.Actor.ID, Inboxes: []string{"https://peer.example/inbox"}}); err != nil {
				t.Fatal(err)
			}
		}
		// Rewrite every other row: on PostgreSQL its new version goes to
		// the end of the table, so the table's order is no longer the ids'.
		if _, err := s.DB.NewUpdate().Model((*models.Delivery)(nil)).Set("last_error = 'x'").Where("id % 2 = 0").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		jobs, err := s.ClaimDeliveries(ctx, "node", 40, time.Minute)
		if err != nil || len(jobs) != 40 {
			t.Fatalf("claim: %d %v", len(jobs), err)
		}
		for i := 1; i < len(jobs); i++ {
			if jobs[i].ID < jobs[i-1].ID {
				t.Fatalf("job %d handed over after job %d", jobs[i].ID, jobs[i-1].ID)
			}
		}
	})
}

// sender creates the local account whose actor signs the test's jobs.
func sender(t *testing.T, s *models.Store) *models.Account {
	t.Helper()
	acc, err := s.CreateAccount(context.Background(), models.NewAccount{Username: "sender", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

// TestClaimDeliveriesPlan (SQLite): a claim reads the due jobs in order
// from deliveries_claim and updates the ones it chose by id; it read
// every pending job's index entry once the update also filtered on state,
// a cost that grew with the backlog of a peer that was down, and every
// known host to leave out the ones that are down.
func TestClaimDeliveriesPlan(t *testing.T) {
	s := dbtest.Open(t, "sqlite")
	ctx := context.Background()
	acc := sender(t, s)
	inboxes := make([]string, 600)
	for i := range inboxes {
		inboxes[i] = fmt.Sprintf("https://h%d.example/inbox", i)
	}
	if _, err := s.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: "https://x.example/a/1", Body: []byte("{}"), SignerID: acc.Actor.ID, Inboxes: inboxes}); err != nil {
		t.Fatal(err)
	}
	plans := queryPlans(t, s, `UPDATE "deliveries"`, func() {
		if jobs, err := s.ClaimDeliveries(ctx, "node", 16, time.Minute); err != nil || len(jobs) != 16 {
			t.Fatalf("claim: %d %v", len(jobs), err)
		}
	})
	plan := plans[0]
	if !strings.Contains(plan, "SEARCH delivery USING INTEGER PRIMARY KEY (rowid=?)") || strings.Contains(plan, "SCAN remote_host") ||
		!strings.Contains(plan, "USING INDEX deliveries_claim (state=? AND next_attempt_at<?)") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("claim plan:\n%swant the due jobs from deliveries_claim in order, updated by id, and only the hosts that are down", plan)
	}
}
