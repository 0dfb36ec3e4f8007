package models

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Object types of civic content: the object_type of comments, reports,
// events and the moderation map.
const (
	ObjectTypeProposal = "proposal"
	ObjectTypeDebate   = "debate"
	ObjectTypePetition = "petition"
	ObjectTypeComment  = "comment"
)

// civicObject describes a table of civic content that can be commented,
// reported and hidden. Every such table has the columns uri, space_id,
// consultation_id, author_id, hidden_at and deleted_at (TEAM.md).
type civicObject struct {
	table       string
	label       string // SQL expression naming the object in the moderation queue
	commentable bool
}

// civicObjects maps an object type to its table: moderation hides by
// setting hidden_at there, and comments check their target there.
var civicObjects = map[string]civicObject{
	ObjectTypeProposal: {table: "proposals", label: "title", commentable: true},
	ObjectTypeDebate:   {table: "debates", label: "question", commentable: true},
	ObjectTypePetition: {table: "petitions", label: "title", commentable: true},
	ObjectTypeComment:  {table: "comments", label: "body_html", commentable: false}, // rendered: labels are PlainText of HTML
}

// CommentableTypes lists the object types that take comments.
var CommentableTypes = []string{ObjectTypeProposal, ObjectTypeDebate, ObjectTypePetition}

// objectRef is what rules need to know about a civic object of any type.
type objectRef struct {
	Type           string     `bun:"-"`
	ID             int64      `bun:"id"`
	URI            string     `bun:"uri"`
	URL            string     `bun:"url"`
	Local          bool       `bun:"local"`
	SpaceID        int64      `bun:"space_id,nullzero"`
	ConsultationID int64      `bun:"consultation_id,nullzero"`
	AuthorID       int64      `bun:"author_id"`
	Label          string     `bun:"label"`
	HiddenAt       *time.Time `bun:"hidden_at"`
	DeletedAt      *time.Time `bun:"deleted_at"`
}

// lookupObject loads the common columns of a civic object; an unknown type
// or id is ErrNotFound.
func lookupObject(ctx context.Context, db bun.IDB, typ string, id int64) (*objectRef, error) {
	o, ok := civicObjects[typ]
	if !ok {
		return nil, ErrNotFound
	}
	ref := &objectRef{Type: typ}
	err := db.NewSelect().TableExpr("?", bun.Ident(o.table)).
		ColumnExpr("id, uri, url, local, space_id, consultation_id, author_id, hidden_at, deleted_at").
		ColumnExpr("? AS label", bun.Ident(o.label)).
		Where("id = ?", id).Scan(ctx, ref)
	if err != nil {
		return nil, dbErr("lookup "+typ, err)
	}
	return ref, nil
}

// ObjectAuthor returns the actor id of the author of a civic object
// (proposal, debate, petition or comment); ErrNotFound for no such object.
func (s *Store) ObjectAuthor(ctx context.Context, typ string, id int64) (int64, error) {
	o, err := lookupObject(ctx, s.DB, typ, id)
	if err != nil {
		return 0, err
	}
	return o.AuthorID, nil
}

// lookupObjectByURI finds which commentable object has the ActivityPub id
// uri, for remote replies.
func lookupObjectByURI(ctx context.Context, db bun.IDB, uri string) (*objectRef, error) {
	for _, typ := range CommentableTypes {
		var id int64
		err := db.NewSelect().TableExpr("?", bun.Ident(civicObjects[typ].table)).Column("id").
			Where("uri = ?", uri).Limit(1).Scan(ctx, &id)
		if err := dbErr("lookup by uri", err); err == ErrNotFound {
			continue
		} else if err != nil {
			return nil, err
		}
		return lookupObject(ctx, db, typ, id)
	}
	return nil, ErrNotFound
}

// visible reports whether the object may be shown to and acted on by
// everyone (not hidden by moderation, not deleted).
func (o *objectRef) visible() bool { return o.HiddenAt == nil && o.DeletedAt == nil }

// ObjectInfo is what pages need to know about a civic object of any
// type: where it lives on the web and whether moderation hid it.
type ObjectInfo struct {
	// URL is its permalink on this instance for local objects (the URI,
	// which content-negotiates), the origin's page for remote ones.
	URL    string
	Hidden bool
}

// Object describes a proposal, debate, petition or comment; unknown and
// deleted objects are ErrNotFound.
func (s *Store) Object(ctx context.Context, typ string, id int64) (*ObjectInfo, error) {
	o, err := lookupObject(ctx, s.DB, typ, id)
	if err != nil {
		return nil, err
	}
	if o.DeletedAt != nil {
		return nil, ErrNotFound
	}
	info := &ObjectInfo{URL: o.URI, Hidden: o.HiddenAt != nil}
	if !o.Local && o.URL != "" {
		info.URL = o.URL
	}
	return info, nil
}
