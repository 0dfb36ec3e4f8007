package federation

import (
	"context"
	"errors"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// EventFunc turns one outbox event into the activities to deliver. It
// must only read: FinishEvent queues what it returns and marks the event
// processed in one transaction, exactly once.
type EventFunc func(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error)

// eventHandlers is the dispatch table from models event kinds to
// activities. Events without an entry are marked processed and ignored.
//
// The civic mapping adds its kinds here (in an init of convert_civic.go):
// "proposal.created" → Create{Note} from the author to the space's
// followers, plus the space's Announce{Create} and Announce{Note}
// (Group.announce does both); "support.added" → Like; "vote.cast" →
// Create{Note{name}} to the poll's origin; "comment.created" → Create{Note
// inReplyTo} and the space's Announce{Create}; "…deleted" → Delete with
// a Tombstone. Helpers: s.followersOf, s.announceToFollowers, encodeDoc.
var eventHandlers = map[string]EventFunc{
	models.EventSpaceCreated:    actorChanged,
	models.EventSpaceUpdated:    actorChanged,
	models.EventAccountUpdated:  actorChanged,
	models.EventAccountDeleted:  accountDeleted,
	models.EventFollowRequested: followRequested,
	models.EventFollowUndone:    followUndone,
}

// runOutbox consumes the events table until ctx ends.
func (s *Service) runOutbox(ctx context.Context) {
	for {
		n, err := s.outboxBatch(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "outbox worker", "err", err)
		}
		if n == 0 && !s.wait(ctx, s.wakeOutbox) {
			return
		}
		if ctx.Err() != nil {
			return
		}
	}
}

func (s *Service) outboxBatch(ctx context.Context) (int, error) {
	evs, err := s.store.ClaimEvents(ctx, s.owner, 32, s.opts.Lease)
	if err != nil {
		return 0, err
	}
	ctx = withBatchMemo(ctx)
	var finished []models.FinishedEvent
	for _, ev := range evs {
		if ctx.Err() != nil {
			break
		}
		var out []models.Outgoing
		if h, ok := eventHandlers[ev.Kind]; ok {
			out, err = h(ctx, s, ev)
			if err != nil && !permanent(err) {
				// Leave it claimed: the lease expires and it is retried.
				s.log.WarnContext(ctx, "outbox event failed", "event", ev.ID, "kind", ev.Kind, "err", err)
				continue
			}
			if err != nil {
				s.log.InfoContext(ctx, "outbox event skipped", "event", ev.ID, "kind", ev.Kind, "err", err)
				out = nil
			}
		}
		finished = append(finished, models.FinishedEvent{ID: ev.ID, Out: out})
	}
	// One transaction marks the batch processed and queues its
	// deliveries (a burst of votes: 32 events, no delivery). Events
	// another node took meanwhile are left to it.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := s.store.FinishEvents(fctx, s.owner, finished...); err != nil {
		return len(evs), err
	}
	if len(evs) > 0 {
		s.wakeDeliveries()
	}
	return len(evs), nil
}

func (s *Service) wakeDeliveries() {
	select {
	case s.wakeDelivery <- struct{}{}:
	default:
	}
}

// outgoing serialises d for delivery by from to inboxes.
func outgoing(from *models.Actor, d doc, inboxes []string) ([]models.Outgoing, error) {
	if len(inboxes) == 0 {
		return nil, nil
	}
	body, err := encodeDoc(d)
	if err != nil {
		return nil, err
	}
	return []models.Outgoing{{ActivityID: idOf(d["id"]), Body: body, SignerID: from.ID, Inboxes: inboxes}}, nil
}

// followersOf lists the inboxes of an actor's remote followers.
func (s *Service) followersOf(ctx context.Context, a *models.Actor) ([]string, error) {
	return s.store.FollowerInboxes(ctx, a.ID)
}

// AnnounceToFollowers returns, for a space (group) and an activity about
// its content, the FEP-1b12 Announce{activity} for the group's followers.
// With bareObject (new top-level content) each follower's server gets the
// form it shows (announceForms): Mastodon and other microblogs only show
// Announce{object} as a boost and ignore Announce{activity}, group-aware
// servers need only Announce{activity}, and unknown servers get both.
func (s *Service) AnnounceToFollowers(ctx context.Context, group *models.Actor, activity doc, bareObject doc) ([]models.Outgoing, error) {
	rs, err := s.store.FollowerRecipients(ctx, group.ID)
	if err != nil {
		return nil, err
	}
	return announceTo(group, rs, activity, bareObject)
}

