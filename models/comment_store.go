package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// CommentURI is the ActivityPub id (and permalink) of a local comment.
func (u URLs) CommentURI(id int64) string { return u.Base + "/c/" + strconv.FormatInt(id, 10) }

// CreateComment adds a local comment or reply by an actor. Any actor who
// can read may comment (no space policy; a draft debate only its
// moderators); the object must not be hidden and its consultation phase
// must allow comments.
func (s *Store) CreateComment(ctx context.Context, by *Actor, in CommentInput) (*Comment, error) {
	if by == nil {
		return nil, ErrUnauthorized
	}
	if by.DeletedAt != nil {
		return nil, ErrForbidden
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	now := s.Now()
	c := &Comment{
		ObjectType: in.ObjectType, ObjectID: in.ObjectID, AuthorID: by.ID, Stance: in.Stance,
		Body: in.Body, BodyHTML: RenderMarkdown(in.Body), Local: true, CreatedAt: now, UpdatedAt: now,
	}
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		obj, err := s.commentTarget(ctx, tx, c, by)
		if err != nil {
			return err
		}
		c.InReplyToURI = obj.URI
		if in.ParentID != 0 {
			if err := s.attachParent(ctx, tx, c, in.ParentID); err != nil {
				return err
			}
		}
		return s.insertComment(ctx, tx, c, by)
	})
	if err != nil {
		return nil, err
	}
	c.Author = by
	return c, nil
}

// commentTarget loads the object by comments on (c.ObjectType and
// ObjectID), which by must be allowed to see (commentObject), must not be
// hidden and must be open to comments in its consultation's phase, and
// places c in its space and consultation.
func (s *Store) commentTarget(ctx context.Context, tx bun.IDB, c *Comment, by *Actor) (*objectRef, error) {
	obj, err := s.commentObject(ctx, tx, c.ObjectType, c.ObjectID, func() (bool, error) { return actorModerates(ctx, tx, by) })
	if err != nil {
		return nil, err
	}
	if !obj.visible() {
		return nil, ErrNotFound
	}
	ref := ConsultationRef{ID: obj.ConsultationID}
	if !obj.Local && by != nil && by.Local {
		// A member's comment on a copy goes to the origin, which applies
		// its consultation's phases: so are they here. Others' comments
		// stored on a copy are the origin's to accept.
		var err error
		if ref.RemoteID, err = copyConsultation(ctx, tx, obj.Type, obj.ID); err != nil {
			return nil, err
		}
	}
	if err := s.checkConsultation(ctx, tx, ref, ActionComment); err != nil {
		return nil, err
	}
	c.SpaceID, c.ConsultationID = obj.SpaceID, obj.ConsultationID
	return obj, nil
}

// commentObject loads the object typ/id whose comments are read or
// written, by the rule every door shares: who may see the object may see
// its comments, and add to them. Unknown, deleted and uncommentable
// objects are ErrNotFound, and so is a draft debate unless moderates
// (asked of drafts only) reports a moderator, who prepares it, as the
// debate's own page does. Hidden objects are returned: they take no
// comments, and only moderators read theirs (callers decide).
func (s *Store) commentObject(ctx context.Context, db bun.IDB, typ string, id int64, moderates func() (bool, error)) (*objectRef, error) {
	if !slices.Contains(CommentableTypes, typ) {
		return nil, ErrNotFound
	}
	obj, err := lookupObject(ctx, db, typ, id)
	if err != nil {
		return nil, err
	}
	if obj.DeletedAt != nil {
		return nil, ErrNotFound
	}
	if typ != ObjectTypeDebate { // proposals and petitions have no drafts
		return obj, nil
	}
	d := new(Debate)
	if err := db.NewSelect().Model(d).Column("phase", "opens_at", "closes_at").Where("d.id = ?", id).Scan(ctx); err != nil {
		return nil, dbErr("debate phase", err)
	}
	if d.PhaseAt(s.Now()) != DebateDraft {
		return obj, nil
	}
	if ok, err := moderates(); err != nil {
		return nil, err
	} else if !ok {
		return nil, ErrNotFound
	}
	return obj, nil
}

