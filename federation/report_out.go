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
	// A Flag that cannot go (the content deleted, its author gone, the
	// domain blocked) still reaches the outbox, without inbox, so that
	// the report reads failed rather than queued for ever.
	dropped := func(reason string) ([]models.Outgoing, error) {
		return []models.Outgoing{{ReportID: r.ID, Dropped: reason}}, nil
	}
	inboxes := remoteInboxes(r.Author)
	switch {
	case r.Gone:
		return dropped(models.ForwardErrorGone)
	case s.blocks.blocked(ctx, hostOf(r.ObjectURI)):
		return dropped(models.ForwardErrorBlocked)
	case len(inboxes) == 0:
		return dropped(models.ForwardErrorNoInbox)
	}
	from, err := s.store.InstanceActor(ctx)
	if err != nil {
		return nil, err
	}
	out, err := outgoing(from, FlagDoc(from, r), inboxes)
	for i := range out {
		out[i].ReportID = r.ID // its jobs' outcome is the report's (models.Delivery.ReportID)
	}
	return out, err
}

// FlagDoc is the Flag of report r, from the instance actor to the
// content's author, with the text to send (r.Reason, "" for none), in
// Mastodon's shape: object names the account, then the content. Mastodon
// files a report for each local account the object names, with the posts
// of that account it names, and nothing for posts alone.
func FlagDoc(from *models.Actor, r *models.ForwardedReport) doc {
	flag := activityDoc(flagID(from, r.ID, r.Attempt), "Flag", from.URI, []any{r.Author.URI, r.ObjectURI}, []string{r.Author.URI}, nil)
	if r.Reason != "" {
		flag["content"] = r.Reason
	}
	return flag
}

// flagID is the id of the Flag of report id's forward number attempt.
// It is stable per attempt, so a server that files one report per Flag id
// files a retried delivery once, and the first attempt keeps the id
// forwards had before they could be sent again. A forward sent again
// after it failed needs a new id: the delivery queue takes one job per
// activity and inbox, and the failed job holds the old one.
func flagID(from *models.Actor, id int64, attempt int) string {
	uri := from.URI + "#flags/" + strconv.FormatInt(id, 10)
	if attempt > 1 {
		uri += "/" + strconv.Itoa(attempt)
	}
	return uri
}
