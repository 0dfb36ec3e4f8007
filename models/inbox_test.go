package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestFinishInboxItems: one call records a batch's outcomes: applied items
// are processed and their body dropped (only the id is kept, to refuse a
// replay), a failure is due again after its backoff, a permanent one (or
// one out of attempts) is processed with its error and its body, for the
// administrator, and items whose lease another node took are left alone.
func TestFinishInboxItems(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		for i := range 5 {
			it := &models.InboxItem{ActivityID: fmt.Sprintf("https://peer.example/a/%d", i), Type: "Create",
				ActorURI: "https://peer.example/users/u", KeyOwner: "https://peer.example/users/u", Host: "peer.example", Body: `{"n":1}`}
			if ok, err := s.StoreInboxItem(ctx, it); err != nil || !ok {
				t.Fatalf("store: %v %v", ok, err)
			}
		}
		items, err := s.ClaimInboxItems(ctx, "node", 10, time.Minute)
		if err != nil || len(items) != 5 {
			t.Fatalf("claim: %d %v", len(items), err)
		}
		items[3].Attempts = models.MaxInboxAttempts // as if it had failed that often
		retry := errors.New("origin down")
		err = s.FinishInboxItems(ctx, "node",
			models.InboxOutcome{Item: &items[0]},
			models.InboxOutcome{Item: &items[1]},
			models.InboxOutcome{Item: &items[2], Err: retry, RetryIn: time.Hour},
			models.InboxOutcome{Item: &items[3], Err: retry, RetryIn: time.Hour},
			models.InboxOutcome{Item: &items[4], Err: errors.New("malformed")},
		)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FinishInboxItems(ctx, "other-node", models.InboxOutcome{Item: &items[2]}); err != nil {
			t.Fatal(err)
		}
		var rows []models.InboxItem
		if err := s.DB.NewSelect().Model(&rows).Order("id").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			processed, errText := r.ProcessedAt != nil, r.Error
			want := map[int]struct {
				processed bool
				err       string
				body      string
			}{0: {true, "", ""}, 1: {true, "", ""}, 2: {false, "origin down", `{"n":1}`}, 3: {true, "origin down", `{"n":1}`}, 4: {true, "malformed", `{"n":1}`}}[i]
			if processed != want.processed || errText != want.err || r.LockedBy != "" || r.Body != want.body {
				t.Errorf("item %d: processed %v error %q locked by %q body %q, want %v %q unlocked %q", i, processed, errText, r.LockedBy, r.Body, want.processed, want.err, want.body)
			}
		}
		if seen, err := s.HasInboxActivity(ctx, items[0].ActivityID); err != nil || !seen {
			t.Errorf("applied item: seen %v (%v), want its id kept against replays", seen, err)
		}
		if !rows[2].NextAttemptAt.After(s.Now().Add(50 * time.Minute)) {
			t.Errorf("retried item due at %s, want in an hour", rows[2].NextAttemptAt)
		}
		if n, err := s.InboxBacklog(ctx); err != nil || n != 1 {
			t.Errorf("backlog %d %v, want 1", n, err)
		}
	})
}

// TestStoreInboxItemConcurrent: POSTs stored at the same time (a group
// commit on SQLite) each learn their own outcome: every new activity is
// stored once and reported new, every repeat reported a duplicate, and
// all are committed when StoreInboxItem returns.
func TestStoreInboxItemConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		const n = 200
		type result struct {
			id  int
			new bool
			err error
		}
		results := make(chan result, 2*n)
		var wg sync.WaitGroup
		for i := range 2 * n { // each activity twice
			wg.Go(func() {
				id := i % n
				it := &models.InboxItem{ActivityID: fmt.Sprintf("https://peer.example/a/%d", id), Type: "Create",
					ActorURI: "https://peer.example/users/u", KeyOwner: "https://peer.example/users/u", Host: "peer.example", Body: "{}"}
				ok, err := s.StoreInboxItem(ctx, it)
				if err == nil {
					// Committed before the answer: visible to any reader.
					if found, ferr := s.HasInboxActivity(ctx, it.ActivityID); ferr != nil || !found {
						err = fmt.Errorf("stored %s not visible (%v)", it.ActivityID, ferr)
					}
				}
				results <- result{id, ok, err}
			})
		}
		wg.Wait()
		close(results)
		news := map[int]int{}
		for r := range results {
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.new {
				news[r.id]++
			}
		}
		for id := range n {
			if news[id] != 1 {
				t.Errorf("activity %d reported new %d times, want once", id, news[id])
			}
		}
		if got, err := s.InboxBacklog(ctx); err != nil || got != n {
			t.Errorf("backlog %d %v, want %d", got, err, n)
		}
	})
}

