package models_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestForwardOutcome: a forwarded report reads "queued" until the
// delivery queue knows what became of its Flag: "delivered" (with the
// day) once the content's server answered 2xx, "failed" when the Flag was
// dropped (no inbox left, domain blocked when queued or since) or its job
// went to the dead letters. A retry scheduled is still queued; an admin
// retrying the dead letter makes it queued again. A failed forward may be
// forwarded again, once per failure, as a new attempt (a new Flag id),
// but not to a domain blocked here; ordinary deliveries carry no report.
// A failed forward says why (ForwardError): refused, unreachable, no
// inbox, content gone, domain blocked; the reason goes once it is queued
// again.
func TestForwardOutcome(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		d := f.debate(t, models.DebateInput{}, true)
		bo := f.remote(t, "bo", "masto.example")
		theirs, err := f.s.CreateRemoteComment(ctx, bo, models.RemoteComment{URI: "https://masto.example/users/bo/statuses/1",
			InReplyToURI: d.URI, ContentHTML: "<p>rude</p>"})
		if err != nil {
			t.Fatal(err)
		}
		// report files one report of bo's comment by user i, forwarded at
		// filing (asked) or by the moderator.
		report := func(i int, asked bool) *models.Report {
			t.Helper()
			r, err := f.s.CreateReport(ctx, f.users[i].Actor, models.ReportInput{ObjectType: "comment", ObjectID: theirs.ID, Reason: "rude", Forward: asked})
			if err != nil {
				t.Fatal(err)
			}
			if !asked {
				if err := f.s.ForwardReport(ctx, f.mod, r.ID, ""); err != nil {
					t.Fatal(err)
				}
			}
			return r
		}
		get := func(id int64) *models.Report {
			t.Helper()
			list, err := f.s.ListReports(ctx, f.mod, models.ReportFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range list {
				if r.ID == id {
					return r
				}
			}
			t.Fatalf("no report %d", id)
			return nil
		}
		want := func(what string, id int64, status string, attempts int, mayForward bool) *models.Report {
			t.Helper()
			r := get(id)
			if r.ForwardStatus != status || r.ForwardAttempts != attempts || r.MayForward() != mayForward ||
				(r.ForwardDeliveredAt != nil) != (status == models.ForwardDelivered) {
				t.Errorf("%s: status %q, %d attempts, delivered at %v, may forward %v; want %q, %d, may forward %v",
					what, r.ForwardStatus, r.ForwardAttempts, r.ForwardDeliveredAt, r.MayForward(), status, attempts, mayForward)
			}
			return r
		}
		wantWhy := func(what string, id int64, reason string) {
			t.Helper()
			if r := get(id); r.ForwardError != reason {
				t.Errorf("%s: forward error %q, want %q", what, r.ForwardError, reason)
			}
		}
		// queue does what the outbox does with a report's Flag, and
		// claims its job.
		queue := func(r *models.Report, attempt int, inboxes ...string) *models.Delivery {
			t.Helper()
			id := "https://town.example/actor#flags/" + strconv.FormatInt(r.ID, 10) + "/" + strconv.Itoa(attempt)
			if _, err := f.s.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: id, Body: []byte("{}"), SignerID: f.mod.Actor.ID,
				Inboxes: inboxes, ReportID: r.ID}); err != nil {
				t.Fatal(err)
			}
			if len(inboxes) == 0 {
				return nil
			}
			jobs, err := f.s.ClaimDeliveries(ctx, "node", 10, time.Minute)
			if err != nil || len(jobs) != 1 || jobs[0].ActivityID != id || jobs[0].ReportID != r.ID {
				t.Fatalf("claimed %+v (%v), want the Flag's job of report %d", jobs, err, r.ID)
			}
			return &jobs[0]
		}
		deliver := func(j *models.Delivery) {
			t.Helper()
			if n, err := f.s.CompleteDeliveries(ctx, "node", []models.Delivered{{ID: j.ID, Host: j.Host, Status: 202, ReportID: j.ReportID}}); err != nil || n != 1 {
				t.Fatalf("complete: %d %v", n, err)
			}
		}
		kill := func(j *models.Delivery, status int, why string) {
			t.Helper()
			if err := f.s.FailDelivery(ctx, j.ID, "node", status, "status "+strconv.Itoa(status), time.Time{}, why); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("delivered", func(t *testing.T) {
			r := report(0, true)
			if r.ForwardStatus != models.ForwardQueued || r.ForwardAttempts != 1 {
				t.Errorf("filed asking to forward: %q, %d attempts; want queued, 1", r.ForwardStatus, r.ForwardAttempts)
			}
			j := queue(r, 1, bo.Inbox)
			want("claimed", r.ID, models.ForwardQueued, 1, false)
			f.tick(time.Minute)
			deliver(j)
			if got := want("delivered", r.ID, models.ForwardDelivered, 1, false); got.ForwardDeliveredAt != nil && !got.ForwardDeliveredAt.Equal(f.now) {
				t.Errorf("delivered at %v, want %v", got.ForwardDeliveredAt, f.now)
			}
			if err := f.s.ForwardReport(ctx, f.mod, r.ID, ""); !errors.Is(err, models.ErrConflict) {
				t.Errorf("forwarding a delivered report: %v, want a conflict", err)
			}
		})

		t.Run("dead letter, forwarded again once", func(t *testing.T) {
			r := report(1, false)
			want("forwarded", r.ID, models.ForwardQueued, 1, false)
			j := queue(r, 1, bo.Inbox)
			if err := f.s.FailDelivery(ctx, j.ID, "node", 503, "busy", f.now.Add(time.Minute), models.ForwardErrorUnreachable); err != nil {
				t.Fatal(err)
			}
			want("a retry scheduled", r.ID, models.ForwardQueued, 1, false)
			f.tick(2 * time.Minute)
			jobs, err := f.s.ClaimDeliveries(ctx, "node", 10, time.Minute)
			if err != nil || len(jobs) != 1 {
				t.Fatalf("claim the retry: %+v %v", jobs, err)
			}
			kill(&jobs[0], 410, models.ForwardErrorRefused)
			want("dead", r.ID, models.ForwardFailed, 1, true)
			wantWhy("refused for good", r.ID, models.ForwardErrorRefused)

			if err := f.s.ForwardReport(ctx, f.users[0], r.ID, ""); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("a member forwarding again: %v", err)
			}
			if err := f.s.ForwardReport(ctx, f.mod, r.ID, "Second try."); err != nil {
				t.Fatalf("forwarding a failed report again: %v", err)
			}
			if err := f.s.ForwardReport(ctx, f.admin, r.ID, ""); !errors.Is(err, models.ErrConflict) {
				t.Errorf("forwarding it a third time while queued: %v, want a conflict", err)
			}
			want("forwarded again", r.ID, models.ForwardQueued, 2, false)
			wantWhy("forwarded again", r.ID, "")
			fr, err := f.s.ReportToForward(ctx, models.Event{Kind: models.EventReportForwarded, ObjectID: r.ID})
			if err != nil || fr.Attempt != 2 || fr.Reason != "Second try." || fr.Gone {
				t.Errorf("the second Flag: %+v %v, want attempt 2 with the new message", fr, err)
			}
			deliver(queue(r, 2, bo.Inbox))
			want("the second attempt delivered", r.ID, models.ForwardDelivered, 2, false)
		})

		t.Run("dead letter retried by an admin", func(t *testing.T) {
			r := report(2, false)
			j := queue(r, 1, bo.Inbox)
			kill(j, 503, models.ForwardErrorUnreachable) // the last of the retries
			want("dead", r.ID, models.ForwardFailed, 1, true)
			wantWhy("retries exhausted", r.ID, models.ForwardErrorUnreachable)
			if err := f.s.RetryDeadDelivery(ctx, f.admin, j.ID); err != nil {
				t.Fatal(err)
			}
			want("the dead letter retried", r.ID, models.ForwardQueued, 1, false)
			wantWhy("the dead letter retried", r.ID, "")
			jobs, err := f.s.ClaimDeliveries(ctx, "node", 10, time.Minute)
			if err != nil || len(jobs) != 1 {
				t.Fatalf("claim the retried job: %+v %v", jobs, err)
			}
			deliver(&jobs[0])
			want("delivered on the admin's retry", r.ID, models.ForwardDelivered, 1, false)
		})

		t.Run("dropped by the outbox", func(t *testing.T) {
			r := report(3, false)
			queue(r, 1) // no inbox known
			want("dropped", r.ID, models.ForwardFailed, 1, true)
			wantWhy("no inbox", r.ID, models.ForwardErrorNoInbox)
			// The outbox says why it had no inbox: the content gone.
			if err := f.s.ForwardReport(ctx, f.mod, r.ID, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.EnqueueDeliveries(ctx, models.Outgoing{ReportID: r.ID, Dropped: models.ForwardErrorGone}); err != nil {
				t.Fatal(err)
			}
			wantWhy("content gone", r.ID, models.ForwardErrorGone)
		})

		t.Run("domain blocked since", func(t *testing.T) {
			r := report(4, false)
			if _, err := f.s.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: "https://town.example/actor#flags/x", Body: []byte("{}"),
				SignerID: f.mod.Actor.ID, Inboxes: []string{bo.Inbox}, ReportID: r.ID}); err != nil {
				t.Fatal(err)
			}
			// An ordinary delivery there, queued alongside, carries no report.
			if _, err := f.s.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: "https://town.example/a/1", Body: []byte("{}"),
				SignerID: f.mod.Actor.ID, Inboxes: []string{bo.Inbox}}); err != nil {
				t.Fatal(err)
			}
			ds, err := f.s.DeliveriesFor(ctx, "https://town.example/a/1")
			if err != nil || len(ds) != 1 || ds[0].ReportID != 0 {
				t.Errorf("an ordinary delivery: %+v %v, want no report", ds, err)
			}
			if _, err := f.s.BlockDomain(ctx, f.admin, "masto.example", "spam"); err != nil {
				t.Fatal(err)
			}
			// Not offered again while the domain is blocked: it would fail
			// at once.
			want("its domain blocked", r.ID, models.ForwardFailed, 1, false)
			wantWhy("its domain blocked", r.ID, models.ForwardErrorBlocked)
			if err := f.s.ForwardReport(ctx, f.mod, r.ID, ""); !errors.Is(err, models.ErrConflict) {
				t.Errorf("forwarding again to a blocked domain: %v, want a conflict", err)
			}
			// One filed there asking to forward, whose Flag the outbox
			// handles after the block, is dropped at once.
			r2, err := f.s.CreateReport(ctx, f.mod.Actor, models.ReportInput{ObjectType: "comment", ObjectID: theirs.ID, Reason: "rude", Forward: true})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := f.s.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: "https://town.example/actor#flags/y", Body: []byte("{}"),
				SignerID: f.mod.Actor.ID, Inboxes: []string{bo.Inbox}, ReportID: r2.ID}); err != nil || n != 0 {
				t.Fatalf("queued %d jobs to a blocked domain (%v)", n, err)
			}
			want("filed after the block", r2.ID, models.ForwardFailed, 1, false)
			wantWhy("filed after the block", r2.ID, models.ForwardErrorBlocked)
			if err := f.s.UnblockDomain(ctx, f.admin, "masto.example"); err != nil {
				t.Fatal(err)
			}
			want("unblocked", r.ID, models.ForwardFailed, 1, true)

			// A Flag to the domain's host with a port is on the domain too.
			other, err := f.s.CreateRemoteComment(ctx, bo, models.RemoteComment{URI: "https://masto.example/users/bo/statuses/2",
				InReplyToURI: d.URI, ContentHTML: "<p>ruder</p>"})
			if err != nil {
				t.Fatal(err)
			}
			r3, err := f.s.CreateReport(ctx, f.users[4].Actor, models.ReportInput{ObjectType: "comment", ObjectID: other.ID, Reason: "rude", Forward: true})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := f.s.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: "https://town.example/actor#flags/z", Body: []byte("{}"),
				SignerID: f.mod.Actor.ID, Inboxes: []string{"https://masto.example:8443/inbox"}, ReportID: r3.ID}); err != nil || n != 1 {
				t.Fatalf("queued %d jobs (%v), want 1", n, err)
			}
			if _, err := f.s.BlockDomain(ctx, f.admin, "masto.example", "spam again"); err != nil {
				t.Fatal(err)
			}
			wantWhy("a Flag to the domain's host with a port, blocked", r3.ID, models.ForwardErrorBlocked)
			// A block is of that domain only: LIKE's wildcards in it match
			// themselves ("masto_example" is not "masto.example").
			look, err := f.s.UpsertRemoteActor(ctx, &models.Actor{URI: "https://www.axb.example/users/lu", Type: models.ActorPerson,
				Username: "lu", Host: "www.axb.example", Inbox: "https://www.axb.example/users/lu/inbox"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.FollowActor(ctx, f.users[0], look); err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.BlockDomain(ctx, f.admin, "a_b.example", "wildcard"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.FollowBetween(ctx, f.users[0].Actor.ID, look.ID); err != nil {
				t.Errorf("blocking a_b.example dropped a follow of www.axb.example: %v", err)
			}
			if jobs, err := f.s.ClaimDeliveries(ctx, "node", 10, time.Minute); err != nil || len(jobs) != 0 {
				t.Errorf("a job to masto.example:8443 outlived the block: %+v %v", jobs, err)
			}
			if err := f.s.UnblockDomain(ctx, f.admin, "masto.example"); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("content deleted before the Flag left", func(t *testing.T) {
			r, err := f.s.CreateReport(ctx, f.admin.Actor, models.ReportInput{ObjectType: "comment", ObjectID: theirs.ID, Reason: "rude", Forward: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := f.s.DeleteRemoteComment(ctx, bo, theirs.URI); err != nil {
				t.Fatal(err)
			}
			fr, err := f.s.ReportToForward(ctx, models.Event{Kind: models.EventReportCreated, ObjectID: r.ID})
			if err != nil || !fr.Gone || fr.ID != r.ID {
				t.Errorf("ReportToForward of deleted content: %+v %v, want it gone (the forward fails)", fr, err)
			}
		})
	})
}
