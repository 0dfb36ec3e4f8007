package federation

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// Polls of a consultation. A debate or petition attached to a consultation
// takes votes and signatures only during its contribution phase, and its
// Question follows that phase (inConsultation):
//
//   - before it (upcoming or information phase, e.g. once moderators moved
//     it later), no poll: the options go as odn:oneOf/odn:anyOf, not
//     oneOf/anyOf, so Mastodon shows a post saying when voting opens
//     instead of an open poll whose votes odn refuses (pollOpensAt);
//   - during it, the poll, with endTime = the end of that phase when that
//     comes before the object's own close;
//   - after it, closed at that end (pollEndsBy).
//
// Peers hear of each change through the batched count Updates
// (outbox_civic_counts.go), durable and leased, one row per object:
//
//   - when a debate is published or a petition created, an Update is due
//     at the next of those two boundaries still to come (pollPhaseDue):
//     the one that opens the poll, then the final one, carrying closed;
//   - each count Update of an open poll keeps the next one due then, so
//     a restart, or a count Update sent meanwhile, loses neither;
//   - when moderators change the consultation's dates, or withdraw it,
//     every open poll of the consultation gets an Update now, whose next
//     one is due at the new boundary.
//
// This file's init chains onto kinds outbox_civic.go registers, so it must
// sort after it (Go runs a package's init functions in file name order).

func init() {
	chainEvent(models.EventDebateCreated, schedulePollEnd(models.ObjectTypeDebate))
	chainEvent(models.EventDebateOpened, schedulePollEnd(models.ObjectTypeDebate))
	chainEvent(models.EventPetitionCreated, schedulePollEnd(models.ObjectTypePetition))
	chainEvent(models.EventConsultationUpdated, consultationPollsChanged)
	chainEvent(models.EventConsultationDeleted, consultationPollsChanged)
}

// pollPhaseDue is when the next Update of an open poll of consultationID
// is due: at the next boundary of the consultation's voting still to
// come — the start of its contribution phase (the poll opens), else its
// end (the poll closes) — when that is sooner than next (nil: none),
// else next.
func (s *Service) pollPhaseDue(ctx context.Context, consultationID int64, next *time.Time) (*time.Time, error) {
	if consultationID == 0 {
		return next, nil
	}
	c, err := s.store.ConsultationRecord(ctx, consultationID)
	if err != nil {
		return next, err
	}
	now := s.store.Now()
	for _, at := range []*time.Time{c.AllowedFrom(models.ActionVote), c.AllowedUntil(models.ActionVote)} {
		if at != nil && at.After(now) {
			if next == nil || at.Before(*next) {
				return at, nil
			}
			return next, nil
		}
	}
	return next, nil
}

// schedulePollEnd makes the next Update of a new poll of a consultation
// due when the consultation starts or stops taking votes (pollPhaseDue).
func schedulePollEnd(kind string) EventFunc {
	return func(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
		var consultationID int64
		switch kind {
		case models.ObjectTypeDebate:
			d, _, err := s.localDebate(ctx, evID(ev))
			if err != nil {
				return nil, skipGone(ignoreNotFound(err)) // a draft: scheduled when it opens
			}
			consultationID = d.ConsultationID
		default:
			p, err := s.localPetition(ctx, evID(ev))
			if err != nil {
				return nil, skipGone(ignoreNotFound(err))
			}
			consultationID = p.ConsultationID
		}
		due, err := s.pollPhaseDue(ctx, consultationID, nil)
		if err != nil || due == nil {
			return nil, err
		}
		return nil, s.store.ScheduleCountUpdate(ctx, kind, ev.ObjectID, *due, CountUpdateDelay, true)
	}
}

// consultationPollsChanged: the consultation's dates changed, or it was
// withdrawn (it then refuses every vote): each of its open polls gets an
// Update now with its new endTime (what Mastodon reads), and the
// consultation itself an Update with its phases, which odn peers apply to
// all their copies of its items.
func consultationPollsChanged(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	if ev.Kind == models.EventConsultationUpdated {
		var data struct {
			DatesChanged bool `json:"dates_changed"`
		}
		_ = json.Unmarshal([]byte(ev.Data), &data) // absent or malformed: no date change
		if !data.DatesChanged {
			return nil, nil
		}
	}
	polls, err := s.store.ConsultationPolls(ctx, ev.ObjectID)
	if err != nil {
		return nil, err
	}
	now := s.store.Now()
	for _, p := range polls {
		if err := s.store.ScheduleCountUpdate(ctx, p.Type, p.ID, now, CountUpdateDelay, true); err != nil {
			return nil, err
		}
	}
	return s.consultationUpdate(ctx, ev.ObjectID)
}

// consultationUpdate is the space's Update of the consultation itself,
// with its new phases or its withdrawal: odn peers holding copies of its
// items fetch the consultation from its id and apply it to all of them at
// once (federation/consultation_in.go) — one activity for a consultation
// of a thousand proposals. Its object carries the consultation's own
// version, as its document does: a peer that already fetched that
// version (a copy named it) does not fetch it again. It goes to the space's followers and to the
// instances that may hold copies besides (models.ConsultationAudience:
// remote participants, remote followers of the items' authors).
func (s *Service) consultationUpdate(ctx context.Context, consultationID int64) ([]models.Outgoing, error) {
	c, err := s.store.ConsultationRecord(ctx, consultationID)
	if err != nil {
		return nil, err
	}
	d, err := s.consultationDoc(ctx, c)
	if err != nil {
		return nil, err
	}
	sp, err := s.store.SpaceByID(ctx, c.SpaceID)
	if err != nil {
		return nil, err
	}
	audience, err := s.store.ConsultationAudience(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return s.publishAnnounced(ctx, sp.Actor, sp, UpdateConsultation(sp.Actor, d, s.now()), audience...)
}

// ignoreNotFound treats models.ErrNotFound as nothing to do.
func ignoreNotFound(err error) error {
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	return err
}