// actorModerates reports whether by is the actor of a moderator's (or
// administrator's) live account.
func actorModerates(ctx context.Context, db bun.IDB, by *Actor) (bool, error) {
	if by == nil || by.AccountID == nil {
		return false, nil
	}
	acc := new(Account)
	err := db.NewSelect().Model(acc).Column("role").Where("id = ? AND deleted_at IS NULL AND NOT disabled", *by.AccountID).Scan(ctx)
	if err := dbErr("commenter account", err); errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return acc.IsModerator(), nil
}

// CommentsHiddenAt applies to viewer (nil: anonymous, or a remote
// server) the rule for reading the comments of object typ/id
// (commentObject): ErrNotFound when viewer may not see the object.
// Otherwise it returns when moderation hid the object, nil when it did
// not: doors answer 410 Gone then, but to moderators.
func (s *Store) CommentsHiddenAt(ctx context.Context, viewer *Account, typ string, id int64) (*time.Time, error) {
	obj, err := s.commentObject(ctx, s.DB, typ, id, func() (bool, error) { return viewer.IsModerator(), nil })
	if err != nil {
		return nil, err
	}
	return obj.HiddenAt, nil
}

// CommentHiddenAt applies the same rule to comment c: ErrNotFound when
// viewer may not see its object, otherwise when moderation hid c, the
// nearest comment it answers (a reply below a hidden comment is hidden
// with it) or its object, nil when none is hidden. Every door that
// serves one comment (page, API, ActivityStreams) asks it.
func (s *Store) CommentHiddenAt(ctx context.Context, viewer *Account, c *Comment) (*time.Time, error) {
	objectHiddenAt, err := s.CommentsHiddenAt(ctx, viewer, c.ObjectType, c.ObjectID)
	if err != nil {
		return nil, err
	}
	at, err := threadHiddenAt(ctx, s.DB, c.ID)
	if err != nil || at != nil {
		return at, err
	}
	return objectHiddenAt, nil
}

// attachParent links c under the comment parentID, which must belong to
// the same object and still be answerable: not deleted, not hidden nor
// below a hidden comment.
func (s *Store) attachParent(ctx context.Context, tx bun.IDB, c *Comment, parentID int64) error {
	p := new(Comment)
	if err := tx.NewSelect().Model(p).Where("c.id = ?", parentID).Scan(ctx); err != nil {
		if err := dbErr("parent comment", err); err == ErrNotFound {
			return Invalid("in_reply_to", "The comment you answer does not exist.")
		} else {
			return err
		}
	}
	if p.ObjectType != c.ObjectType || p.ObjectID != c.ObjectID {
		return Invalid("in_reply_to", "The comment you answer belongs to another page.")
	}
	hiddenAt, err := threadHiddenAt(ctx, tx, p.ID)
	if err != nil {
		return err
	}
	if p.DeletedAt != nil || hiddenAt != nil {
		return Invalid("in_reply_to", "The comment you answer was removed.")
	}
	c.ParentID, c.InReplyToURI = p.ID, p.URI
	c.RootID = p.RootID
	if c.RootID == 0 {
		c.RootID = p.ID
	}
	c.Depth = min(p.Depth+1, MaxCommentDepth-1)
	return nil
}

// insertComment writes c (minting its id for local comments) and its
// event.
func (s *Store) insertComment(ctx context.Context, tx bun.IDB, c *Comment, by *Actor) error {
	c.Search = foldText(c.Body)
	if c.Local {
		c.URI = "urn:odn:pending:" + randomSecret()
	}
	if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
		return dbErr("insert comment", err)
	}
	if c.Local {
		c.URI = s.URLs.CommentURI(c.ID)
		c.URL = c.URI
		if _, err := tx.NewUpdate().Model(c).Column("uri", "url").WherePK().Exec(ctx); err != nil {
			return dbErr("set comment uri", err)
		}
	}
	if err := s.notifyReply(ctx, tx, c, by); err != nil {
		return err
	}
	return s.emitComment(ctx, tx, EventCommentCreated, c)
}

