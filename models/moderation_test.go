package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

func TestModeration(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		d := f.debate(t, models.DebateInput{}, true)
		kept := f.debate(t, models.DebateInput{Question: "Another question?"}, true)
		ann, bob := f.users[0], f.users[1]
		c, err := f.s.CreateComment(ctx, ann.Actor, models.CommentInput{ObjectType: "debate", ObjectID: kept.ID, Body: "*rude* words"})
		if err != nil {
			t.Fatal(err)
		}
		reply, err := f.s.CreateComment(ctx, bob.Actor, models.CommentInput{ObjectType: "debate", ObjectID: kept.ID, ParentID: c.ID, Body: "answer"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := f.s.CreateComment(ctx, bob.Actor, models.CommentInput{ObjectType: "debate", ObjectID: kept.ID, Body: "fine"})
		if err != nil {
			t.Fatal(err)
		}
		flagger := f.remote(t, "instance", "other.example")

		t.Run("reports", func(t *testing.T) {
			cases := []struct {
				name string
				by   *models.Actor
				in   models.ReportInput
				err  error
			}{
				{"comment", bob.Actor, models.ReportInput{ObjectType: "comment", ObjectID: c.ID, Reason: "insults"}, nil},
				{"debate", ann.Actor, models.ReportInput{ObjectType: "debate", ObjectID: d.ID, Reason: "spam"}, nil},
				{"twice", bob.Actor, models.ReportInput{ObjectType: "comment", ObjectID: c.ID, Reason: "again"}, models.ErrDuplicate},
				{"no reason", ann.Actor, models.ReportInput{ObjectType: "comment", ObjectID: c.ID}, &models.ValidationError{}},
				{"unknown type", ann.Actor, models.ReportInput{ObjectType: "space", ObjectID: 1, Reason: "x"}, &models.ValidationError{}},
				{"unknown object", ann.Actor, models.ReportInput{ObjectType: "comment", ObjectID: 999, Reason: "x"}, models.ErrNotFound},
				{"remote flag without reason", flagger, models.ReportInput{ObjectType: "comment", ObjectID: c.ID, URI: "https://other.example/flag/1"}, nil},
				{"same flag delivered twice", flagger, models.ReportInput{ObjectType: "comment", ObjectID: c.ID, URI: "https://other.example/flag/1"}, nil},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					_, err := f.s.CreateReport(ctx, tc.by, tc.in)
					var ve *models.ValidationError
					switch want := tc.err.(type) {
					case nil:
						if err != nil {
							t.Fatal(err)
						}
					case *models.ValidationError:
						if !errors.As(err, &ve) {
							t.Fatalf("got %v", err)
						}
					default:
						if !errors.Is(err, want) {
							t.Fatalf("got %v, want %v", err, want)
						}
					}
				})
			}
			if _, err := f.s.ListReports(ctx, ann, models.ReportFilter{}); !errors.Is(err, models.ErrForbidden) {
				t.Fatalf("member reads the queue: %v", err)
			}
			list, err := f.s.ListReports(ctx, f.mod, models.ReportFilter{Status: models.ReportOpen})
			if err != nil || len(list) != 3 || list[0].Target == nil || list[0].Target.Label != "rude words" { // the Markdown rendered, as text
				t.Fatalf("%+v %v", list, err)
			}
		})

		t.Run("member cannot hide", func(t *testing.T) {
			if err := f.s.HideObject(ctx, ann, "debate", d.ID, ""); !errors.Is(err, models.ErrForbidden) {
				t.Fatalf("got %v", err)
			}
		})
		if err := f.s.HideObject(ctx, f.mod, "debate", d.ID, "spam"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.HideObject(ctx, f.mod, "comment", c.ID, "insults"); err != nil {
			t.Fatal(err)
		}

		t.Run("hidden debate leaves lists and refuses votes", func(t *testing.T) {
			list, err := f.s.ListDebates(ctx, models.DebateFilter{SpaceID: f.space.ID})
			if err != nil || len(list) != 1 || list[0].ID != kept.ID {
				t.Fatalf("%v %v", list, err)
			}
			list, _ = f.s.ListDebates(ctx, models.DebateFilter{SpaceID: f.space.ID, Moderator: true})
			if len(list) != 2 {
				t.Fatalf("moderator sees %d", len(list))
			}
			if _, err := f.s.CastVote(ctx, ann.Actor, d.ID, []string{"Red"}); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("vote on hidden: %v", err)
			}
			if _, err := f.s.CreateComment(ctx, ann.Actor, models.CommentInput{ObjectType: "debate", ObjectID: d.ID, Body: "x"}); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("comment on hidden: %v", err)
			}
		})
		t.Run("hidden comment leaves the thread with its replies", func(t *testing.T) {
			page, err := f.s.CommentThreads(ctx, models.CommentQuery{ObjectType: "debate", ObjectID: kept.ID})
			if err != nil || len(page.Threads) != 1 || page.Threads[0].ID != other.ID {
				t.Fatalf("%+v %v", page, err)
			}
			if n, _ := f.s.CountComments(ctx, "debate", kept.ID); n != 1 { // other alone: the reply went with c
				t.Fatalf("count %d", n)
			}
			page, _ = f.s.CommentThreads(ctx, models.CommentQuery{ObjectType: "debate", ObjectID: kept.ID, Moderator: true})
			if len(page.Threads) != 2 || !page.Threads[0].Hidden() || len(page.Threads[0].Replies) != 1 || page.Threads[0].Replies[0].ID != reply.ID {
				t.Fatalf("moderator view %+v", page.Threads)
			}
		})
		t.Run("reports on hidden objects are actioned", func(t *testing.T) {
			list, _ := f.s.ListReports(ctx, f.mod, models.ReportFilter{Status: models.ReportOpen})
			if len(list) != 0 {
				t.Fatalf("%d open", len(list))
			}
		})
		t.Run("restore and dismiss", func(t *testing.T) {
			if err := f.s.RestoreObject(ctx, f.mod, "debate", d.ID, "false alarm"); err != nil {
				t.Fatal(err)
			}
			if err := f.s.RestoreObject(ctx, f.mod, "debate", d.ID, ""); !errors.Is(err, models.ErrConflict) {
				t.Fatalf("restore twice: %v", err)
			}
			r, err := f.s.CreateReport(ctx, ann.Actor, models.ReportInput{ObjectType: "comment", ObjectID: other.ID, Reason: "meh"})
			if err != nil {
				t.Fatal(err)
			}
			if err := f.s.DismissReport(ctx, f.mod, r.ID, "fine"); err != nil {
				t.Fatal(err)
			}
			if err := f.s.DismissReport(ctx, f.mod, r.ID, "fine"); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("dismiss twice: %v", err)
			}
			log, err := f.s.AuditPage(ctx, f.mod, 0, 10)
			if err != nil || len(log) < 4 || log[0].Action != "dismiss_report" || log[0].Username != "modo" {
				t.Fatalf("%+v %v", log, err)
			}
		})
	})
}

