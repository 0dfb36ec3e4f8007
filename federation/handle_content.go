package federation

import (
	"context"
	"errors"
	"net/http"

	"github.com/opendemocracynow/odn/models"
)

// objectFunc applies an incoming object (a Note, a Question…) received
// in a Create or an Update from actor. obj has passed the ownership
// checks: it comes from its origin host.
type objectFunc func(ctx context.Context, s *Service, in *incoming, obj map[string]any) error

// Content hooks. The civic mapping (proposals, debates, petitions) adds
// its object types here; comments register Note.
var (
	createHandlers = map[string]objectFunc{}
	updateHandlers = map[string]objectFunc{}
	// deleteHandlers each try to delete the object uri of actor; they
	// return models.ErrNotFound when the uri is not theirs.
	deleteHandlers []func(ctx context.Context, s *Service, actor *models.Actor, uri string) error
	// reactionHandlers apply Like, Dislike and the Announce of a bare
	// object, by activity type.
	reactionHandlers = map[string]activityFunc{}
	// flagHandler files a report (Flag) in the moderation queue.
	flagHandler activityFunc
)

// activityTypes are the types whose "object" is itself an activity
// when relayed by a group (FEP-1b12).
var activityTypes = map[string]bool{
	"Create": true, "Update": true, "Delete": true, "Like": true, "Dislike": true,
	"Undo": true, "Announce": true, "Follow": true, "Accept": true, "Reject": true, "Flag": true, "Block": true,
}

// objectFromOrigin returns the object of a Create or Update as trusted
// content: embedded and on the actor's own host, or else fetched from its
// origin (INTEROP: never trust a foreign-host object inside an activity).
// A tombstoned id is never re-created.
func (s *Service) objectFromOrigin(ctx context.Context, in *incoming) (map[string]any, error) {
	obj := in.m["object"]
	id := idOf(obj)
	if id == "" {
		return nil, drop("object without id")
	}
	if dead, err := s.store.IsTombstoned(ctx, id); err != nil {
		return nil, err
	} else if dead {
		return nil, drop("object %s was deleted", id)
	}
	m, embedded := obj.(map[string]any)
	if !embedded || !sameOrigin(id, in.actor.URI) {
		if s.blocks.blocked(ctx, hostOf(id)) {
			return nil, ErrBlocked
		}
		f, err := s.signedFetcher(ctx)
		if err != nil {
			return nil, err
		}
		if m, _, err = f.Fetch(ctx, id); err != nil {
			return nil, err
		}
	}
	if author := idOf(m["attributedTo"]); author != "" && !sameOrigin(author, id) {
		return nil, drop("object %s attributed to another host", id)
	}
	return m, nil
}

// handleCreate applies a Create of a Note (comment, poll vote) or of a
// civic object through createHandlers.
func handleCreate(ctx context.Context, s *Service, in *incoming) error {
	obj, err := s.objectFromOrigin(ctx, in)
	if err != nil {
		return err
	}
	if author := idOf(obj["attributedTo"]); author != "" && author != in.actor.URI && sameOrigin(idOf(obj["id"]), in.actor.URI) {
		return drop("%s cannot create an object attributed to %s", in.actor.URI, author)
	}
	if h, ok := createHandlers[typeOf(obj)]; ok {
		return h(ctx, s, in, obj)
	}
	return nil
}

// handleUpdate refreshes a remote actor (Update of itself) or an object
// the actor is the author of.
func handleUpdate(ctx context.Context, s *Service, in *incoming) error {
	obj := in.m["object"]
	id := idOf(obj)
	if id == in.actor.URI {
		m, ok := obj.(map[string]any)
		if !ok {
			_, err := s.fetchActor(ctx, id)
			return err
		}
		a, err := actorFromDoc(m)
		if err != nil {
			return dropError{err}
		}
		if _, err = s.store.UpsertRemoteActor(ctx, a); err != nil {
			return err
		}
		// A rotated key: the old one stops working here now (other nodes
		// read the new one from the database within keyCacheTTL).
		s.keys.forget(in.actor.PublicKeyID, a.PublicKeyID, a.URI)
		return nil
	}
	if !sameOrigin(id, in.actor.URI) {
		return drop("%s cannot update %s", in.actor.URI, id)
	}
	m, err := s.objectFromOrigin(ctx, in)
	if err != nil {
		return err
	}
	// The host is not the owner: on a server of many accounts, one must
	// not rewrite another's object (the store checks the copy's author
	// too, for Creates over an existing copy). A space signs for an
	// erased author (odn's objectSigner): a Group may update what names
	// it as its audience.
	author := idOf(m["attributedTo"])
	if author != "" && author != in.actor.URI && !(in.actor.Type == models.ActorGroup && idOf(m["audience"]) == in.actor.URI) {
		return drop("%s cannot update %s, attributed to %s", in.actor.URI, id, author)
	}
	if h, ok := updateHandlers[typeOf(m)]; ok {
		return h(ctx, s, in, m)
	}
	return nil
}

