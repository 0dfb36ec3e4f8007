package models_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// eachMailStore runs fn on each dialect's store, whose clock the test
// moves (*now).
func eachMailStore(t *testing.T, fn func(t *testing.T, s *models.Store, now *time.Time)) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		mu.Lock()
		now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		mu.Unlock()
		fn(t, s, &now)
	}, models.WithClock(clock))
}

// mailRows reads the outbox, in id order.
func mailRows(t *testing.T, s *models.Store) []models.Mail {
	t.Helper()
	var rows []models.Mail
	if err := s.DB.NewSelect().Model(&rows).Order("id").Scan(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestMailOutboxLifecycle: a queued mail is claimed once (not again
// while leased), deleted as soon as it is sent; a temporary failure makes
// it due again after its backoff, with its error kept and no address; a
// permanent one, the last allowed attempt, or a retry that would come
// after its expiry deletes it; an expired mail is neither claimed nor
// kept; an expiry beyond MailLifetime is cut to it.
func TestMailOutboxLifecycle(t *testing.T) {
	eachMailStore(t, func(t *testing.T, s *models.Store, now *time.Time) {
		ctx := context.Background()
		start := *now
		mail := func(kind string, valid time.Duration) models.Mail {
			m := models.Mail{AccountID: 1, Username: "ann", Kind: kind, Address: "ann@example.org", Subject: "s", Body: "token-" + kind}
			if valid != 0 {
				m.ExpiresAt = start.Add(valid)
			}
			return m
		}
		if err := s.QueueMail(ctx, mail("sent", time.Hour), mail("retried", time.Hour), mail("refused", time.Hour),
			mail("worn out", time.Hour), mail("late", 10*time.Minute), mail("notice", 0), mail("expired", -time.Second)); err != nil {
			t.Fatal(err)
		}
		rows := mailRows(t, s)
		if len(rows) != 6 {
			t.Fatalf("%d rows queued, want 6 (the expired one is not)", len(rows))
		}
		if got := rows[5].ExpiresAt; !got.Equal(start.Add(models.MailLifetime)) {
			t.Errorf("a notice expires at %v, want MailLifetime later", got)
		}
		if w, r, err := s.MailCounts(ctx); err != nil || w != 6 || r != 0 {
			t.Errorf("counts: %d waiting, %d retrying, %v", w, r, err)
		}
		got, err := s.ClaimMails(ctx, "node", 10, time.Minute)
		if err != nil || len(got) != 6 {
			t.Fatalf("claim: %d %v", len(got), err)
		}
		if again, err := s.ClaimMails(ctx, "other", 10, time.Minute); err != nil || len(again) != 0 {
			t.Fatalf("leased mails claimed again: %d %v", len(again), err)
		}
		by := map[string]*models.Mail{}
		for i := range got {
			by[got[i].Kind] = &got[i]
			if got[i].Attempts != 1 {
				t.Errorf("%s: %d attempts after the claim", got[i].Kind, got[i].Attempts)
			}
		}
		if err := s.MailSent(ctx, by["sent"].ID); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			kind    string
			retryIn time.Duration
			dropped bool
		}{
			{"retried", models.MailBackoff(1), false},
			{"refused", 0, true},
			{"late", 10 * time.Minute, true}, // due again at its expiry
			{"notice", models.MailBackoff(1), false},
		} {
			if dropped, err := s.MailFailed(ctx, by[tc.kind], "node", "451 try later", tc.retryIn); err != nil || dropped != tc.dropped {
				t.Errorf("%s: dropped %v, want %v (%v)", tc.kind, dropped, tc.dropped, err)
			}
		}
		by["worn out"].Attempts = models.MaxMailAttempts
		if dropped, err := s.MailFailed(ctx, by["worn out"], "node", "451 try later", time.Minute); err != nil || !dropped {
			t.Errorf("the last attempt's failure: dropped %v (%v)", dropped, err)
		}
		rows = mailRows(t, s)
		if len(rows) != 2 || rows[0].Kind != "retried" || rows[1].Kind != "notice" {
			t.Fatalf("left %+v, want the two retried", rows)
		}
		if r := rows[0]; r.LockedBy != "" || r.LastError != "451 try later" || !r.NextAttemptAt.Equal(start.Add(30*time.Second)) {
			t.Errorf("retried: %+v", r)
		}
		if w, r, err := s.MailCounts(ctx); err != nil || w != 2 || r != 2 {
			t.Errorf("counts: %d waiting, %d retrying, %v", w, r, err)
		}
		if early, _ := s.ClaimMails(ctx, "node", 10, time.Minute); len(early) != 0 {
			t.Errorf("claimed before the backoff: %d", len(early))
		}
		*now = start.Add(30 * time.Second)
		if due, err := s.ClaimMails(ctx, "node", 10, time.Minute); err != nil || len(due) != 2 || due[0].Attempts != 2 {
			t.Fatalf("after the backoff: %+v %v", due, err)
		}
		// Past an hour the reset link is dead: not claimed, then swept.
		*now = start.Add(time.Hour)
		if due, _ := s.ClaimMails(ctx, "other", 10, time.Minute); len(due) != 1 || due[0].Kind != "notice" {
			t.Errorf("after the link's expiry: %+v", due)
		}
		if n, err := s.DropExpiredMails(ctx); err != nil || n != 1 {
			t.Errorf("swept %d expired, %v", n, err)
		}
		if rows := mailRows(t, s); len(rows) != 1 || rows[0].Kind != "notice" {
			t.Errorf("after the sweep: %+v", rows)
		}
	})
}

// TestMailOutboxRelease: mails claimed but not tried (the worker
// stopping) are due again at once, their attempt not counted, unless
// another node holds them.
func TestMailOutboxRelease(t *testing.T) {
	eachMailStore(t, func(t *testing.T, s *models.Store, _ *time.Time) {
		ctx := context.Background()
		if err := s.QueueMail(ctx, models.Mail{AccountID: 1, Username: "ann", Kind: "k", Address: "a@example.org"}); err != nil {
			t.Fatal(err)
		}
		got, err := s.ClaimMails(ctx, "node", 1, time.Hour)
		if err != nil || len(got) != 1 {
			t.Fatal(len(got), err)
		}
		if err := s.ReleaseMails(ctx, "other", []int64{got[0].ID}); err != nil {
			t.Fatal(err)
		}
		if again, _ := s.ClaimMails(ctx, "other", 1, time.Hour); len(again) != 0 {
			t.Fatal("another node released this node's mail")
		}
		if err := s.ReleaseMails(ctx, "node", []int64{got[0].ID}); err != nil {
			t.Fatal(err)
		}
		if again, err := s.ClaimMails(ctx, "other", 1, time.Hour); err != nil || len(again) != 1 || again[0].Attempts != 1 {
			t.Fatalf("after the release: %+v %v", again, err)
		}
	})
}

// TestMailOutboxClaimersShare: nodes claiming at once never get the same
// mail (SKIP LOCKED on PostgreSQL, the write lock on SQLite).
func TestMailOutboxClaimersShare(t *testing.T) {
	eachMailStore(t, func(t *testing.T, s *models.Store, _ *time.Time) {
		ctx := context.Background()
		const total = 60
		var mails []models.Mail
		for i := range total {
			mails = append(mails, models.Mail{AccountID: int64(i), Username: "u", Kind: "k", Address: fmt.Sprintf("u%d@example.org", i)})
		}
		if err := s.QueueMail(ctx, mails...); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		for n := range 4 {
			owner := fmt.Sprintf("node%d", n)
			wg.Go(func() {
				for {
					got, err := s.ClaimMails(ctx, owner, 3, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, m := range got {
						if prev, ok := seen[m.ID]; ok {
							t.Errorf("mail %d claimed by %s and %s", m.ID, prev, owner)
						}
						seen[m.ID] = owner
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != total {
			t.Errorf("%d mails claimed, want %d", len(seen), total)
		}
	})
}

// TestMailBackoff: 30 s, doubling, at most an hour.
func TestMailBackoff(t *testing.T) {
	// 30 s × 2⁷ = 64 min at the eighth: capped.
	for attempt, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 7: 32 * time.Minute, 8: time.Hour, 20: time.Hour} {
		if got := models.MailBackoff(attempt); got != want {
			t.Errorf("attempt %d: %v, want %v", attempt, got, want)
		}
	}
}
