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
	flag := activityDoc(from.URI+"#flags/"+strconv.FormatInt(r.ID, 10), "Flag", from.URI, []any{r.ObjectURI}, []string{r.Author.URI}, nil)
	if r.Reason != "" {
		flag["content"] = r.Reason
	}
	return outgoing(from, flag, inboxes)
}