// announceTo is AnnounceToFollowers for the followers rs of group.
func announceTo(group *models.Actor, rs []models.Recipient, activity doc, bareObject doc) ([]models.Outgoing, error) {
	var forActivity, forObject []string
	for _, r := range rs {
		a, o := announceForms(r.Software)
		if a || bareObject == nil {
			forActivity = append(forActivity, r.Inbox)
		}
		if o && bareObject != nil {
			forObject = append(forObject, r.Inbox)
		}
	}
	out, err := outgoing(group, AnnounceDoc(group, bare(activity), idOf(activity["id"])), forActivity)
	if err != nil || len(forObject) == 0 {
		return out, err
	}
	more, err := outgoing(group, AnnounceDoc(group, idOf(bareObject["id"]), idOf(bareObject["id"])+"#object"), forObject)
	return append(out, more...), err
}

// actorChanged sends the actor's new document to its followers: a space's
// Update{Group}, or a member's Update{Person} after a change of display
// name or bio (Mastodon refreshes the profile it shows from it).
func actorChanged(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	a, err := s.store.ActorByID(ctx, ev.ActorID)
	if err != nil {
		return nil, err
	}
	inboxes, err := s.followersOf(ctx, a)
	if err != nil {
		return nil, err
	}
	return outgoing(a, updateActorDoc(a, ev.CreatedAt), inboxes)
}

// accountDeleted sends Delete{Person} to the account's followers and to
// the actors it followed or asked to follow, signed by the deleted actor
// itself: Mastodon drops an activity signed by any other actor than its
// own, so the key is kept until this is delivered (models.ForgetDeletedKeys).
// An account erased before keys were kept has none: the instance actor
// signs (peers running odn accept that from the actor's own instance).
func accountDeleted(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	a, err := s.store.ActorByID(ctx, ev.ActorID)
	if err != nil {
		return nil, err
	}
	signer := a
	if a.PrivateKeyPEM == "" {
		if signer, err = s.store.InstanceActor(ctx); err != nil {
			return nil, err
		}
	}
	inboxes, err := s.store.RelatedInboxes(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	return outgoing(signer, deleteActorDoc(a), inboxes)
}

// followRequested sends a local actor's Follow to the remote followee.
func followRequested(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	f, err := s.store.FollowByURI(ctx, ev.Data)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil // undone before it was sent
	} else if err != nil {
		return nil, err
	}
	follower, err := s.store.ActorByID(ctx, f.FollowerID)
	if err != nil {
		return nil, err
	}
	followee, err := s.store.ActorByID(ctx, f.FolloweeID)
	if err != nil {
		return nil, err
	}
	return outgoing(follower, followDoc(f, follower, followee), []string{inboxOf(followee)})
}

// followUndone sends Undo{Follow}; the follow row is already gone, so
// the event carries the Follow's id (Data) and the followee (ObjectID).
func followUndone(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	follower, err := s.store.ActorByID(ctx, ev.ActorID)
	if err != nil {
		return nil, err
	}
	followee, err := s.store.ActorByID(ctx, ev.ObjectID)
	if err != nil {
		return nil, err
	}
	f := &models.Follow{URI: ev.Data}
	return outgoing(follower, undoDoc(follower.URI, followDoc(f, follower, followee), []string{followee.URI}), []string{inboxOf(followee)})
}

// batchMemo is what the events of one outbox batch share: a burst of
// votes is a batch of vote.cast events about one debate, and each needs
// the debate (is it ours?) and a count Update scheduled. Loading the
// debate once and scheduling once per batch saves a read and a write
// transaction per vote. The debate may be read a few milliseconds before
// a later event of the batch is handled: it is still newer than every
// event of the batch (all committed before the claim).
type batchMemo struct {
	debates   map[int64]*models.Debate
	scheduled map[countKey]bool
}

type countKey struct {
	objectType string
	objectID   int64
}

type batchMemoKey struct{}

func withBatchMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, batchMemoKey{}, &batchMemo{debates: map[int64]*models.Debate{}, scheduled: map[countKey]bool{}})
}

// memoOf returns ctx's batch memo, or a fresh one (nothing shared) when
// ctx has none.
func memoOf(ctx context.Context) *batchMemo {
	if m, ok := ctx.Value(batchMemoKey{}).(*batchMemo); ok {
		return m
	}
	return &batchMemo{debates: map[int64]*models.Debate{}, scheduled: map[countKey]bool{}}
}

// debateOnce loads a debate once per outbox batch.
func (s *Service) debateOnce(ctx context.Context, id int64) (*models.Debate, error) {
	m := memoOf(ctx)
	if d, ok := m.debates[id]; ok {
		return d, nil
	}
	d, err := s.store.DebateByID(ctx, id)
	if err != nil {
		return nil, err
	}
	m.debates[id] = d
	return d, nil
}
