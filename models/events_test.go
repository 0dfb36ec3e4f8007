package models_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestPurgeEvents: processed events go after keep; pending ones stay
// whatever their age (the outbox has not done their work), recent ones
// stay, and a proposal's answers stay as the history later answers read.
func TestPurgeEvents(t *testing.T) {
	var mu sync.Mutex
	now := time.Now().UTC()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		old := now.Add(-10 * 24 * time.Hour)
		evs := []models.Event{
			{Kind: "vote.cast", ProcessedAt: &old},                  // purged
			{Kind: "vote.cast"},                                     // pending: stays
			{Kind: models.EventProposalAnswered, ProcessedAt: &old}, // history: stays
			{Kind: "vote.cast", ProcessedAt: &now},                  // recent: stays
		}
		for range 2500 { // more than a batch
			evs = append(evs, models.Event{Kind: "support.added", ProcessedAt: &old})
		}
		for i := range evs {
			evs[i].ObjectType, evs[i].ObjectID, evs[i].CreatedAt = "proposal", 1, old
		}
		if _, err := s.DB.NewInsert().Model(&evs).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := s.PurgeEvents(ctx, 7*24*time.Hour)
		if err != nil || n != 2501 {
			t.Fatalf("purged %d (%v), want 2501", n, err)
		}
		var kinds []string
		if err := s.DB.NewSelect().Model((*models.Event)(nil)).Column("kind").Order("id").Scan(ctx, &kinds); err != nil {
			t.Fatal(err)
		}
		if want := []string{"vote.cast", models.EventProposalAnswered, "vote.cast"}; len(kinds) != 3 || kinds[0] != want[0] || kinds[1] != want[1] || kinds[2] != want[2] {
			t.Errorf("left %q, want %q", kinds, want)
		}
	}, models.WithClock(clock))
}

// TestProposalAnswersPlan (SQLite): a proposal's answers with a text are
// read from the answers' partial index, not by scanning every event.
func TestProposalAnswersPlan(t *testing.T) {
	s := dbtest.Open(t, "sqlite")
	ctx := context.Background()
	for i, data := range []string{"{}", `{"answer_html":"<p>Oui</p>"}`, `{"answer_html":"<p>Non</p>"}`} {
		ev := &models.Event{Kind: models.EventProposalAnswered, ObjectType: "proposal", ObjectID: 7, Data: data, CreatedAt: time.Now()}
		if _, err := s.DB.NewInsert().Model(ev).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.NewInsert().Model(&models.Event{Kind: "vote.cast", ObjectType: "debate", ObjectID: int64(i), Data: "{}", CreatedAt: time.Now()}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var answers []models.Event
	plan := queryPlans(t, s, "proposal.answered", func() {
		var err error
		if answers, err = s.ProposalAnswers(ctx, 7); err != nil {
			t.Fatal(err)
		}
	})[0]
	if len(answers) == 0 || models.AnswerTextOf(answers[0]) != "<p>Oui</p>" || !strings.Contains(plan, "events_answers") {
		t.Errorf("answers %+v, plan:\n%s", answers, plan)
	}
}

// TestProposalAnswers: the answer events of a proposal that carried a
// text, oldest first, with when the outbox handled each (nil while
// pending): what tells whether an answer went out before its answerer's
// erasure.
func TestProposalAnswers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		done := time.Now().UTC().Truncate(time.Millisecond)
		for _, ev := range []models.Event{
			{Data: "{}", ProcessedAt: &done},
			{Data: `{"answer_html":"<p>Oui</p>"}`, ProcessedAt: &done},
			{Data: `{"answer_html":"<p>Non</p>"}`},
		} {
			ev.Kind, ev.ObjectType, ev.ObjectID, ev.CreatedAt = models.EventProposalAnswered, "proposal", 7, done
			if _, err := s.DB.NewInsert().Model(&ev).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ProposalAnswers(ctx, 7)
		if err != nil || len(got) != 2 || models.AnswerTextOf(got[0]) != "<p>Oui</p>" || models.AnswerTextOf(got[1]) != "<p>Non</p>" ||
			got[0].ProcessedAt == nil || !got[0].ProcessedAt.Equal(done) || got[1].ProcessedAt != nil || got[0].ID >= got[1].ID {
			t.Fatalf("answers %+v (%v), want Oui handled at %v, then Non pending", got, err, done)
		}
		if other, err := s.ProposalAnswers(ctx, 8); err != nil || len(other) != 0 {
			t.Errorf("answers of another proposal: %+v (%v)", other, err)
		}
	})
}
