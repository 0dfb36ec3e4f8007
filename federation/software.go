package federation

import (
	"context"
	"net/url"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// groupAware lists the servers (NodeInfo software names) known to process
// a group's Announce{Create} (FEP-1b12): they get the author's activity
// whole, civic fields included, and need no Announce of the bare object.
var groupAware = map[string]bool{
	"odn": true, "lemmy": true, "mbin": true, "kbin": true, "piefed": true, "lotide": true,
}

// announceForms says which of a group's two announces of new content a
// server is sent: the FEP-1b12 Announce{Create} (activity) and the
// Announce{Note} that Mastodon and other microblogs show as a boost
// (object). They ignore Announce{Create}, group-aware servers get all
// from it, and a server whose software is unknown gets both.
func announceForms(software string) (activity, object bool) {
	switch {
	case software == "":
		return true, true
	case groupAware[software]:
		return true, false
	default:
		return false, true
	}
}

// How long a peer's software name is trusted before it is asked again,
// and how long to wait after a peer did not say.
const (
	softwareFresh = 30 * 24 * time.Hour
	softwareRetry = 24 * time.Hour
	softwareAsk   = 5 * time.Second
)

// learnSoftware asks the actor's server which software it runs, when that
// is unknown or old, and records it (an empty name when the server did not
// say, so it is asked again only after softwareRetry). It is best effort:
// until it is known the server gets every form of announce.
func (s *Service) learnSoftware(ctx context.Context, a *models.Actor) {
	if a == nil || a.Local || a.Host == "" {
		return
	}
	name, checked, err := s.store.HostSoftware(ctx, a.Host)
	if err != nil {
		s.log.Warn("host software", "host", a.Host, "err", err)
		return
	}
	if checked != nil {
		age := s.now().Sub(*checked)
		if age < softwareRetry || (name != "" && age < softwareFresh) {
			return
		}
	}
	origin, err := url.Parse(a.URI)
	if err != nil {
		return
	}
	fctx, cancel := context.WithTimeout(ctx, softwareAsk)
	defer cancel()
	found, err := s.fetcher.Software(fctx, origin.Scheme+"://"+origin.Host)
	if err != nil {
		s.log.Info("nodeinfo", "host", a.Host, "err", err)
		if name != "" {
			return // keep the old name; ask again at the next follow
		}
	}
	if err := s.store.SetHostSoftware(ctx, a.Host, found); err != nil {
		s.log.Warn("set host software", "host", a.Host, "err", err)
	}
}
