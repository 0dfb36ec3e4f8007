package federation

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/opendemocracynow/odn/models"
)

// Shared consultations: when a space relays another instance's debate,
// proposal or petition (models.RelayObject), the space Group sends
// Announce{object id} to its followers. Mastodon shows it as a boost; an
// odn follower fetches the object from its origin and keeps a copy, and
// its members' votes go to the origin (participate_out.go), which counts
// them per instance.
//
// When the origin deletes a relayed object, the space undoes its Announce
// (relay.withdrawn → Undo{Announce}); its odn followers then check the
// object at its origin and drop their copy when it answers 404 or 410
// (a group cannot send a Delete for another server's object).
func init() {
	eventHandlers[models.EventRelayCreated] = relayCreated
	eventHandlers[models.EventRelayWithdrawn] = relayWithdrawn
	undoHandlers["Announce"] = undoRelay
}

// relayAnnounce rebuilds the Announce of a relay event and the followers
// it goes to.
func (s *Service) relayAnnounce(ctx context.Context, ev models.Event) (*models.Actor, doc, []string, error) {
	var data struct {
		ObjectURI string `json:"object_uri"`
	}
	if err := json.Unmarshal([]byte(ev.Data), &data); err != nil || data.ObjectURI == "" {
		return nil, nil, nil, drop("relay event %d without object", ev.ID)
	}
	group, err := s.store.ActorByID(ctx, ev.ActorID)
	if err != nil {
		return nil, nil, nil, err
	}
	inboxes, err := s.followersOf(ctx, group)
	if err != nil {
		return nil, nil, nil, err
	}
	return group, AnnounceDoc(group, data.ObjectURI, data.ObjectURI), inboxes, nil
}

func relayCreated(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	group, announce, inboxes, err := s.relayAnnounce(ctx, ev)
	if err != nil {
		return nil, err
	}
	announce["published"] = rfc3339(ev.CreatedAt)
	return outgoing(group, announce, inboxes)
}

func relayWithdrawn(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	group, announce, inboxes, err := s.relayAnnounce(ctx, ev)
	if err != nil {
		return nil, err
	}
	undo := undoDoc(group.URI, announce, []string{PublicCollection})
	undo["cc"] = []string{group.FollowersURI}
	return outgoing(group, undo, inboxes)
}

// undoRelay applies a space's Undo{Announce} of a remote object: if we
// hold a copy, the origin is asked; a 404 or 410 there drops the copy.
func undoRelay(ctx context.Context, s *Service, in *incoming) error {
	announce, _ := in.m["object"].(map[string]any)
	uri := idOf(announce["object"])
	if uri == "" || hostOf(uri) == s.host || s.blocks.blocked(ctx, hostOf(uri)) {
		return nil
	}
	if _, _, err := s.store.CivicObjectByURI(ctx, uri); err != nil {
		return nil // no copy here (or a plain boost undone)
	}
	if gone, err := s.goneAtOrigin(ctx, uri); !gone {
		return err
	}
	if err := s.store.MarkRemoteCopyGone(ctx, uri); err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	return s.store.AddTombstone(ctx, uri, "", "")
}