func (s *Store) emitComment(ctx context.Context, tx bun.IDB, kind string, c *Comment) error {
	data, _ := json.Marshal(commentEventData{ObjectType: c.ObjectType, ObjectID: c.ObjectID, ParentID: c.ParentID})
	return s.emit(ctx, tx, Event{Kind: kind, ObjectType: ObjectTypeComment, ObjectID: c.ID, ActorID: c.AuthorID,
		SpaceID: c.SpaceID, Data: string(data)})
}

// CreateRemoteComment stores a reply received from the fediverse, keyed
// by its URI: receiving it again returns the stored copy (a tombstone is
// never re-created). The author must be the remote actor by, whose host
// must match the comment's.
func (s *Store) CreateRemoteComment(ctx context.Context, by *Actor, in RemoteComment) (*Comment, error) {
	if by == nil || by.Local {
		return nil, ErrForbidden
	}
	if existing, err := s.CommentByURI(ctx, in.URI); err == nil {
		return existing, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if u, err := url.Parse(in.URI); err != nil || !strings.EqualFold(u.Host, by.Host) {
		return nil, fmt.Errorf("%w: comment %s is not from %s", ErrForbidden, in.URI, by.Host)
	}
	text, html, err := remoteCommentBody(in.ContentHTML)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	created := in.Published.UTC().Truncate(time.Microsecond)
	if created.IsZero() || created.After(now) {
		created = now
	}
	c := &Comment{URI: in.URI, URL: in.URL, AuthorID: by.ID, Body: text, BodyHTML: html,
		InReplyToURI: in.InReplyToURI, Local: false, Origin: strings.ToLower(by.Host), CreatedAt: created, UpdatedAt: now}
	if c.URL == "" {
		c.URL = c.URI
	}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		parent := new(Comment)
		err := tx.NewSelect().Model(parent).Where("c.uri = ?", in.InReplyToURI).Scan(ctx)
		switch err := dbErr("remote parent", err); {
		case err == nil:
			c.ObjectType, c.ObjectID = parent.ObjectType, parent.ObjectID
		case err != ErrNotFound:
			return err
		default:
			obj, err := lookupObjectByURI(ctx, tx, in.InReplyToURI)
			if err != nil {
				return err
			}
			c.ObjectType, c.ObjectID = obj.Type, obj.ID
		}
		if _, err := s.commentTarget(ctx, tx, c, by); err != nil {
			return err
		}
		if parent.ID != 0 {
			if err := s.attachParent(ctx, tx, c, parent.ID); err != nil {
				return err
			}
			c.InReplyToURI = in.InReplyToURI
		}
		return s.insertComment(ctx, tx, c, by)
	})
	if errors.Is(err, ErrDuplicate) {
		return s.CommentByURI(ctx, in.URI) // a concurrent delivery won
	}
	if err != nil {
		return nil, err
	}
	c.Author = by
	return c, nil
}

// remoteCommentBody sanitises the HTML of a remote comment and checks
// the length of its text, which is stored as the body.
func remoteCommentBody(contentHTML string) (text, html string, err error) {
	html = SanitizeHTML(contentHTML)
	text = PlainText(html)
	if n := utf8.RuneCountInString(text); n == 0 || n > MaxCommentBody {
		return "", "", Invalid("content", fmt.Sprintf("A comment must have 1 to %d characters.", MaxCommentBody))
	}
	return text, html, nil
}

// CommentByID loads a comment with its author, hidden or not; callers
// decide what a viewer may see.
func (s *Store) CommentByID(ctx context.Context, id int64) (*Comment, error) {
	c := new(Comment)
	err := s.DB.NewSelect().Model(c).Relation("Author").Where("c.id = ?", id).Scan(ctx)
	if err != nil {
		return nil, dbErr("comment by id", err)
	}
	return c, nil
}

