package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestErasureRacesParticipation: a support, signature or ballot racing
// its author's erasure is either refused or withdrawn by it; none of an
// erased account stays in an open item.
func TestErasureRacesParticipation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		p := c.proposal(t, c.members[0], "Des vélos")
		pe := c.petition(t, c.members[0], 1000, nil)
		d, err := s.CreateDebate(ctx, c.mod, c.space, models.DebateInput{Question: "Which colour?", Options: []string{"Red", "Green"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.OpenDebate(ctx, c.mod, d.ID); err != nil {
			t.Fatal(err)
		}
		// A request that read its account before the erasure votes after it.
		stale := mustAccount(t, s, "stale", models.RoleMember)
		if err := s.DeleteAccount(ctx, stale); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CastVote(ctx, stale.Actor, d.ID, []string{"Red"}); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("a vote by an erased account (read before its erasure): %v, want ErrForbidden", err)
		}
		var left [3]int64
		for i := range 20 {
			u := mustAccount(t, s, fmt.Sprintf("u%d", i), models.RoleMember)
			start := make(chan struct{})
			var wg sync.WaitGroup
			var delErr error
			wg.Go(func() { <-start; s.Support(ctx, u.Actor, p.ID) })                   //nolint:errcheck // refused or not
			wg.Go(func() { <-start; s.Sign(ctx, u.Actor, pe.ID, true) })               //nolint:errcheck // refused or not
			wg.Go(func() { <-start; s.CastVote(ctx, u.Actor, d.ID, []string{"Red"}) }) //nolint:errcheck // refused or not
			wg.Go(func() { <-start; delErr = s.DeleteAccount(ctx, u) })
			close(start)
			wg.Wait()
			if delErr != nil {
				t.Fatal(delErr)
			}
			for k, tb := range []string{"supports", "signatures", "debate_ballots"} {
				n, err := s.DB.NewSelect().TableExpr(tb).Where("actor_id = ?", u.Actor.ID).Count(ctx)
				if err != nil {
					t.Fatal(err)
				}
				left[k] += n
			}
		}
		if left[0]+left[1]+left[2] > 0 {
			t.Errorf("after 20 erasures racing participation: %d supports, %d signatures, %d ballots of erased accounts remain", left[0], left[1], left[2])
		}
		if r, err := s.Results(ctx, d.ID); err != nil || r.Voters != 0 {
			t.Errorf("the debate counts %d voters, want 0 (%v)", r.Voters, err)
		}
	})
}

// TestErasureRacesWithdrawal: an erasure while its member withdraws a
// support or signature does not fail.
func TestErasureRacesWithdrawal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		p := c.proposal(t, c.members[0], "Des vélos")
		pe := c.petition(t, c.members[0], 1000, nil)
		for i := range 20 {
			u := mustAccount(t, s, fmt.Sprintf("w%d", i), models.RoleMember)
			if _, err := s.Support(ctx, u.Actor, p.ID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Sign(ctx, u.Actor, pe.ID, false); err != nil {
				t.Fatal(err)
			}
			start := make(chan struct{})
			var wg sync.WaitGroup
			var delErr error
			wg.Go(func() { <-start; s.Unsupport(ctx, u.Actor, p.ID) }) //nolint:errcheck // may lose the race
			wg.Go(func() { <-start; s.Unsign(ctx, u.Actor, pe.ID) })   //nolint:errcheck // may lose the race
			wg.Go(func() { <-start; delErr = s.DeleteAccount(ctx, u) })
			close(start)
			wg.Wait()
			if delErr != nil {
				t.Fatalf("round %d: the erasure failed: %v", i, delErr)
			}
		}
		if got, _ := s.ProposalByID(ctx, p.ID); got.SupportsCount != 0 {
			t.Errorf("supports: %d, want 0", got.SupportsCount)
		}
	})
}

// TestHideRacesParticipation (PostgreSQL): a support, signature or vote
// waiting on the row a moderator is hiding is refused once the hide
// commits, as debates already were.
func TestHideRacesParticipation(t *testing.T) {
	s := dbtest.Open(t, "postgres")
	ctx := context.Background()
	c := newCivic(t, s, models.PolicyOpen, 0)
	waitLocked := func(n int) {
		t.Helper()
		for range 500 {
			var k int
			if err := s.DB.NewRaw("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(ctx, &k); err != nil {
				t.Fatal(err)
			}
			if k >= n {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("never %d waiters", n)
	}
	for _, kind := range []string{models.ObjectTypeProposal, models.ObjectTypePetition, models.ObjectTypeDebate} {
		var id int64
		var act func() error
		voter := c.members[1].Actor
		switch kind {
		case models.ObjectTypeProposal:
			id = c.proposal(t, c.members[0], "Des vélos").ID
			act = func() error { _, err := s.Support(ctx, voter, id); return err }
		case models.ObjectTypePetition:
			id = c.petition(t, c.members[0], 100, nil).ID
			act = func() error { _, _, err := s.Sign(ctx, voter, id, true); return err }
		default:
			d, err := s.CreateDebate(ctx, c.mod, c.space, models.DebateInput{Question: "Which colour?", Options: []string{"Red", "Green"}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.OpenDebate(ctx, c.mod, d.ID); err != nil {
				t.Fatal(err)
			}
			id = d.ID
			act = func() error { _, err := s.CastVote(ctx, voter, id, []string{"Red"}); return err }
		}
		// The hide stops on its audit insert, after its UPDATE of the row;
		// the participation then waits on the row.
		hold, err := s.DB.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hold.ExecContext(ctx, "LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		hidden, acted := make(chan error, 1), make(chan error, 1)
		go func() { hidden <- s.HideObject(ctx, c.mod, kind, id, "spam") }()
		waitLocked(1)
		go func() { acted <- act() }()
		waitLocked(2)
		hold.Rollback() //nolint:errcheck // releases the hide
		if herr, aerr := <-hidden, <-acted; herr != nil || !errors.Is(aerr, models.ErrNotFound) {
			t.Errorf("%s: hide → %v; participation racing it → %v, want not found", kind, herr, aerr)
		}
	}
}
