package models

import (
	"context"
	"slices"
)

// Store functions the federation door needs about the comments peers
// hold copies of: which to delete when moderation hides what they are
// under, and which to publish when a draft debate is opened.

// CommentCopy is a local comment as peers may hold it: the comment (its
// id, URI, parent and author loaded) and the author of the comment it
// answers (nil for a top-level comment), whose server got its Create.
type CommentCopy struct {
	*Comment
	ParentAuthor *Actor
}

// LocalCommentsUnder lists, oldest first, the local comments peers may
// hold below object typ/id: every comment of a proposal, debate or
// petition, or every reply of a comment, however deep. Those deleted or
// hidden themselves are left out: their Delete was sent then. Hiding the
// object makes them unreadable (CommentHiddenAt), so peers must get
// their Delete too. Two queries, whatever the number of comments: the
// thread walked down from its tops (indexes comments_threads and
// comments_parent), then their authors.
func (s *Store) LocalCommentsUnder(ctx context.Context, typ string, id int64) ([]CommentCopy, error) {
	seed, args := "SELECT h.id FROM comments AS h WHERE h.object_type = ? AND h.object_id = ? AND h.parent_id IS NULL", []any{typ, id}
	if typ == ObjectTypeComment {
		seed, args = "SELECT h.id FROM comments AS h WHERE h.parent_id = ?", []any{id}
	}
	var rows []struct {
		ID             int64  `bun:"id"`
		URI            string `bun:"uri"`
		AuthorID       int64  `bun:"author_id"`
		ParentID       int64  `bun:"parent_id"`
		ParentAuthorID int64  `bun:"parent_author_id"`
	}
	err := s.DB.NewSelect().TableExpr("comments AS c").Join("LEFT JOIN comments AS p ON p.id = c.parent_id").
		ColumnExpr("c.id, c.uri, c.author_id, COALESCE(c.parent_id, 0) AS parent_id, COALESCE(p.author_id, 0) AS parent_author_id").
		Where("c.id IN (WITH RECURSIVE below(id) AS ("+seed+
			" UNION ALL SELECT r.id FROM comments AS r JOIN below ON r.parent_id = below.id) SELECT id FROM below)", args...).
		Where("c.local AND c.deleted_at IS NULL AND c.hidden_at IS NULL").
		OrderExpr("c.id").Scan(ctx, &rows)
	if err != nil {
		return nil, dbErr("local comments under", err)
	}
	var ids []int64
	for _, r := range rows {
		ids = append(ids, r.AuthorID)
		if r.ParentAuthorID != 0 {
			ids = append(ids, r.ParentAuthorID)
		}
	}
	slices.Sort(ids)
	actors := map[int64]*Actor{}
	for _, chunk := range chunkIDs(slices.Compact(ids), 400) {
		as, err := s.ActorsByIDs(ctx, chunk)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			actors[a.ID] = a
		}
	}
	out := make([]CommentCopy, len(rows))
	for i, r := range rows {
		out[i] = CommentCopy{
			Comment:      &Comment{ID: r.ID, URI: r.URI, AuthorID: r.AuthorID, ParentID: r.ParentID, Local: true, Author: actors[r.AuthorID]},
			ParentAuthor: actors[r.ParentAuthorID],
		}
	}
	return out, nil
}

// DraftComments lists, oldest first, the local comments written on a
// local debate before it opened (staff preparing a draft: commentObject)
// that threads show to everyone (shownComments, tombstones left out),
// with their authors. Peers never got them: a comment is federated only
// once its debate is public, so the Create of the debate brings them.
// A debate never opened has none.
func (s *Store) DraftComments(ctx context.Context, d *Debate) ([]*Comment, error) {
	if d.OpensAt == nil || !d.Local {
		return nil, nil
	}
	var out []*Comment
	err := s.DB.NewSelect().Model(&out).Relation("Author").
		Where("c.id IN ("+shownComments("h.object_type = ? AND h.object_id = ?")+")", ObjectTypeDebate, d.ID).
		Where("c.local AND c.deleted_at IS NULL AND c.created_at <= ?", *d.OpensAt).
		OrderExpr("c.id").Scan(ctx)
	return out, dbErr("draft comments", err)
}