// CommentByURI loads a comment by its ActivityPub id.
func (s *Store) CommentByURI(ctx context.Context, uri string) (*Comment, error) {
	c := new(Comment)
	err := s.DB.NewSelect().Model(c).Relation("Author").Where("c.uri = ?", uri).Scan(ctx)
	if err != nil {
		return nil, dbErr("comment by uri", err)
	}
	return c, nil
}

// EditComment lets the author of a local comment change its body within
// CommentEditWindow, unless moderators hid it (Comment.EditError); the
// thread shows when it was edited. An edit made from another version than
// the current one (ifVersion; 0 accepts any) is refused with
// ErrEditConflict.
func (s *Store) EditComment(ctx context.Context, by *Actor, id int64, body string, ifVersion int64) (*Comment, error) {
	if by == nil {
		return nil, ErrUnauthorized
	}
	return s.updateComment(ctx, id, ifVersion, func(c *Comment) error {
		// Who first (authorise.go), then the body, then what the
		// comment's state allows.
		if err := commentEditor(c, by); err != nil {
			return err
		}
		v := &ValidationError{}
		validateCommentBody(v, &body)
		if err := v.Err(); err != nil {
			return err
		}
		if err := c.EditError(by, s.Now()); err != nil {
			return err
		}
		c.Body, c.BodyHTML = body, RenderMarkdown(body)
		return nil
	})
}

// UpdateRemoteComment applies an Update from the author of a remote
// comment; the origin is authoritative, so no edit window applies.
func (s *Store) UpdateRemoteComment(ctx context.Context, by *Actor, uri, contentHTML string) (*Comment, error) {
	text, html, err := remoteCommentBody(contentHTML)
	if err != nil {
		return nil, err
	}
	c, err := s.CommentByURI(ctx, uri)
	if err != nil {
		return nil, err
	}
	return s.updateComment(ctx, c.ID, 0, func(c *Comment) error {
		if by == nil || c.AuthorID != by.ID || c.Local {
			return ErrForbidden
		}
		if c.DeletedAt != nil {
			return ErrNotFound
		}
		c.Body, c.BodyHTML = text, html
		return nil
	})
}

func (s *Store) updateComment(ctx context.Context, id, ifVersion int64, change func(*Comment) error) (*Comment, error) {
	c := new(Comment)
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		version, err := claimVersion(ctx, tx, "comments", "version", id, ifVersion)
		if err != nil {
			return err
		}
		if err := tx.NewSelect().Model(c).Where("c.id = ?", id).Scan(ctx); err != nil {
			return dbErr("load comment", err)
		}
		if err := change(c); err != nil {
			return err
		}
		now := s.Now()
		c.EditedAt, c.UpdatedAt, c.Version, c.Search = &now, now, version, foldText(c.Body)
		if _, err := tx.NewUpdate().Model(c).Column("body", "body_html", "search", "edited_at", "updated_at", "version").WherePK().Exec(ctx); err != nil {
			return dbErr("update comment", err)
		}
		return s.emitComment(ctx, tx, EventCommentUpdated, c)
	})
	if err != nil {
		return nil, err
	}
	c.Author, err = s.ActorByID(ctx, c.AuthorID)
	return c, err
}

// DeleteComment turns a comment into a tombstone: its text is erased, it
// shows as "[deleted]" and its replies stay. The author may delete their
// own comment, a moderator any comment (audited).
func (s *Store) DeleteComment(ctx context.Context, by *Account, id int64) error {
	if by == nil || by.Actor == nil {
		return ErrUnauthorized
	}
	return s.deleteComment(ctx, id, func(ctx context.Context, tx bun.Tx, c *Comment) error {
		if err := commentDeleter(c, by); err != nil || c.AuthorID == by.Actor.ID {
			return err
		}
		return s.audit(ctx, tx, by, "delete_comment", ObjectTypeComment, strconv.FormatInt(c.ID, 10), "")
	})
}

