package models

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// What became of a report forwarded to its content's server
// (Report.ForwardStatus). The delivery queue moves a report from queued
// to delivered or failed as it acknowledges or buries the Flag's job
// (Delivery.ReportID).
const (
	ForwardQueued    = "queued"    // in the outbox or the delivery queue, retries included
	ForwardDelivered = "delivered" // the content's server answered 2xx (ForwardDeliveredAt)
	ForwardFailed    = "failed"    // dropped (domain blocked, author or content gone) or dead-lettered
	// ForwardSent is a report forwarded before odn followed the Flag's
	// delivery (migration 20261207190000): it went to the outbox, and
	// nothing is known of what became of it.
	ForwardSent = "sent"
)

// Why a forward failed (Report.ForwardError), for the moderators to judge
// whether sending it again can help.
const (
	ForwardErrorBlocked     = "blocked"     // the content's domain is blocked here
	ForwardErrorGone        = "gone"        // the content or its author was deleted before the Flag went
	ForwardErrorNoInbox     = "no_inbox"    // its author has no inbox known here
	ForwardErrorRefused     = "refused"     // the server answered a final 4xx
	ForwardErrorUnreachable = "unreachable" // retries exhausted: the server was down, slow or answered 5xx, 401, 408, 429
	ForwardErrorAddress     = "address"     // its inbox is at an address odn does not send to (private, loopback, plain http)
)

// ForwardedReport is a report of another server's content (a copy here),
// which federation forwards to that server as a Flag: the origin's
// moderators are the ones who can remove it.
type ForwardedReport struct {
	ID        int64
	ObjectURI string
	Author    *Actor // the content's remote author
	Reason    string
	// Attempt numbers the report's forwards (Report.ForwardAttempts): a
	// forward sent again after it failed is a new Flag, with its own id,
	// which the delivery queue does not take for one it already has.
	Attempt int
	// Gone: the content was deleted since the report was forwarded, so
	// no Flag goes; federation still hands the outbox an Outgoing of the
	// report without inbox, which records the forward failed.
	Gone bool
}

// ReportToForward returns the report that event ev forwards, if it is to
// go to another server: on report.created, a local member's report of
// another server's proposal, debate, petition or comment, filed asking to
// forward it; on report.forwarded, a report a moderator forwarded later
// (Store.ForwardReport), first or again. ErrNotFound for any other (not
// asked, local content, a received Flag, an account), so that each
// forward goes out once, by the event that decided it. A forward whose
// content was deleted since comes back Gone: it cannot go, and must be
// recorded failed rather than left queued.
func (s *Store) ReportToForward(ctx context.Context, ev Event) (*ForwardedReport, error) {
	r := new(Report)
	if err := s.DB.NewSelect().Model(r).Relation("Reporter").Where("r.id = ?", ev.ObjectID).Scan(ctx); err != nil {
		return nil, dbErr("report to forward", err)
	}
	switch {
	case r.ObjectType == ObjectTypeAccount || r.ForwardedAt == nil:
		return nil, ErrNotFound
	case ev.Kind == EventReportCreated:
		if !r.Forward || r.Reporter == nil || !r.Reporter.Local || r.Reporter.AccountID == nil {
			return nil, ErrNotFound
		}
	case ev.Kind == EventReportForwarded:
		if r.ForwardedBy == 0 {
			return nil, ErrNotFound
		}
	default:
		return nil, ErrNotFound
	}
	obj, err := lookupObject(ctx, s.DB, r.ObjectType, r.ObjectID)
	if errors.Is(err, ErrNotFound) || err == nil && obj.DeletedAt != nil {
		return &ForwardedReport{ID: r.ID, Attempt: r.ForwardAttempts, Gone: true}, nil
	} else if err != nil {
		return nil, err
	}
	if obj.Local {
		return nil, ErrNotFound
	}
	author, err := s.ActorByID(ctx, obj.AuthorID)
	if err != nil {
		return nil, err
	}
	reason := r.Reason
	if ev.Kind == EventReportForwarded {
		reason = r.ForwardComment // the reporter did not choose to send their words
	}
	return &ForwardedReport{ID: r.ID, ObjectURI: obj.URI, Author: author, Reason: reason, Attempt: r.ForwardAttempts}, nil
}

