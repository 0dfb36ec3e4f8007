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

// TestProposalAnswersPlan (SQLite): a proposal's first answer with text
// is read from the answers' partial index, not by scanning every event.
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
	var first *models.Event
	plan := queryPlans(t, s, "proposal.answered", func() {
		var err error
		if first, err = s.FirstProposalAnswer(ctx, 7); err != nil {
			t.Fatal(err)
		}
	})[0]
	if first == nil || models.AnswerTextOf(*first) != "<p>Oui</p>" || !strings.Contains(plan, "events_answers") {
		t.Errorf("first answer %+v, plan:\n%s", first, plan)
	}
}
