package models

import (
	"context"
	"net/url"
)

// ForwardedReport is a local member's report of another server's content
// (a copy here), which federation forwards to that server as a Flag:
// the origin's moderators are the ones who can remove it.
type ForwardedReport struct {
	ID        int64
	ObjectURI string
	Author    *Actor // the content's remote author
	Reason    string
}

// ReportToForward returns report id when a local account filed it about
// another server's proposal, debate, petition or comment and asked to
// forward it; ErrNotFound for any other (not asked, local content, a
// received Flag, an account, content deleted since).
func (s *Store) ReportToForward(ctx context.Context, id int64) (*ForwardedReport, error) {
	r := new(Report)
	if err := s.DB.NewSelect().Model(r).Relation("Reporter").Where("r.id = ?", id).Scan(ctx); err != nil {
		return nil, dbErr("report to forward", err)
	}
	if !r.Forward || r.Reporter == nil || !r.Reporter.Local || r.Reporter.AccountID == nil || r.ObjectType == ObjectTypeAccount {
		return nil, ErrNotFound
	}
	obj, err := lookupObject(ctx, s.DB, r.ObjectType, r.ObjectID)
	if err != nil {
		return nil, err
	}
	if obj.Local || obj.DeletedAt != nil {
		return nil, ErrNotFound
	}
	author, err := s.ActorByID(ctx, obj.AuthorID)
	if err != nil {
		return nil, err
	}
	return &ForwardedReport{ID: r.ID, ObjectURI: obj.URI, Author: author, Reason: r.Reason}, nil
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
	if obj.Local {
		return "", nil
	}
	u, err := url.Parse(obj.URI)
	if err != nil {
		return "", nil
	}
	return u.Host, nil
}
