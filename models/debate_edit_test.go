package models_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestUpdateDebate: a draft changes whole; an open debate keeps its
// options and rules, and its question once someone voted, but its
// description and closing date change; a closed debate and a member's
// edit are refused; every problem is reported at once; an edit is
// audited and emits its event.
func TestUpdateDebate(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		later := f.now.Add(48 * time.Hour)
		draft := f.debate(t, models.DebateInput{}, false)
		week := f.now.Add(7 * 24 * time.Hour)
		open := f.debate(t, models.DebateInput{ClosesAt: &week}, true)
		voted := f.debate(t, models.DebateInput{}, true)
		if _, err := f.s.CastVote(ctx, f.users[0].Actor, voted.ID, []string{"Red"}); err != nil {
			t.Fatal(err)
		}
		voted, _ = f.s.DebateByID(ctx, voted.ID)
		closed := f.debate(t, models.DebateInput{}, true)
		if _, err := f.s.CloseDebate(ctx, f.mod, closed.ID); err != nil {
			t.Fatal(err)
		}
		edit := func(d *models.Debate, change func(*models.DebateInput)) models.DebateInput {
			in := d.Input()
			change(&in)
			return in
		}
		cases := []struct {
			name   string
			by     *models.Account
			d      *models.Debate
			in     models.DebateInput
			err    error    // wanted sentinel, or nil
			fields []string // wanted validation fields, all at once
		}{
			{"draft: everything", f.mod, draft, edit(draft, func(in *models.DebateInput) {
				in.Question, in.Options, in.Multiple, in.PublicBallot = "Which colour for the trams?", []string{"Yellow", "Grey"}, true, true
				in.ResultsVisibility, in.OpensAt, in.ClosesAt = models.ResultsAfterClose, &later, nil
			}), nil, nil},
			{"open: description, question, closing date", f.mod, open, edit(open, func(in *models.DebateInput) {
				in.Question, in.Description, in.ClosesAt = "Which colour for the new bikes?", "Clarified.", &later
			}), nil, nil},
			{"open: options and rules fixed, all reported", f.mod, open, edit(open, func(in *models.DebateInput) {
				in.Options, in.Multiple, in.PublicBallot, in.ResultsVisibility = []string{"Red", "Green"}, true, true, models.ResultsAfterClose
				in.OpensAt = &later
			}), nil, []string{"options", "multiple", "public_ballot", "results_visibility", "opens_at"}},
			{"open: the closing date stays", f.mod, open, edit(open, func(in *models.DebateInput) { in.ClosesAt = nil }), nil, []string{"closes_at"}},
			{"voted: question fixed, with a bad description", f.mod, voted, edit(voted, func(in *models.DebateInput) {
				in.Question, in.Description = "Another question?", string(make([]byte, models.MaxDebateDescription+1))
			}), nil, []string{"question", "description"}},
			{"voted: description", f.mod, voted, edit(voted, func(in *models.DebateInput) { in.Description = "More context." }), nil, nil},
			{"closed", f.mod, closed, closed.Input(), models.ErrClosed, nil},
			{"member", f.users[0], open, open.Input(), models.ErrForbidden, nil},
			{"anonymous", nil, open, open.Input(), models.ErrUnauthorized, nil},
			{"unknown", f.mod, &models.Debate{ID: 9999}, open.Input(), models.ErrNotFound, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := f.s.UpdateDebate(ctx, tc.by, tc.d.ID, tc.in)
				var ve *models.ValidationError
				switch {
				case tc.fields != nil:
					if !errors.As(err, &ve) || !slices.Equal(slices.Sorted(maps.Keys(ve.Fields)), slices.Sorted(slices.Values(tc.fields))) {
						t.Fatalf("got %v, want validation errors on %v", err, tc.fields)
					}
				case tc.err != nil:
					if !errors.Is(err, tc.err) {
						t.Fatalf("got %v, want %v", err, tc.err)
					}
				case err != nil:
					t.Fatal(err)
				default:
					if got.Question != tc.in.Question || got.Description != tc.in.Description || !slices.Equal(got.Options, tc.in.Options) ||
						got.Multiple != tc.in.Multiple || got.PublicBallot != tc.in.PublicBallot || got.ResultsVisibility != tc.in.ResultsVisibility ||
						len(got.Counts) != len(tc.in.Options) || (tc.in.ClosesAt == nil) != (got.ClosesAt == nil) {
						t.Fatalf("stored %+v, want %+v", got, tc.in)
					}
					// A published debate's edit has its event (the Update);
					// a draft's none (nothing was published).
					k := eventKinds(t, f, got.ID)
					if updated := k[len(k)-1] == models.EventDebateUpdated; updated != (tc.d.Current != models.DebateDraft) {
						t.Errorf("events %v after the edit of a %s debate", k, tc.d.Current)
					}
				}
			})
		}
		// A refused edit changed nothing.
		if d, _ := f.s.DebateByID(ctx, voted.ID); d.Question != voted.Question || d.Voters != 1 {
			t.Errorf("a refused edit changed the debate: %+v", d)
		}
		var n int
		if err := f.s.DB.NewSelect().TableExpr("audit_log").ColumnExpr("count(*)").Where("action = 'update_debate'").Scan(ctx, &n); err != nil || n != 3 {
			t.Errorf("%d update_debate audit entries (%v), want 3", n, err)
		}
	})
}

// TestUpdateDebateOpensDraft: a draft edited to an opening date already
// past opens at once, with debate.opened (federation's Create), and no
// debate.updated (nothing published to update).
func TestUpdateDebateOpensDraft(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		draft := f.debate(t, models.DebateInput{}, false)
		in := draft.Input()
		past := f.now.Add(-time.Minute)
		in.OpensAt = &past
		d, err := f.s.UpdateDebate(ctx, f.mod, draft.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if d.Phase != models.DebateOpen || d.Current != models.DebateOpen {
			t.Errorf("phase %s (stored %s), want open", d.Current, d.Phase)
		}
		if k := eventKinds(t, f, d.ID); !slices.Equal(k, []string{models.EventDebateCreated, models.EventDebateOpened}) {
			t.Errorf("events %v, want created then opened", k)
		}
	})
}

// TestUpdateDebateConsultationPhase: a consultation's debates change
// until its synthesis begins, not after: the synthesis is written from
// them as they stand.
func TestUpdateDebateConsultationPhase(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		day := 24 * time.Hour
		c, err := f.s.CreateConsultation(ctx, f.admin, f.space.Name, models.ConsultationInput{Title: "Rethink the square", Summary: "What square?",
			OpensAt: f.now, ContributionAt: f.now.Add(day), SynthesisAt: f.now.Add(10 * day), ClosesAt: f.now.Add(20 * day)})
		if err != nil {
			t.Fatal(err)
		}
		f.now = c.OpensAt.Add(2 * day) // created while it takes contributions
		d := f.debate(t, models.DebateInput{ConsultationID: c.ID}, false)
		for _, tc := range []struct {
			at   time.Duration
			want error
		}{{0, nil}, {2 * day, nil}, {11 * day, models.ErrClosed}, {21 * day, models.ErrClosed}} {
			f.now = c.OpensAt.Add(tc.at)
			in := d.Input()
			in.Description = fmt.Sprint("Day ", tc.at/day)
			if _, err := f.s.UpdateDebate(ctx, f.mod, d.ID, in); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("edit on day %d: %v, want %v", tc.at/day, err, tc.want)
			}
		}
	})
}