// DeleteRemoteComment applies a Delete from the author of a remote
// comment. Deleting an unknown or already deleted comment is not an error.
func (s *Store) DeleteRemoteComment(ctx context.Context, by *Actor, uri string) error {
	c, err := s.CommentByURI(ctx, uri)
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	return s.deleteComment(ctx, c.ID, func(_ context.Context, _ bun.Tx, c *Comment) error {
		if by == nil || c.AuthorID != by.ID {
			return ErrForbidden
		}
		return nil
	})
}

func (s *Store) deleteComment(ctx context.Context, id int64, allow func(ctx context.Context, tx bun.Tx, c *Comment) error) error {
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c := new(Comment)
		if err := tx.NewSelect().Model(c).Where("c.id = ?", id).Scan(ctx); err != nil {
			return dbErr("load comment", err)
		}
		if c.DeletedAt != nil {
			return nil
		}
		if err := allow(ctx, tx, c); err != nil {
			return err
		}
		now := s.Now()
		c.DeletedAt, c.UpdatedAt, c.Body, c.BodyHTML, c.Search = &now, now, "", "", ""
		if _, err := tx.NewUpdate().Model(c).Column("deleted_at", "updated_at", "body", "body_html", "search").WherePK().Exec(ctx); err != nil {
			return dbErr("delete comment", err)
		}
		return s.emitComment(ctx, tx, EventCommentDeleted, c)
	})
}

// CommentQuery selects a page of top-level threads of one object.
type CommentQuery struct {
	ObjectType string
	ObjectID   int64
	// Stances filters top-level comments by stance; nil means all.
	Stances []string
	// After is the cursor: the id of the last thread of the previous page.
	After int64
	// Limit is the number of threads (default CommentPageSize, max 100).
	Limit int
	// Moderator shows hidden comments too (marked Hidden).
	Moderator bool
}

// CommentPage is a page of threads, each with all its replies.
type CommentPage struct {
	Threads []*Comment
	// Next is the cursor of the following page, 0 when this is the last.
	Next int64
}

// CommentThreads returns a page of top-level comments, oldest first, with
// their replies as trees. It runs two queries whatever the size of the
// page: the threads, then every reply of those threads; bodies are
// stored sanitised, so nothing is rendered here.
func (s *Store) CommentThreads(ctx context.Context, q CommentQuery) (*CommentPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = CommentPageSize
	}
	limit = min(limit, 100)
	var tops []*Comment
	sel := s.DB.NewSelect().Model(&tops).Relation("Author").
		Where("c.object_type = ? AND c.object_id = ? AND c.parent_id IS NULL", q.ObjectType, q.ObjectID).
		Where("c.id > ?", q.After).OrderExpr("c.id ASC").Limit(int64(limit + 1))
	if q.Stances != nil {
		sel = sel.Where("c.stance IN (?)", bun.In(q.Stances))
	}
	if !q.Moderator {
		sel = sel.Where("c.hidden_at IS NULL")
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, dbErr("comment threads", err)
	}
	page := &CommentPage{Threads: tops}
	if len(tops) > limit {
		page.Threads = tops[:limit]
		page.Next = page.Threads[limit-1].ID
	}
	if len(page.Threads) == 0 {
		return page, nil
	}
	roots := make([]int64, len(page.Threads))
	for i, c := range page.Threads {
		roots[i] = c.ID
	}
	var replies []*Comment
	rsel := s.DB.NewSelect().Model(&replies).Relation("Author").
		Where("c.root_id IN (?)", bun.In(roots)).OrderExpr("c.id ASC")
	if !q.Moderator {
		rsel = rsel.Where("c.hidden_at IS NULL")
	}
	if err := rsel.Scan(ctx); err != nil {
		return nil, dbErr("comment replies", err)
	}
	buildThreads(page.Threads, replies)
	return page, nil
}

