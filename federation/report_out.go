package federation

import (
	"context"
	"errors"
	"strconv"

	"github.com/opendemocracynow/odn/models"
)

// A report of another server's content (a copy here) is forwarded to that
// server as a Flag, as Mastodon forwards reports: its moderators are the
// ones who can remove the content. It goes when a member files it asking
// to (report.created), or when a moderator forwards it later
// (report.forwarded); models.ReportToForward says which event sends which
// report, so each goes once. The instance actor sends it, so the reporter
// is not named; the reason goes with it.
func init() {
	eventHandlers[models.EventReportCreated] = reportForward
	eventHandlers[models.EventReportForwarded] = reportForward
}

func reportForward(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	r, err := s.store.ReportToForward(ctx, ev)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil // about local content, not to forward, or a Flag received
	} else if err != nil {
		return nil, err
	}
	inboxes := remoteInboxes(r.Author)
	if len(inboxes) == 0 || s.blocks.blocked(ctx, hostOf(r.ObjectURI)) {
		return nil, nil
	}
	from, err := s.store.InstanceActor(ctx)
	if err != nil {
		return nil, err
	}
	return outgoing(from, FlagDoc(from, r.ID, r.ObjectURI, r.Author.URI, r.Reason), inboxes)
}

// FlagDoc is the Flag of report id about objectURI, from the instance
// actor to the content's author, with the text to send ("" for none), in
// Mastodon's shape: object names the account, then the content. Mastodon
// files a report for each local account the object names, with the posts
// of that account it names, and nothing for posts alone. Its id is
// stable per report, so a server that files one report per Flag id files
// a retry once.
func FlagDoc(from *models.Actor, id int64, objectURI, authorURI, text string) doc {
	flag := activityDoc(from.URI+"#flags/"+strconv.FormatInt(id, 10), "Flag", from.URI, []any{authorURI, objectURI}, []string{authorURI}, nil)
	if text != "" {
		flag["content"] = text
	}
	return flag
}
