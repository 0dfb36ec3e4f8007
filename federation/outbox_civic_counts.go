package federation

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// Batched count Updates. Supports, signatures and votes change counts
// often; peers get at most one Update{Note|Question} per object per
// CountUpdateDelay (30 s), carrying the counts at send time and a newer
// `updated` (FEP-9967), and always a final one when a debate closes or a
// petition is answered or reaches its deadline.
//
// It is durable: event handlers only record "object X needs an Update,
// due at T" in civic_count_updates (models.ScheduleCountUpdate); this
// worker claims due rows with a lease (several nodes may run it), builds
// the Update from the object as it is then, and queues its deliveries and
// the next due time in one transaction (models.FinishCountUpdate). A
// restart loses nothing: a claimed row whose node died is taken again when
// its lease expires.

func init() {
	extraWorkers = append(extraWorkers, func(s *Service) func(ctx context.Context) { return s.runCountUpdates })
}

// countUpdateBatch is how many due rows one pass claims.
const countUpdateBatch = 16

// runCountUpdates sends due count Updates until ctx ends, polling at the
// service's poll interval.
func (s *Service) runCountUpdates(ctx context.Context) {
	for {
		n, err := s.countUpdatesPass(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "count updates", "err", err)
		}
		if ctx.Err() != nil {
			return
		}
		if n == 0 {
			t := time.NewTimer(s.opts.PollInterval)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

// countUpdatesPass sends the due count Updates it can claim and returns
// how many rows it handled.
func (s *Service) countUpdatesPass(ctx context.Context) (int, error) {
	due, err := s.store.ClaimCountUpdates(ctx, s.owner, countUpdateBatch, s.opts.Lease)
	if err != nil {
		return 0, err
	}
	for _, cu := range due {
		out, next, err := s.countUpdate(ctx, cu)
		var gone *Gone
		switch {
		case errors.As(err, &gone), errors.Is(err, models.ErrNotFound):
			out, next = nil, nil // hidden, deleted or a draft: nothing to tell
		case err != nil:
			// Leave it claimed: the lease expires and it is tried again.
			s.log.WarnContext(ctx, "count update failed", "object_type", cu.ObjectType, "object_id", cu.ObjectID, "err", err)
			continue
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = s.store.FinishCountUpdate(fctx, cu, s.owner, next, CountUpdateDelay, out...)
		cancel()
		if err != nil && !errors.Is(err, models.ErrConflict) {
			return len(due), err
		}
	}
	if len(due) > 0 {
		s.wakeDeliveries()
	}
	return len(due), nil
}

// countUpdate builds the Update of one object's counts, sent by its
// author (Mastodon applies an Update only from the object's owner) to
// the followers of the author and the space and to the remote
// participants, and announced by the space. next is when another Update
// is due regardless of activity (a petition's deadline), or nil.
func (s *Service) countUpdate(ctx context.Context, cu models.CountUpdate) ([]models.Outgoing, *time.Time, error) {
	id := strconv.FormatInt(cu.ObjectID, 10)
	inboxes, err := s.store.ParticipantInboxes(ctx, cu.ObjectType, cu.ObjectID)
	if err != nil {
		return nil, nil, err
	}
	switch cu.ObjectType {
	case models.ObjectTypeProposal:
		p, err := s.localProposal(ctx, id, "Note")
		if err != nil {
			return nil, nil, err
		}
		n, err := s.proposalDoc(ctx, p)
		if err != nil {
			return nil, nil, err
		}
		out, err := s.publishUpdate(ctx, objectSigner(p.Author, p.Space), p.Space, n, inboxes...)
		return out, nil, err
	case models.ObjectTypePetition:
		p, err := s.localPetition(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		now := s.store.Now()
		var next *time.Time
		if p.ClosesAt != nil && p.ClosesAt.After(now) && p.State(now) == models.PetitionOpen {
			next = p.ClosesAt
		}
		q, err := s.petitionDoc(ctx, p)
		if err != nil {
			return nil, nil, err
		}
		if p.State(now) == models.PetitionOpen {
			if next, err = s.pollPhaseDue(ctx, p.ConsultationID, next); err != nil {
				return nil, nil, err
			}
		}
		out, err := s.publishUpdate(ctx, objectSigner(p.Author, p.Space), p.Space, q, inboxes...)
		return out, next, err
	case models.ObjectTypeDebate:
		d, sp, err := s.localDebate(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		q, err := s.debateDoc(ctx, d, sp)
		if err != nil {
			return nil, nil, err
		}
		var next *time.Time
		if d.IsOpen() {
			if next, err = s.pollPhaseDue(ctx, d.ConsultationID, nil); err != nil {
				return nil, nil, err
			}
		}
		out, err := s.publishUpdate(ctx, objectSigner(d.Author, sp), sp, q, inboxes...)
		return out, next, err
	}
	return nil, nil, models.ErrNotFound
}
