package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestCountUpdateBatching: the count-update queue sends at most one
// Update per object per window, keeps changes made while one is being
// sent, lets a forced (closing) Update through, and survives a node dying
// with a row claimed.
func TestCountUpdateBatching(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	const window = 30 * time.Second
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		claim := func(owner string) []models.CountUpdate {
			t.Helper()
			cus, err := s.ClaimCountUpdates(ctx, owner, 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return cus
		}
		// A first change is due at once.
		if err := s.ScheduleCountUpdate(ctx, "proposal", 1, clock(), window, false); err != nil {
			t.Fatal(err)
		}
		cus := claim("n1")
		if len(cus) != 1 || cus[0].ObjectID != 1 {
			t.Fatalf("claimed %v", cus)
		}
		if again := claim("n2"); len(again) != 0 {
			t.Fatalf("claimed twice: %v", again)
		}
		// A change while it is being sent is kept for one window later.
		advance(time.Second)
		if err := s.ScheduleCountUpdate(ctx, "proposal", 1, clock(), window, false); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishCountUpdate(ctx, cus[0], "n1", nil, window); err != nil {
			t.Fatal(err)
		}
		cu, err := s.CountUpdateOf(ctx, "proposal", 1)
		if err != nil || cu.DueAt == nil || !cu.DueAt.Equal(clock().Add(window)) {
			t.Fatalf("after a change during the send: %+v %v", cu, err)
		}
		// More changes within the window do not bring it forward.
		advance(5 * time.Second)
		if err := s.ScheduleCountUpdate(ctx, "proposal", 1, clock(), window, false); err != nil {
			t.Fatal(err)
		}
		if got := claim("n1"); len(got) != 0 {
			t.Fatalf("claimed inside the window: %v", got)
		}
		// A forced (final) Update is due at once.
		if err := s.ScheduleCountUpdate(ctx, "proposal", 1, clock(), window, true); err != nil {
			t.Fatal(err)
		}
		cus = claim("n1")
		if len(cus) != 1 {
			t.Fatalf("forced update not due: %v", cus)
		}
		// n1 dies; once its lease expires n2 takes the row, and n1's late
		// finish is refused.
		advance(2 * time.Minute)
		taken := claim("n2")
		if len(taken) != 1 {
			t.Fatalf("expired lease not taken: %v", taken)
		}
		if err := s.FinishCountUpdate(ctx, cus[0], "n1", nil, window); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("late finish: %v", err)
		}
		next := clock().Add(time.Hour)
		if err := s.FinishCountUpdate(ctx, taken[0], "n2", &next, window); err != nil {
			t.Fatal(err)
		}
		if cu, _ := s.CountUpdateOf(ctx, "proposal", 1); cu.DueAt == nil || !cu.DueAt.Equal(next) || cu.SentAt == nil {
			t.Fatalf("next due: %+v", cu)
		}
		// Many concurrent schedules of one object make one row.
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for range 50 {
			wg.Go(func() { errs <- s.ScheduleCountUpdate(ctx, "petition", 2, clock(), window, false) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := claim("n3"); len(got) != 1 || got[0].ObjectType != "petition" {
			t.Fatalf("concurrent schedules: %v", got)
		}
	}, models.WithClock(clock))
}

// TestPublicContributions: outbox items, replies and remote participants
// (raw SQL over several tables) on both dialects.
func TestPublicContributions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		sp, err := s.CreateSpace(ctx, nil, models.SpaceInput{Name: "ville", Kind: models.KindCity})
		if err != nil {
			t.Fatal(err)
		}
		acc, err := s.CreateAccount(ctx, models.NewAccount{Username: "alice", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.CreateProposal(ctx, acc.Actor, "ville", models.ProposalInput{Title: "Des bancs", Body: "Oui."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateComment(ctx, acc.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "Et des arbres."}); err != nil {
			t.Fatal(err)
		}
		remote, err := s.UpsertRemoteActor(ctx, &models.Actor{URI: "https://masto.example/users/bo", Type: "Person", Username: "bo",
			Host: "masto.example", Inbox: "https://masto.example/users/bo/inbox", SharedInbox: "https://masto.example/inbox",
			PublicKeyID: "https://masto.example/users/bo#main-key", PublicKeyPEM: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Support(ctx, remote, p.ID); err != nil {
			t.Fatal(err)
		}
		total, refs, err := s.PublicContributions(ctx, acc.Actor.ID, 0, 0, 50)
		if err != nil || total != 2 || len(refs) != 2 {
			t.Fatalf("author's contributions: %d %v %v", total, refs, err)
		}
		total, refs, err = s.PublicContributions(ctx, 0, sp.ID, 0, 50)
		if err != nil || total != 1 || refs[0].Type != models.ObjectTypeProposal || refs[0].ID != p.ID {
			t.Fatalf("space's contributions: %d %v %v", total, refs, err)
		}
		n, uris, err := s.ReplyURIs(ctx, models.ObjectTypeProposal, p.ID, 0, 50)
		if err != nil || n != 1 || len(uris) != 1 {
			t.Fatalf("replies: %d %v %v", n, uris, err)
		}
		inboxes, err := s.ParticipantInboxes(ctx, models.ObjectTypeProposal, p.ID)
		if err != nil || len(inboxes) != 1 || inboxes[0] != "https://masto.example/inbox" {
			t.Fatalf("participants: %v %v", inboxes, err)
		}
	})
}