// handleDelete lets the content hooks remove the actor's copy of an
// object (or the actor itself) and tombstones what was removed.
func handleDelete(ctx context.Context, s *Service, in *incoming) error {
	id := idOf(in.m["object"])
	if id == "" {
		return drop("delete without object")
	}
	if in.depth == 0 && in.item.KeyOwner != in.actor.URI {
		// Signed by another actor of the host (mayActFor): a deleted
		// account has no key left. Any account of the host may be that
		// signer (Mastodon's bots are Services too), so its word is not
		// taken: the actor must be gone at its origin.
		if id != in.actor.URI {
			return drop("%s cannot delete %s for %s", in.item.KeyOwner, id, in.actor.URI)
		}
		if gone, err := s.goneAtOrigin(ctx, id); !gone {
			if err == nil {
				return drop("%s is not gone at its origin", id)
			}
			return err
		}
	}
	if id == in.actor.URI {
		return s.store.MarkActorDeleted(ctx, in.actor)
	}
	if !sameOrigin(id, in.actor.URI) {
		return drop("%s cannot delete %s", in.actor.URI, id)
	}
	for _, h := range deleteHandlers {
		if err := h(ctx, s, in.actor, id); errors.Is(err, models.ErrNotFound) {
			continue
		} else if err != nil {
			return err // another actor's object: ErrForbidden, dropped
		}
		// Its author deleted it: no retry nor relay brings it back.
		return s.store.AddTombstone(ctx, id, typeOf(in.m["object"]), in.actor.URI)
	}
	// Nothing of it here. Its id is not tombstoned: the host is not the
	// owner, and one account must not bar another's next object (odn's
	// ids are sequential). A Delete that overtakes its Create is rare;
	// a relay or a lookup fetches from the origin, which answers 410.
	return nil
}

// goneAtOrigin fetches uri and reports whether its origin answers 404 or
// 410; err is set when the answer says neither (unreachable, 5xx).
func (s *Service) goneAtOrigin(ctx context.Context, uri string) (bool, error) {
	f, err := s.signedFetcher(ctx)
	if err != nil {
		return false, err
	}
	_, _, err = f.Fetch(ctx, uri)
	if err == nil {
		return false, nil
	}
	var se *StatusError
	if errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusGone) {
		return true, nil
	}
	return false, err
}

// handleReaction applies a Like or Dislike (support, Lemmy vote).
func handleReaction(ctx context.Context, s *Service, in *incoming) error {
	if h, ok := reactionHandlers[typeOf(in.m)]; ok {
		return h(ctx, s, in)
	}
	return nil
}

// handleAnnounce applies an Announce. From a group (FEP-1b12) whose
// object is an activity, the inner activity is applied as if received
// from its own actor: embedded and on the group's host, it is trusted
// like the group's own content (the group's server relays what its
// members sent it); otherwise it is fetched from its origin, unless the
// origin is blocked. Any other actor could put a neighbour's name in an
// embedded activity: from them only their own activity is applied, and
// anything else is a boost. The Announce of a bare object is a boost,
// for reactionHandlers.
func handleAnnounce(ctx context.Context, s *Service, in *incoming) error {
	obj := in.m["object"]
	inner, embedded := obj.(map[string]any)
	if embedded && !activityTypes[typeOf(inner)] {
		return handleReaction(ctx, s, in)
	}
	if in.depth > 0 {
		return drop("nested Announce")
	}
	id := idOf(obj)
	if id == "" {
		return drop("announce without object")
	}
	if in.actor.Type != models.ActorGroup && !(embedded && idOf(inner["actor"]) == in.actor.URI) {
		// Only groups relay activities (FEP-1b12); from anyone else an
		// Announce is a boost: an activity of someone else, even fetched
		// from its origin, would be replayed out of its time (a Follow
		// since undone).
		return handleReaction(ctx, s, in)
	}
	if !embedded || !sameOrigin(id, in.actor.URI) {
		if s.blocks.blocked(ctx, hostOf(id)) {
			return drop("announced activity %s from a blocked domain", id)
		}
		f, err := s.signedFetcher(ctx)
		if err != nil {
			return err
		}
		m, _, err := f.Fetch(ctx, id)
		if err != nil {
			return err
		}
		if !activityTypes[typeOf(m)] {
			return handleReaction(ctx, s, in)
		}
		inner = m
	}
	innerActorURI := idOf(inner["actor"])
	if !sameOrigin(innerActorURI, id) {
		return drop("announced activity %s by a foreign actor", id)
	}
	actor, err := s.actorFor(ctx, innerActorURI)
	if err != nil {
		return err
	}
	return s.apply(ctx, &incoming{item: in.item, m: inner, actor: actor, depth: in.depth + 1})
}

// handleFlag files a report; without a moderation hook it is logged.
func handleFlag(ctx context.Context, s *Service, in *incoming) error {
	if flagHandler != nil {
		return flagHandler(ctx, s, in)
	}
	s.log.InfoContext(ctx, "report received (no moderation hook yet)", "actor", in.actor.URI, "objects", idsOf(in.m["object"]))
	return nil
}
