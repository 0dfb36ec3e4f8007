package federation

import (
	"context"
	"encoding/json"

	"github.com/opendemocracynow/odn/models"
)

// Shared consultations: when a space relays another instance's debate,
// proposal or petition (models.RelayObject), the space Group sends
// Announce{object id} to its followers. Mastodon shows it as a boost; an
// odn follower fetches the object from its origin and keeps a copy, and
// its members' votes go to the origin (participate_out.go), which counts
// them per instance.
func init() {
	eventHandlers[models.EventRelayCreated] = relayCreated
}

func relayCreated(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	var data struct {
		ObjectURI string `json:"object_uri"`
	}
	if err := json.Unmarshal([]byte(ev.Data), &data); err != nil || data.ObjectURI == "" {
		return nil, drop("relay event %d without object", ev.ID)
	}
	group, err := s.store.ActorByID(ctx, ev.ActorID)
	if err != nil {
		return nil, err
	}
	inboxes, err := s.followersOf(ctx, group)
	if err != nil {
		return nil, err
	}
	announce := AnnounceDoc(group, data.ObjectURI, data.ObjectURI)
	announce["published"] = rfc3339(ev.CreatedAt)
	return outgoing(group, announce, inboxes)
}