// TestReportAccount: a local account can be reported (a member's report,
// a remote Flag naming a user); remote actors, spaces and deleted
// accounts cannot. The queue shows the handle and profile, and later
// whether an administrator disabled the account; the report is dismissed
// like any other, and nothing hides an account.
func TestReportAccount(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		ann, bob := f.users[0], f.users[1]
		flagger := f.remote(t, "instance", "other.example")
		gone, err := f.s.CreateAccount(ctx, models.NewAccount{Username: "gone", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeleteAccount(ctx, gone); err != nil {
			t.Fatal(err)
		}
		account := func(id int64) models.ReportInput {
			return models.ReportInput{ObjectType: models.ObjectTypeAccount, ObjectID: id, Reason: "spam in every debate"}
		}
		for _, tc := range []struct {
			name string
			by   *models.Actor
			in   models.ReportInput
			err  error
		}{
			{"member reports a member", ann.Actor, account(bob.Actor.ID), nil},
			{"twice", ann.Actor, account(bob.Actor.ID), models.ErrDuplicate},
			{"remote flag", flagger, models.ReportInput{ObjectType: models.ObjectTypeAccount, ObjectID: bob.Actor.ID, URI: "https://other.example/flag/9"}, nil},
			{"a remote actor", ann.Actor, account(flagger.ID), models.ErrNotFound},
			{"a space", ann.Actor, account(f.space.ActorID), models.ErrNotFound},
			{"a deleted account", ann.Actor, account(gone.Actor.ID), models.ErrNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := f.s.CreateReport(ctx, tc.by, tc.in); !errors.Is(err, tc.err) {
					t.Fatalf("got %v, want %v", err, tc.err)
				}
			})
		}
		list, err := f.s.ListReports(ctx, f.mod, models.ReportFilter{Status: models.ReportOpen})
		if err != nil || len(list) != 2 {
			t.Fatalf("queue: %d reports (%v), want 2", len(list), err)
		}
		for _, r := range list {
			if tg := r.Target; tg == nil || tg.Label != "@"+bob.Username || tg.URL != bob.Actor.URL || tg.Account != bob.Username ||
				tg.Disabled || tg.Gone || tg.Hidden || !tg.MayDisable(f.mod) || tg.MayDisable(ann) || tg.MayDisable(nil) {
				t.Errorf("report %d target %+v, want bob's handle and profile, which moderators may disable", r.ID, tg)
			}
		}
		// Who may disable whom: moderators members, admins anyone but
		// themselves, the operator (nil) anyone.
		invalid := errors.New("invalid")
		decider := f.users[3]
		if err := f.s.SetDecider(ctx, f.admin, decider.Username, true); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			by   *models.Account
			whom string
			err  error
		}{
			{"a member", ann, bob.Username, models.ErrForbidden},
			{"a moderator, an admin", f.mod, f.admin.Username, models.ErrForbidden},
			{"a moderator, a decision-maker", f.mod, decider.Username, models.ErrForbidden},
			{"a moderator, themself", f.mod, f.mod.Username, invalid},
			{"an admin, themself", f.admin, f.admin.Username, invalid},
			{"nobody", f.mod, "nobody", models.ErrNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := f.s.SetDisabled(ctx, tc.by, tc.whom, true, "spam")
				if ve := (*models.ValidationError)(nil); errors.As(err, &ve) {
					err = invalid
				}
				if !errors.Is(err, tc.err) {
					t.Fatalf("got %v, want %v", err, tc.err)
				}
			})
		}
		// A report of ann's comment stays open: only bob's account reports close.
		d := f.debate(t, models.DebateInput{}, true)
		c, err := f.s.CreateComment(ctx, ann.Actor, models.CommentInput{ObjectType: "debate", ObjectID: d.ID, Body: "hello"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.CreateReport(ctx, bob.Actor, models.ReportInput{ObjectType: "comment", ObjectID: c.ID, Reason: "rude"}); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetDisabled(ctx, f.mod, bob.Username, true, "spam in every debate"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetDisabled(ctx, f.mod, bob.Username, true, ""); !errors.Is(err, models.ErrConflict) {
			t.Errorf("disabled twice: %v, want a conflict", err)
		}
		// Disabling closed bob's reports; a new one would stay open with
		// nothing left to do.
		if _, err := f.s.CreateReport(ctx, f.users[2].Actor, account(bob.Actor.ID)); !errors.Is(err, models.ErrConflict) {
			t.Errorf("report of a disabled account: %v, want a conflict", err)
		}
		if _, err := f.s.Authenticate(ctx, bob.Username, "correct horse battery"); err == nil {
			t.Error("bob logs in, disabled")
		}
		open, _ := f.s.ListReports(ctx, f.mod, models.ReportFilter{Status: models.ReportOpen})
		if len(open) != 1 || open[0].ObjectType != "comment" {
			t.Errorf("open reports after disabling bob: %d, want ann's comment's only", len(open))
		}
		list, _ = f.s.ListReports(ctx, f.mod, models.ReportFilter{Status: models.ReportActioned})
		if len(list) != 2 {
			t.Fatalf("actioned: %d reports, want bob's 2", len(list))
		}
		for _, r := range list {
			if r.ResolvedBy != f.mod.ID || r.ResolvedAt == nil || r.Resolution != "spam in every debate" || !r.Target.Disabled {
				t.Errorf("report %d: resolved by %d at %v, %q, target %+v", r.ID, r.ResolvedBy, r.ResolvedAt, r.Resolution, r.Target)
			}
		}
		audit, _ := f.s.AuditLog(ctx, 1)
		if len(audit) != 1 || audit[0].Action != "set_disabled:true" || audit[0].Detail != "spam in every debate" || audit[0].AccountID == nil || *audit[0].AccountID != f.mod.ID {
			t.Errorf("audit %+v", audit)
		}
		if err := f.s.SetDisabled(ctx, f.mod, bob.Username, false, ""); err != nil {
			t.Fatal(err)
		}
		if list, _ := f.s.ListReports(ctx, f.mod, models.ReportFilter{Status: models.ReportActioned}); len(list) != 2 {
			t.Errorf("re-enabling reopened reports: %d actioned", len(list))
		}
		if err := f.s.HideObject(ctx, f.mod, models.ObjectTypeAccount, bob.Actor.ID, "spam"); err == nil {
			t.Error("an account was hidden like content")
		}
		if err := f.s.DismissReport(ctx, f.mod, open[0].ID, "not rude"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestReEnableByDisabler: a moderator re-enables the members a moderator
// disabled, never those an administrator or the operator (by nil) did;
// administrators and the operator re-enable anyone. The queue offers a
// moderator no "re-enable" for an account an administrator disabled.
func TestReEnableByDisabler(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		mk := func(name, role string) *models.Account {
			acc, err := f.s.CreateAccount(ctx, models.NewAccount{Username: name, Password: "correct horse battery", Role: role})
			if err != nil {
				t.Fatal(err)
			}
			return acc
		}
		other := mk("modeste", models.RoleModerator)
		for i, tc := range []struct {
			name         string
			disabler, by *models.Account
			err          error
		}{
			{"moderator after moderator", f.mod, f.mod, nil},
			{"another moderator after moderator", f.mod, other, nil},
			{"moderator after admin", f.admin, f.mod, models.ErrForbidden},
			{"moderator after operator", nil, f.mod, models.ErrForbidden},
			{"admin after admin", f.admin, f.admin, nil},
			{"admin after moderator", f.mod, f.admin, nil},
			{"operator after admin", f.admin, nil, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				whom := mk(fmt.Sprintf("member%d", i), models.RoleMember)
				if _, err := f.s.CreateReport(ctx, f.users[0].Actor,
					models.ReportInput{ObjectType: models.ObjectTypeAccount, ObjectID: whom.Actor.ID, Reason: "spam"}); err != nil {
					t.Fatal(err)
				}
				if err := f.s.SetDisabled(ctx, tc.disabler, whom.Username, true, "spam"); err != nil {
					t.Fatal(err)
				}
				reports, err := f.s.ListReports(ctx, f.admin, models.ReportFilter{Status: models.ReportActioned})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range reports {
					if r.Target.Account == whom.Username && tc.by != nil && r.Target.MayDisable(tc.by) != (tc.err == nil) {
						t.Errorf("the queue offers %s to re-enable: %t, want %t", tc.by.Username, !(tc.err == nil), tc.err == nil)
					}
				}
				err = f.s.SetDisabled(ctx, tc.by, whom.Username, false, "")
				if !errors.Is(err, tc.err) {
					t.Fatalf("re-enable: %v, want %v", err, tc.err)
				}
				if err != nil {
					if !strings.Contains(err.Error(), "only an administrator can re-enable") {
						t.Errorf("unclear refusal: %v", err)
					}
					if err := f.s.SetDisabled(ctx, f.admin, whom.Username, false, ""); err != nil {
						t.Fatalf("admin re-enables: %v", err)
					}
				}
				// Re-enabled: a moderator's new disabling is theirs to undo.
				if err := f.s.SetDisabled(ctx, f.mod, whom.Username, true, ""); err != nil {
					t.Fatal(err)
				}
				if err := f.s.SetDisabled(ctx, f.mod, whom.Username, false, ""); err != nil {
					t.Fatalf("moderator undoes their own disabling after a re-enable: %v", err)
				}
			})
		}
	})
}
