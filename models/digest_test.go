package models_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/opendemocracynow/odn/models"
)

// TestNotificationDigests: only an account that turned the digest on,
// with a confirmed address, neither disabled nor erased, gets one; only
// when it has unread notifications newer than its last digest (the last
// day for the first); at most once a day, however many callers run at
// once; listing at most DigestMaxItems with the total.
func TestNotificationDigests(t *testing.T) {
	eachMailStore(t, func(t *testing.T, s *models.Store, now *time.Time) {
		ctx := context.Background()
		accs := map[string]*models.Account{}
		for _, name := range []string{"ana", "ben", "cleo", "dan", "eve"} {
			acc, err := s.CreateAccount(ctx, models.NewAccount{Username: name, Email: name + "@example.org", Password: "correct horse battery", Role: models.RoleMember, Locale: "fr"})
			if err != nil {
				t.Fatal(err)
			}
			accs[name] = acc
		}
		notify := func(names ...string) {
			t.Helper()
			var ids []int64
			for _, n := range names {
				ids = append(ids, accs[n].ID)
			}
			err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
				return s.Notify(ctx, tx, ids, models.Notification{Kind: models.NotifyPetitionUpdate, ObjectType: "nothing", ObjectID: 7})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		var digests []models.Digest
		compose := func(d models.Digest) models.Mail {
			mu.Lock()
			defer mu.Unlock()
			digests = append(digests, d)
			return models.Mail{Subject: fmt.Sprintf("%d new", d.Total), Body: "body"}
		}
		queue := func(want int) {
			t.Helper()
			digests = nil
			n, err := s.QueueNotificationDigests(ctx, 100, compose)
			if err != nil || n != want {
				t.Fatalf("queued %d digests (%v), want %d", n, err, want)
			}
		}
		advance := func(d time.Duration) { *now = now.Add(d) }
		all := []string{"ana", "ben", "cleo", "dan", "eve"}

		notify(all...)
		queue(0) // nobody opted in: off by default
		on := true
		for _, name := range all {
			if _, err := s.EditAccount(ctx, accs[name], models.AccountEdit{EmailDigest: &on}); err != nil {
				t.Fatal(err)
			}
		}
		off := false
		if _, err := s.EditAccount(ctx, accs["ben"], models.AccountEdit{EmailDigest: &off}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.NewRaw("UPDATE accounts SET pending_email = email, email = '' WHERE id = ?", accs["cleo"].ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.NewRaw("UPDATE accounts SET disabled = ? WHERE id = ?", true, accs["dan"].ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAccount(ctx, accs["eve"]); err != nil {
			t.Fatal(err)
		}

		// Erasure turns it off; the data download holds the choice.
		var eveDigest bool
		if err := s.DB.NewRaw("SELECT email_digest FROM accounts WHERE id = ?", accs["eve"].ID).Scan(ctx, &eveDigest); err != nil || eveDigest {
			t.Errorf("erased account keeps its digest on (%v)", err)
		}
		export, err := s.AccountExport(ctx, accs["ana"])
		if err != nil {
			t.Fatal(err)
		}
		if rows := export.Tables["accounts"]; len(rows) != 1 || rows[0]["email_digest"] == nil || export.Notes["digest"] == "" {
			t.Errorf("the download lacks the digest choice: %v", rows)
		}

		// Ten callers at once (several nodes) queue ana's digest once.
		var wg sync.WaitGroup
		var total int
		errs := make(chan error, 10)
		for range 10 {
			wg.Go(func() {
				n, err := s.QueueNotificationDigests(ctx, 100, compose)
				mu.Lock()
				total += n
				mu.Unlock()
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		rows := mailRows(t, s)
		if total != 1 || len(rows) != 1 {
			t.Fatalf("%d queued, %d mails: want ana's one", total, len(rows))
		}
		m := rows[0]
		if m.AccountID != accs["ana"].ID || m.Username != "ana" || m.Address != "ana@example.org" || m.Kind != models.MailKindDigest ||
			m.Subject != "1 new" || !m.ExpiresAt.Equal(now.Add(models.DigestInterval)) {
			t.Errorf("mail %+v", m)
		}
		d := digests[0]
		if d.Locale != "fr" || d.Total != 1 || len(d.Notifications) != 1 || d.Notifications[0].Kind != models.NotifyPetitionUpdate {
			t.Errorf("digest %+v", d)
		}

		// Once a day: a new notification an hour later waits.
		advance(time.Hour)
		notify("ana")
		queue(0)
		// A day after the last one, it tells only what came since.
		advance(models.DigestInterval - time.Hour)
		notify("ana")
		queue(1)
		if d := digests[0]; d.Total != 2 || len(d.Notifications) != 2 {
			t.Errorf("second digest: %d of %d, want the two new ones", len(d.Notifications), d.Total)
		}
		// Nothing unread: nothing sent.
		advance(time.Hour)
		notify("ana")
		if err := s.MarkNotificationsRead(ctx, accs["ana"]); err != nil {
			t.Fatal(err)
		}
		advance(models.DigestInterval)
		queue(0)
		// Many: the list is capped, the total told.
		for range models.DigestMaxItems + 5 {
			notify("ana")
		}
		queue(1)
		if d := digests[0]; d.Total != models.DigestMaxItems+5 || len(d.Notifications) != models.DigestMaxItems {
			t.Errorf("digest of many: %d of %d", len(d.Notifications), d.Total)
		}
		// Turned off: no more.
		advance(models.DigestInterval)
		notify("ana")
		if _, err := s.EditAccount(ctx, accs["ana"], models.AccountEdit{EmailDigest: &off}); err != nil {
			t.Fatal(err)
		}
		queue(0)
		if got, _ := s.AccountByID(ctx, accs["ana"].ID); got == nil || got.EmailDigest {
			t.Errorf("digest still on after turning it off: %+v", got)
		}
	})
}

// TestDigestTellsEveryNotificationOnce: a notification created in the
// same clock tick as a digest, after its query, is told by the next
// digest; so is one whose transaction read the clock before a digest's
// query and committed after it, with a smaller id than a notification
// that digest told (PostgreSQL only: SQLite runs one writer at a time, so
// the digest's claim would wait for it); no notification is told twice.
func TestDigestTellsEveryNotificationOnce(t *testing.T) {
	eachMailStore(t, func(t *testing.T, s *models.Store, now *time.Time) {
		ctx := context.Background()
		ana, err := s.CreateAccount(ctx, models.NewAccount{Username: "ana", Email: "ana@example.org", Password: "correct horse battery", Role: models.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		on := true
		if _, err := s.EditAccount(ctx, ana, models.AccountEdit{EmailDigest: &on}); err != nil {
			t.Fatal(err)
		}
		objectID := int64(0)
		notify := func(db bun.IDB) {
			t.Helper()
			objectID++
			if err := s.Notify(ctx, db, []int64{ana.ID}, models.Notification{Kind: models.NotifyPetitionUpdate, ObjectType: "nothing", ObjectID: objectID}); err != nil {
				t.Fatal(err)
			}
		}
		notifyNow := func() {
			t.Helper()
			if err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error { notify(tx); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		var told []int64 // the object ids each digest listed, in order
		queue := func(want int) {
			t.Helper()
			var got []models.Digest
			n, err := s.QueueNotificationDigests(ctx, 100, func(d models.Digest) models.Mail {
				got = append(got, d)
				return models.Mail{Subject: "news", Body: "body"}
			})
			if err != nil || n != len(got) {
				t.Fatalf("queued %d digests (%v), composed %d", n, err, len(got))
			}
			if want == 0 {
				if n != 0 {
					t.Fatalf("a digest of %d was queued, want none", got[0].Total)
				}
				return
			}
			if n != 1 || got[0].Total != want || len(got[0].Notifications) != want {
				t.Fatalf("%d digests, want one of %d: %+v", n, want, got)
			}
			for _, v := range got[0].Notifications {
				told = append(told, v.ObjectID)
			}
		}
		advance := func(d time.Duration) { *now = now.Add(d) }

		notifyNow()
		queue(1)
		notifyNow() // the same clock tick as that digest, after its query
		advance(models.DigestInterval)
		queue(1)
		if s.Dialect == models.Postgres {
			advance(models.DigestInterval - time.Second)
			late, err := s.DB.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer late.Rollback() //nolint:errcheck // committed below unless the test failed
			notify(late)          // reads the clock, takes the smaller id
			advance(time.Second)
			notifyNow()
			queue(1) // tells the committed one only
			if err := late.Commit(); err != nil {
				t.Fatal(err)
			}
			advance(models.DigestInterval)
			queue(1) // the late one
		}
		advance(models.DigestInterval)
		queue(0)
		want := []int64{1, 2}
		if s.Dialect == models.Postgres {
			want = []int64{1, 2, 4, 3}
		}
		if !slices.Equal(told, want) {
			t.Errorf("digests told notifications %v, want %v, each once", told, want)
		}

		// Off for a month, then on again: the next digest looks a day
		// back, as a first one does, not at the month it was off.
		off := false
		if _, err := s.EditAccount(ctx, ana, models.AccountEdit{EmailDigest: &off}); err != nil {
			t.Fatal(err)
		}
		notifyNow() // while off, and weeks before it is on again
		advance(30 * models.DigestInterval)
		if _, err := s.EditAccount(ctx, ana, models.AccountEdit{EmailDigest: &on}); err != nil {
			t.Fatal(err)
		}
		queue(0)
		notifyNow()
		told = nil
		queue(1)
		if want := []int64{objectID}; !slices.Equal(told, want) {
			t.Errorf("the digest after turning it on again told %v, want %v", told, want)
		}
	})
}