// CommentSubtree loads a comment with all its replies as a tree (for its
// permalink page), hidden ones only for moderators.
func (s *Store) CommentSubtree(ctx context.Context, id int64, moderator bool) (*Comment, error) {
	c, err := s.CommentByID(ctx, id)
	if err != nil {
		return nil, err
	}
	root := c.RootID
	if root == 0 {
		root = c.ID
	}
	var replies []*Comment
	q := s.DB.NewSelect().Model(&replies).Relation("Author").Where("c.root_id = ? AND c.id > ?", root, c.ID).OrderExpr("c.id ASC")
	if !moderator {
		q = q.Where("c.hidden_at IS NULL")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, dbErr("comment subtree", err)
	}
	buildThreads([]*Comment{c}, replies)
	return c, nil
}

// CountComments counts the comments of an object that its threads show
// to everyone (shownComments), tombstones excluded; with stances, only
// the threads of those stances (their replies included).
func (s *Store) CountComments(ctx context.Context, objectType string, objectID int64, stances ...string) (int, error) {
	tops, args := "h.object_type = ? AND h.object_id = ?", []any{objectType, objectID}
	if len(stances) > 0 {
		tops, args = tops+" AND h.stance IN (?)", append(args, bun.In(stances))
	}
	n, err := s.DB.NewSelect().Model((*Comment)(nil)).Where("c.deleted_at IS NULL").
		Where("c.id IN ("+shownComments(tops)+")", args...).Count(ctx)
	return int(n), dbErr("count comments", err)
}

// shownComments is a subquery selecting the ids of the comments that
// threads show to everyone, tombstones included: those not hidden by
// moderation and not below a hidden comment, however deep (buildThreads
// drops a hidden comment's replies with it; docs/MODERATION.md). It walks
// down from the top-level comments matching tops, a condition on alias h,
// through parent_id (indexes comments_threads and comments_parent), so it
// reads only the threads it counts. Depth cannot be used instead: it
// stops counting at MaxCommentDepth.
func shownComments(tops string) string {
	return "WITH RECURSIVE shown(id) AS (" +
		"SELECT h.id FROM comments AS h WHERE h.parent_id IS NULL AND h.hidden_at IS NULL AND (" + tops + ")" +
		" UNION ALL SELECT r.id FROM comments AS r JOIN shown ON r.parent_id = shown.id WHERE r.hidden_at IS NULL" +
		") SELECT id FROM shown"
}

// threadHiddenAt returns when moderation hid comment id or the nearest
// comment it answers, nil when none is hidden: a reply below a hidden
// comment is hidden with it.
func threadHiddenAt(ctx context.Context, db bun.IDB, id int64) (*time.Time, error) {
	var hidden []*Comment
	err := db.NewSelect().Model(&hidden).Column("id", "hidden_at").
		Where("c.id IN (WITH RECURSIVE up(id, parent_id) AS ("+
			"SELECT id, parent_id FROM comments WHERE id = ?"+
			" UNION ALL SELECT p.id, p.parent_id FROM comments AS p JOIN up ON p.id = up.parent_id"+
			") SELECT id FROM up)", id).
		Where("c.hidden_at IS NOT NULL").OrderExpr("c.id DESC").Limit(1).Scan(ctx)
	if err != nil || len(hidden) == 0 {
		return nil, dbErr("comment ancestors", err)
	}
	return hidden[0].HiddenAt, nil
}

// notifyReply tells the local author of the answered comment that someone
// replied (not when they answer themselves).
func (s *Store) notifyReply(ctx context.Context, tx bun.IDB, c *Comment, by *Actor) error {
	if c.ParentID == 0 {
		return nil
	}
	var accountIDs []int64
	err := tx.NewSelect().TableExpr("comments AS p").Join("JOIN actors AS a ON a.id = p.author_id").
		ColumnExpr("a.account_id").Where("p.id = ? AND a.account_id IS NOT NULL AND a.id <> ?", c.ParentID, by.ID).
		Scan(ctx, &accountIDs)
	if err != nil {
		return dbErr("reply author", err)
	}
	return s.Notify(ctx, tx, accountIDs, Notification{Kind: NotifyCommentReply, ObjectType: ObjectTypeComment, ObjectID: c.ID, ActorID: by.ID})
}
