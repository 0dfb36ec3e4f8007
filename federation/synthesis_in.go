package federation

import (
	"context"
	"strings"

	"github.com/opendemocracynow/odn/models"
)

// A consultation's synthesis received from another odn instance: the
// members here who took part in the copies of its proposals, debates and
// petitions (odn:items) are told, once, as the origin tells its own
// contributors (models.ReceiveRemoteSynthesis). The Note itself is no
// reply and no copy: without this it was dropped, and a town taking part
// in a shared consultation never learnt its outcome.

// receiveSynthesis applies a Create or Update of a synthesis Note, which
// only the space that published it sends.
func (s *Service) receiveSynthesis(ctx context.Context, in *incoming, obj map[string]any) error {
	id := idOf(obj["id"])
	if hostOf(id) == s.host {
		return nil // ours, relayed back
	}
	if idOf(obj["attributedTo"]) != in.actor.URI || !sameOrigin(id, in.actor.URI) {
		return drop("synthesis %s not sent by its space (%s)", id, in.actor.URI)
	}
	title, _ := strings.CutPrefix(str(obj, "name"), SynthesisTitlePrefix)
	_, err := s.store.ReceiveRemoteSynthesis(ctx, in.actor, models.RemoteSynthesisIn{
		URI: id, URL: idOf(obj["url"]), Title: title, Items: idsOf(obj[PropODNItems]),
	})
	return err
}

// deleteSynthesis forgets a synthesis its space deleted.
func deleteSynthesis(ctx context.Context, s *Service, actor *models.Actor, uri string) error {
	return s.store.DeleteRemoteSynthesis(ctx, actor, uri)
}
