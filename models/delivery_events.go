package models

import (
	"context"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// ClaimEvents leases up to n unprocessed outbox events to owner until
// now+lease, oldest first. Several nodes may consume the events table: on
// PostgreSQL rows another node is claiming are skipped (FOR UPDATE SKIP
// LOCKED), and a lease that expires (the node died) frees the event for
// another node. The claim columns were added by the federation migration.
func (s *Store) ClaimEvents(ctx context.Context, owner string, n int, lease time.Duration) ([]Event, error) {
	now := s.Now()
	sub := s.DB.NewSelect().Model((*Event)(nil)).Column("id").Where("processed_at IS NULL").
		Where("(claimed_until IS NULL OR claimed_until < ?)", now).Order("id").Limit(int64(n))
	if s.Dialect == Postgres {
		sub = sub.For("UPDATE SKIP LOCKED")
	}
	var out []Event
	err := s.DB.NewUpdate().Model(&out).Set("claimed_by = ?", owner).Set("claimed_until = ?", now.Add(lease)).
		Where("id IN (?)", sub).
		Returning("id, kind, object_type, object_id, actor_id, space_id, data, created_at, processed_at").Scan(ctx)
	if err != nil {
		return nil, dbErr("claim events", err)
	}
	sortEvents(out)
	return out, nil
}

// FinishEvent enqueues the deliveries an event produced and marks it
// processed, in one transaction and only while owner holds the claim, so
// an event's activities are queued exactly once even if two nodes race
// after a lease expiry.
func (s *Store) FinishEvent(ctx context.Context, id int64, owner string, out ...Outgoing) error {
	n, err := s.FinishEvents(ctx, owner, FinishedEvent{ID: id, Out: out})
	if err == nil && n == 0 {
		return ErrConflict
	}
	return err
}

// FinishedEvent is one handled event and the deliveries it produced.
type FinishedEvent struct {
	ID  int64
	Out []Outgoing
}

// FinishEvents is FinishEvent for a batch, in one transaction: events
// whose claim owner no longer holds are left (and their deliveries not
// queued); it returns how many were finished. A burst of votes is a
// batch of events with no deliveries, so this is one write for the
// batch instead of one per event.
func (s *Store) FinishEvents(ctx context.Context, owner string, evs ...FinishedEvent) (int, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	ids := make([]int64, len(evs))
	for i, ev := range evs {
		ids[i] = ev.ID
	}
	var n int
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var done []int64
		if err := tx.NewUpdate().Model((*Event)(nil)).Set("processed_at = ?", s.Now()).
			Where("id IN (?) AND claimed_by = ? AND processed_at IS NULL", bun.In(ids), owner).
			Returning("id").Scan(ctx, &done); err != nil {
			return dbErr("finish events", err)
		}
		n = len(done)
		var out []Outgoing
		for _, ev := range evs {
			if slices.Contains(done, ev.ID) {
				out = append(out, ev.Out...)
			}
		}
		_, err := s.EnqueueDeliveriesTx(ctx, tx, out...)
		return err
	})
	return n, err
}

func sortEvents(evs []Event) {
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].ID < evs[j-1].ID; j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}
