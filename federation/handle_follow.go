package federation

import (
	"context"
	"errors"

	"github.com/opendemocracynow/odn/models"
)

// handleFollow records a remote Follow of a local user or space. Spaces
// (public groups) and users who do not approve followers manually are
// followed at once and an Accept embedding the Follow goes back; others
// keep a pending request. A Follow of a deleted actor is rejected. For a
// space, the follower's server software is learnt (learnSoftware).
func handleFollow(ctx context.Context, s *Service, in *incoming) error {
	followee, err := s.localActor(ctx, idOf(in.m["object"]))
	if err != nil {
		return err
	}
	if followee.Type == models.ActorApplication {
		return drop("the instance actor is not followable")
	}
	if followee.DeletedAt != nil {
		return s.enqueue(ctx, followee, acceptDoc("Reject", followee, in.m, in.actor.URI), inboxOf(in.actor))
	}
	accept := followee.Type == models.ActorGroup || !followee.ManuallyApprove
	f, err := s.store.ReceiveFollow(ctx, in.actor, followee, in.item.ActivityID, accept)
	if err != nil {
		return err
	}
	if f.State != models.FollowAccepted {
		return nil
	}
	if err := s.enqueue(ctx, followee, acceptDoc("Accept", followee, in.m, in.actor.URI), inboxOf(in.actor)); err != nil {
		return err
	}
	if followee.Type == models.ActorGroup {
		// The space's announces take the form the follower's server
		// shows (announceForms): ask it which software it runs.
		s.learnSoftware(ctx, in.actor)
	}
	return nil
}

// followOf finds the local follow an Accept, Reject or Undo refers to:
// by the Follow's id, or, when a peer embeds a Follow without a usable
// id, by its actor and object.
func (s *Service) followOf(ctx context.Context, obj any) (*models.Follow, error) {
	if f, err := s.store.FollowByURI(ctx, idOf(obj)); err == nil {
		return f, nil
	} else if !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	m, ok := obj.(map[string]any)
	if !ok || typeOf(m) != "Follow" {
		return nil, drop("unknown follow %q", idOf(obj))
	}
	follower, err := s.store.ActorByURI(ctx, idOf(m["actor"]))
	if err != nil {
		return nil, drop("unknown follower %q", idOf(m["actor"]))
	}
	followee, err := s.store.ActorByURI(ctx, idOf(m["object"]))
	if err != nil {
		return nil, drop("unknown followee %q", idOf(m["object"]))
	}
	f, err := s.store.FollowBetween(ctx, follower.ID, followee.ID)
	if err != nil {
		return nil, drop("no follow of %s by %s", followee.URI, follower.URI)
	}
	return f, nil
}

// handleAccept marks a local actor's follow accepted; only the followee
// may accept it.
func handleAccept(ctx context.Context, s *Service, in *incoming) error {
	f, err := s.followOf(ctx, in.m["object"])
	if err != nil {
		return err
	}
	if f.FolloweeID != in.actor.ID {
		return drop("%s cannot accept a follow of another actor", in.actor.URI)
	}
	_, err = s.store.AcceptFollow(ctx, f.URI, in.actor)
	return err
}

// handleReject removes a local actor's follow (or a follow request).
func handleReject(ctx context.Context, s *Service, in *incoming) error {
	f, err := s.followOf(ctx, in.m["object"])
	if err != nil {
		return err
	}
	if f.FolloweeID != in.actor.ID {
		return drop("%s cannot reject a follow of another actor", in.actor.URI)
	}
	return s.store.RemoveFollow(ctx, f.FollowerID, f.FolloweeID)
}

// handleUndo undoes one of the actor's own activities: a Follow here;
// Like, Dislike and Announce through the reaction hooks.
func handleUndo(ctx context.Context, s *Service, in *incoming) error {
	obj := in.m["object"]
	m, embedded := obj.(map[string]any)
	if embedded && idOf(m["actor"]) != "" && idOf(m["actor"]) != in.actor.URI {
		return drop("%s cannot undo another actor's activity", in.actor.URI)
	}
	typ := typeOf(obj)
	if typ == "Follow" || !embedded {
		f, err := s.followOf(ctx, obj)
		switch {
		case err == nil:
			if f.FollowerID != in.actor.ID {
				return drop("%s cannot undo another actor's follow", in.actor.URI)
			}
			return s.store.RemoveFollow(ctx, f.FollowerID, f.FolloweeID)
		case typ == "Follow":
			return nil // nothing to undo
		}
	}
	if h, ok := undoHandlers[typ]; ok {
		return h(ctx, s, in)
	}
	return nil
}

// undoHandlers undo reactions (Like, Dislike, Announce); the civic
// mapping registers them. An Undo whose object is only an IRI reaches
// undoHandlers[""].
var undoHandlers = map[string]activityFunc{}

// handleBlock: a remote actor blocks a local one; follows between them
// end in both directions.
func handleBlock(ctx context.Context, s *Service, in *incoming) error {
	target, err := s.localActor(ctx, idOf(in.m["object"]))
	if err != nil {
		return err
	}
	if err := s.store.RemoveFollow(ctx, in.actor.ID, target.ID); err != nil {
		return err
	}
	return s.store.RemoveFollow(ctx, target.ID, in.actor.ID)
}
