package models_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestForwardReport: a moderator forwards later a report of another
// server's content the reporter did not ask to forward; members cannot,
// local content, accounts and reports already forwarded (by the reporter
// or a moderator) are refused with the reason. The forward is recorded
// (who, when), audited, and emits report.forwarded once, the one event
// that makes federation send it (models.ReportToForward). Moderators are
// the instance's: there is no space moderator to refuse.
func TestForwardReport(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		ann, bob := f.users[0], f.users[1]
		d := f.debate(t, models.DebateInput{}, true)
		local, err := f.s.CreateComment(ctx, ann.Actor, models.CommentInput{ObjectType: "debate", ObjectID: d.ID, Body: "mine"})
		if err != nil {
			t.Fatal(err)
		}
		bo := f.remote(t, "bo", "masto.example")
		theirs, err := f.s.CreateRemoteComment(ctx, bo, models.RemoteComment{URI: "https://masto.example/users/bo/statuses/1",
			InReplyToURI: d.URI, ContentHTML: "<p>rude</p>"})
		if err != nil {
			t.Fatal(err)
		}
		report := func(by *models.Account, in models.ReportInput) *models.Report {
			t.Helper()
			in.Reason = "rude"
			r, err := f.s.CreateReport(ctx, by.Actor, in)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		later := report(bob, models.ReportInput{ObjectType: "comment", ObjectID: theirs.ID})
		asked := report(ann, models.ReportInput{ObjectType: "comment", ObjectID: theirs.ID, Forward: true})
		ours := report(bob, models.ReportInput{ObjectType: "comment", ObjectID: local.ID, Forward: true})
		account := report(ann, models.ReportInput{ObjectType: models.ObjectTypeAccount, ObjectID: bob.Actor.ID})
		if asked.ForwardedAt == nil || !asked.ForwardedAt.Equal(f.now) || later.ForwardedAt != nil || ours.ForwardedAt != nil {
			t.Fatalf("forwarded at filing: asked %v, not asked %v, local %v", asked.ForwardedAt, later.ForwardedAt, ours.ForwardedAt)
		}
		f.tick(time.Hour)

		for _, c := range []struct {
			name string
			by   *models.Account
			id   int64
			err  error
		}{
			{"by a member", ann, later.ID, models.ErrForbidden},
			{"signed out", nil, later.ID, models.ErrForbidden},
			{"local content", f.mod, ours.ID, models.ErrConflict},
			{"an account", f.mod, account.ID, models.ErrConflict},
			{"asked by the reporter", f.mod, asked.ID, models.ErrConflict},
			{"no such report", f.mod, 9999, models.ErrNotFound},
			{"message too long", f.mod, later.ID, &models.ValidationError{}},
			{"later", f.mod, later.ID, nil},
			{"twice", f.admin, later.ID, models.ErrConflict},
		} {
			t.Run(c.name, func(t *testing.T) {
				comment := ""
				if ve, ok := c.err.(*models.ValidationError); ok {
					comment = strings.Repeat("x", models.MaxReportReason+1)
					if err := f.s.ForwardReport(ctx, c.by, c.id, comment); !errors.As(err, &ve) {
						t.Fatalf("ForwardReport with a long message: %v, want a validation error", err)
					}
					return
				}
				if err := f.s.ForwardReport(ctx, c.by, c.id, comment); !errors.Is(err, c.err) || (err == nil) != (c.err == nil) {
					t.Fatalf("ForwardReport: %v, want %v", err, c.err)
				}
			})
		}

		list, err := f.s.ListReports(ctx, f.mod, models.ReportFilter{})
		if err != nil {
			t.Fatal(err)
		}
		byID := map[int64]*models.Report{}
		for _, r := range list {
			byID[r.ID] = r
		}
		got := byID[later.ID]
		if got.ForwardedAt == nil || !got.ForwardedAt.Equal(f.now) || got.ForwardedBy != f.mod.ID || got.Forwarder == nil ||
			got.Forwarder.Username != "modo" || got.Forward || got.Target.Origin != "masto.example" || got.MayForward() {
			t.Errorf("the report forwarded later: %+v (forwarder %+v, target %+v)", got, got.Forwarder, got.Target)
		}
		if r := byID[asked.ID]; r.ForwardedAt == nil || r.ForwardedBy != 0 || r.Forwarder != nil || !r.Forward || r.MayForward() {
			t.Errorf("the report the reporter asked to forward: %+v", r)
		}
		if r := byID[ours.ID]; r.ForwardedAt != nil || r.Forward || r.Target.Origin != "" || r.MayForward() {
			t.Errorf("the report of local content: %+v (target %+v)", r, r.Target)
		}

		// One report.forwarded event, for the report forwarded later; each
		// event makes federation send only the report it decided.
		evs, err := f.s.PendingEvents(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range evs {
			if ev.Kind == models.EventReportForwarded {
				n++
				if ev.ObjectID != later.ID || ev.ActorID != f.mod.Actor.ID {
					t.Errorf("report.forwarded %+v, want report %d by the moderator", ev, later.ID)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d report.forwarded events, want 1", n)
		}
		for _, c := range []struct {
			kind   string
			id     int64
			send   bool
			reason string // sent: the reporter's when they asked, the moderator's message otherwise
		}{
			{models.EventReportForwarded, later.ID, true, ""},
			{models.EventReportCreated, later.ID, false, ""}, // filed without asking: its own event sends nothing
			{models.EventReportCreated, asked.ID, true, "rude"},
			{models.EventReportForwarded, asked.ID, false, ""},
			{models.EventReportCreated, ours.ID, false, ""},
		} {
			fr, err := f.s.ReportToForward(ctx, models.Event{Kind: c.kind, ObjectID: c.id})
			if (err == nil) != c.send || (err != nil && !errors.Is(err, models.ErrNotFound)) {
				t.Errorf("ReportToForward(%s, %d): %v, want sent %v", c.kind, c.id, err, c.send)
			}
			if err == nil && (fr.ObjectURI != theirs.URI || fr.Author.ID != bo.ID || fr.Reason != c.reason) {
				t.Errorf("ReportToForward(%s, %d) = %+v", c.kind, c.id, fr)
			}
		}

		entries, err := f.s.AuditLog(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if e := entries[0]; e.Action != "forward_report" || e.TargetID != strconv.FormatInt(later.ID, 10) || e.Detail != "masto.example" ||
			e.AccountID == nil || *e.AccountID != f.mod.ID {
			t.Errorf("audit entry %+v, want forward_report of %d to masto.example by the moderator", e, later.ID)
		}
	})
}
