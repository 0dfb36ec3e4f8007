package models

import "context"

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
// another server's proposal, debate, petition or comment; ErrNotFound for
// any other (local content, a received Flag, an account, content deleted
// since).
func (s *Store) ReportToForward(ctx context.Context, id int64) (*ForwardedReport, error) {
	r := new(Report)
	if err := s.DB.NewSelect().Model(r).Relation("Reporter").Where("r.id = ?", id).Scan(ctx); err != nil {
		return nil, dbErr("report to forward", err)
	}
	if r.Reporter == nil || !r.Reporter.Local || r.Reporter.AccountID == nil || r.ObjectType == ObjectTypeAccount {
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