// TestStoreInboxItemBadItemAlone: an item the database refuses fails
// alone; the POSTs committed in the same batch are stored. PostgreSQL
// refuses a NUL byte in text (SQLite stores it).
func TestStoreInboxItemBadItemAlone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		const n = 40
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				body := "{}"
				if i == n/2 {
					body = "{\"a\":\"\x00\"}"
				}
				it := &models.InboxItem{ActivityID: fmt.Sprintf("https://peer.example/b/%d", i), Type: "Create",
					ActorURI: "https://peer.example/users/u", KeyOwner: "https://peer.example/users/u", Host: "peer.example", Body: body}
				_, errs[i] = s.StoreInboxItem(ctx, it)
			})
		}
		wg.Wait()
		for i, err := range errs {
			if bad := i == n/2 && s.Dialect == models.Postgres; (err != nil) != bad {
				t.Errorf("item %d: %v", i, err)
			}
		}
		want := n
		if s.Dialect == models.Postgres {
			want--
		}
		if got, err := s.InboxBacklog(ctx); err != nil || got != want {
			t.Errorf("backlog %d %v, want %d", got, err, want)
		}
	})
}

// TestStoreInboxItemCancelled: a POST whose request is gone before its
// item is stored gets the context's error.
func TestStoreInboxItemCancelled(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		it := &models.InboxItem{ActivityID: "https://peer.example/a/x", Type: "Create",
			ActorURI: "https://peer.example/users/u", KeyOwner: "https://peer.example/users/u", Host: "peer.example", Body: "{}"}
		if ok, err := s.StoreInboxItem(ctx, it); err == nil || ok {
			t.Fatalf("cancelled store: %v %v, want an error", ok, err)
		}
	})
}

// TestClaimInboxItemsLease: a claimed item is not claimed again before
// its lease ends (by this node or another), and is due again after it
// (a worker that died); the claim reads the index of unprocessed items,
// not the table (processed items are kept 14 days for deduplication).
func TestClaimInboxItemsLease(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		for i := range 3 {
			it := &models.InboxItem{ActivityID: fmt.Sprintf("https://peer.example/a/%d", i), Type: "Create",
				ActorURI: "https://peer.example/users/u", KeyOwner: "https://peer.example/users/u", Host: "peer.example", Body: "{}"}
			if _, err := s.StoreInboxItem(ctx, it); err != nil {
				t.Fatal(err)
			}
		}
		first, err := s.ClaimInboxItems(ctx, "a", 2, time.Minute)
		if err != nil || len(first) != 2 || first[0].ActivityID != "https://peer.example/a/0" {
			t.Fatalf("first claim: %+v %v", first, err)
		}
		second, err := s.ClaimInboxItems(ctx, "b", 10, time.Minute)
		if err != nil || len(second) != 1 || second[0].ActivityID != "https://peer.example/a/2" {
			t.Fatalf("second claim took %d items (%v), want only the unleased one", len(second), err)
		}
		mu.Lock()
		now = now.Add(2 * time.Minute)
		mu.Unlock()
		again, err := s.ClaimInboxItems(ctx, "b", 10, time.Minute)
		if err != nil || len(again) != 3 || again[0].Attempts != 2 {
			t.Fatalf("after the leases: %d items %v, want all 3 on their second attempt", len(again), err)
		}
		if s.Dialect == models.SQLite {
			plan := queryPlans(t, s, `UPDATE "inbox_items"`, func() {
				if _, err := s.ClaimInboxItems(ctx, "c", 64, time.Minute); err != nil {
					t.Fatal(err)
				}
			})[0]
			if !strings.Contains(plan, "USING INDEX inbox_items_pending") || strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("claim plan:\n%s want the pending index, in its order", plan)
			}
		}
	}, models.WithClock(clock))
}

// TestPurgeInboxItems: processed items older than keep go, a batch at a
// time (more than one here); recent and unprocessed ones stay.
func TestPurgeInboxItems(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := s.Now()
		old, recent := now.Add(-15*24*time.Hour), now.Add(-time.Hour)
		item := func(i int, processed *time.Time) models.InboxItem {
			return models.InboxItem{ActivityID: fmt.Sprintf("https://peer.example/a/%d", i), Type: "Create", ActorURI: "https://peer.example/users/u",
				KeyOwner: "https://peer.example/users/u", Host: "peer.example", NextAttemptAt: old, ReceivedAt: old, ProcessedAt: processed}
		}
		items := []models.InboxItem{item(0, nil), item(1, &recent)}
		for i := range 2500 {
			items = append(items, item(2+i, &old))
		}
		if _, err := s.DB.NewInsert().Model(&items).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := s.PurgeInboxItems(ctx, 14*24*time.Hour); err != nil || n != 2500 {
			t.Fatalf("purged %d (%v), want 2500", n, err)
		}
		var left []string
		if err := s.DB.NewSelect().Model((*models.InboxItem)(nil)).Column("activity_id").Order("id").Scan(ctx, &left); err != nil {
			t.Fatal(err)
		}
		if len(left) != 2 || left[0] != "https://peer.example/a/0" || left[1] != "https://peer.example/a/1" {
			t.Errorf("left %q, want the unprocessed and the recent item", left)
		}
	})
}