// ForwardReport sends report id on to the server its content comes from,
// when the reporter did not ask to but a moderator judges that server's
// moderators must know: it goes as a Flag from the instance actor
// (federation, on the report.forwarded event) with the moderator's
// comment, if any, and neither the reporter's name nor their reason,
// which they did not choose to send. A report is forwarded once, or once
// more each time its forward failed (ForwardFailed: the Flag never
// reached that server), the moderator's message then standing for the
// reporter's reason too; local content and accounts stay here
// (ErrConflict). Moderators only (moderators are the instance's, not a
// space's), audited.
func (s *Store) ForwardReport(ctx context.Context, by *Account, id int64, comment string) error {
	if !by.IsModerator() {
		return ErrForbidden
	}
	// A browser counts a line break as one character (maxlength) and
	// sends it as two (CRLF).
	comment = strings.TrimSpace(strings.ReplaceAll(comment, "\r\n", "\n"))
	if utf8.RuneCountInString(comment) > MaxReportReason {
		return Invalid("comment", fmt.Sprintf("A message must have at most %d characters.", MaxReportReason))
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r := new(Report)
		if err := tx.NewSelect().Model(r).Where("r.id = ?", id).Scan(ctx); err != nil {
			return dbErr("report to forward", err)
		}
		if r.ObjectType == ObjectTypeAccount {
			return fmt.Errorf("%w: a report of an account of this server stays here", ErrConflict)
		}
		obj, err := lookupObject(ctx, tx, r.ObjectType, r.ObjectID)
		if err != nil {
			return err
		}
		host := originHost(obj.Local, obj.URI)
		switch {
		case host == "":
			return fmt.Errorf("%w: this content is from this server: there is no other server to forward the report to", ErrConflict)
		case obj.DeletedAt != nil:
			return fmt.Errorf("%w: the content was deleted since the report", ErrConflict)
		case r.ForwardedAt != nil && r.ForwardStatus != ForwardFailed:
			return fmt.Errorf("%w: the report was already forwarded to %s", ErrConflict, host)
		}
		blocked, err := blockedSetOn(ctx, tx)
		if err != nil {
			return err
		}
		if blocked.Has(host) {
			return fmt.Errorf("%w: the server %s is blocked here: the report cannot reach it", ErrConflict, host)
		}
		// The update checks again: of two moderators forwarding at once,
		// the second finds it done (queued).
		res, err := tx.NewUpdate().Model((*Report)(nil)).Set("forwarded_at = ?", s.Now()).Set("forwarded_by = ?", by.ID).Set("forward_comment = ?", comment).
			Set("forward_status = ?", ForwardQueued).Set("forward_attempts = forward_attempts + 1").Set("forward_error = ''").
			Where("id = ? AND (forwarded_at IS NULL OR forward_status = ?)", id, ForwardFailed).Exec(ctx)
		if err != nil {
			return dbErr("forward report", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: the report was already forwarded to %s", ErrConflict, host)
		}
		if err := s.audit(ctx, tx, by, "forward_report", "report", strconv.FormatInt(id, 10), host); err != nil {
			return err
		}
		var actorID int64
		if by.Actor != nil {
			actorID = by.Actor.ID
		}
		return s.emit(ctx, tx, Event{Kind: EventReportForwarded, ObjectType: "report", ObjectID: id, ActorID: actorID,
			SpaceID: r.SpaceID, Data: "{}"})
	})
}

// MayForward reports whether a moderator may forward r now
// (Store.ForwardReport): a report of another server's content, still
// there, not forwarded yet or whose forward failed, and a server this one
// does not block.
func (r *Report) MayForward() bool {
	return (r.ForwardedAt == nil || r.ForwardStatus == ForwardFailed) && r.Target != nil && r.Target.Origin != "" &&
		!r.Target.Gone && !r.Target.Blocked
}

// forwardsDelivered records the forwards of reports ids delivered at at:
// their server answered 2xx to a Flag of theirs. A failed one too: a
// dead letter an admin retried, or an earlier attempt, did reach it.
func forwardsDelivered(ctx context.Context, db bun.IDB, at time.Time, ids []int64) error {
	_, err := db.NewUpdate().Model((*Report)(nil)).Set("forward_status = ?", ForwardDelivered).Set("forward_delivered_at = ?", at).Set("forward_error = ''").
		Where("id IN (?) AND forward_status IN (?)", bun.In(ids), bun.In([]string{ForwardQueued, ForwardFailed})).Exec(ctx)
	return dbErr("report forwards delivered", err)
}

// forwardsFailed records the forwards of reports ids, still queued,
// failed for reason (a ForwardError… code): their Flag was dropped or
// went to the dead letters. ids is a bun.In list or a subquery.
func forwardsFailed(ctx context.Context, db bun.IDB, ids any, reason string) error {
	_, err := db.NewUpdate().Model((*Report)(nil)).Set("forward_status = ?", ForwardFailed).Set("forward_error = ?", reason).
		Where("id IN (?) AND forward_status = ?", ids, ForwardQueued).Exec(ctx)
	return dbErr("report forwards failed", err)
}

// forwardRequeued records the forward of report id queued again: an
// admin put its Flag's dead letter back in the queue.
func forwardRequeued(ctx context.Context, db bun.IDB, id int64) error {
	_, err := db.NewUpdate().Model((*Report)(nil)).Set("forward_status = ?", ForwardQueued).Set("forward_error = ''").
		Where("id = ? AND forward_status = ?", id, ForwardFailed).Exec(ctx)
	return dbErr("report forward queued again", err)
}

// ReportOrigin is the host of the server a report of objectType id could
// be forwarded to: the origin of a copy or remote comment, "" for local
// content and accounts (whose reports stay here). The report form names
// it beside its "forward" box.
func (s *Store) ReportOrigin(ctx context.Context, objectType string, id int64) (string, error) {
	if objectType == ObjectTypeAccount {
		return "", nil
	}
	obj, err := lookupObject(ctx, s.DB, objectType, id)
	if err != nil {
		return "", err
	}
	return originHost(obj.Local, obj.URI), nil
}

// originHost is the host of a remote object's id, "" for a local one.
func originHost(local bool, uri string) string {
	if local {
		return ""
	}
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	return u.Host
}
