package models

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Comment rules. Comments are open to every actor who can read the object:
// the space's participation policy (MayParticipate) governs votes,
// supports and signatures, not conversation, so a Mastodon user may always
// reply. Consultation phases may still close commenting.
const (
	MaxCommentBody = 5000 // characters of Markdown source
	// MaxCommentDepth is how many levels a thread nests; a reply deeper
	// than that is shown at the last level, after its parent (flat).
	MaxCommentDepth = 8
	// CommentEditWindow is how long the author may edit a comment.
	CommentEditWindow = 15 * time.Minute
	// CommentPageSize is the number of top-level threads per page.
	CommentPageSize = 50
)

// Stances of a top-level comment on a debate: an argument for or against.
const (
	StanceNone    = ""
	StanceFor     = "for"
	StanceAgainst = "against"
)

// Event kinds of comments. Data is {"object_type","object_id"} plus
// "parent_id" for replies.
const (
	EventCommentCreated = "comment.created"
	EventCommentUpdated = "comment.updated"
	EventCommentDeleted = "comment.deleted"
)

// Comment is a threaded comment on a proposal, debate or petition, local
// or received from the fediverse (Local false, Origin its host).
type Comment struct {
	bun.BaseModel  `bun:"table:comments,alias:c"`
	ID             int64      `bun:",pk,autoincrement"`
	URI            string     `bun:"uri,notnull"`
	URL            string     `bun:"url,notnull"`
	ObjectType     string     `bun:",notnull"`
	ObjectID       int64      `bun:",notnull"`
	SpaceID        int64      `bun:",nullzero"`
	ConsultationID int64      `bun:",nullzero"`
	AuthorID       int64      `bun:",notnull"`
	ParentID       int64      `bun:",nullzero"`
	RootID         int64      `bun:",nullzero"`
	Depth          int        `bun:",notnull"`
	Stance         string     `bun:",notnull"`
	Body           string     `bun:",notnull"`
	BodyHTML       string     `bun:"body_html,notnull"`
	InReplyToURI   string     `bun:"in_reply_to_uri,notnull"`
	Local          bool       `bun:",notnull"`
	Origin         string     `bun:",notnull"`
	EditedAt       *time.Time `bun:",nullzero"`
	HiddenAt       *time.Time `bun:",nullzero"`
	DeletedAt      *time.Time `bun:",nullzero"`
	CreatedAt      time.Time  `bun:",notnull"`
	UpdatedAt      time.Time  `bun:",notnull"`
	// Version counts its edits (from 1): an edit made from another one is
	// refused with ErrEditConflict (see EditVersion).
	Version int64 `bun:",notnull,default:1"`
	// Search is the folded body the site-wide search finds it by (empty
	// once deleted); every write of the body sets it (insertComment,
	// updateComment, deleteComment).
	Search string `bun:"search,notnull"`

	Author *Actor `bun:"rel:belongs-to,join:author_id=id"`
	// Replies are the comment's answers in thread order, filled by
	// CommentThreads (display tree: past MaxCommentDepth replies are
	// siblings of their parent).
	Replies []*Comment `bun:"-"`
}

// Deleted reports whether the comment is a tombstone: shown as
// "[deleted]" in its thread, its replies kept.
func (c *Comment) Deleted() bool { return c.DeletedAt != nil }

// Hidden reports whether moderation hid the comment.
func (c *Comment) Hidden() bool { return c.HiddenAt != nil }

// Editable reports whether author a may still edit the comment at now.
func (c *Comment) Editable(a *Actor, now time.Time) bool { return c.EditError(a, now) == nil }

// EditError is why a may not edit c at now (nil: they may): ErrForbidden
// for another's or a remote comment, ErrHiddenNotEditable once moderators
// hid it, ErrClosed once deleted or past CommentEditWindow. EditComment
// and the edit form both ask it.
func (c *Comment) EditError(a *Actor, now time.Time) error {
	if err := commentEditor(c, a); err != nil {
		return err
	}
	switch {
	case c.HiddenAt != nil:
		return ErrHiddenNotEditable
	case c.DeletedAt != nil || now.Sub(c.CreatedAt) > CommentEditWindow:
		return fmt.Errorf("%w: a comment can be edited for %d minutes only", ErrClosed, int(CommentEditWindow.Minutes()))
	}
	return nil
}

// CommentInput is a new local comment. ParentID 0 starts a thread; Stance
// is for top-level comments on debates only.
type CommentInput struct {
	ObjectType string `json:"object_type"`
	ObjectID   int64  `json:"object_id"`
	ParentID   int64  `json:"in_reply_to"`
	Body       string `json:"body"`
	Stance     string `json:"stance"`
}

// validateCommentBody trims and checks a Markdown body.
func validateCommentBody(v *ValidationError, body *string) {
	*body = strings.TrimSpace(*body)
	if n := utf8.RuneCountInString(*body); n == 0 || n > MaxCommentBody {
		v.Add("body", fmt.Sprintf("A comment must have 1 to %d characters.", MaxCommentBody))
	}
}

func (in *CommentInput) validate() error {
	v := &ValidationError{}
	if !slices.Contains(CommentableTypes, in.ObjectType) {
		v.Add("object_type", "Comments can be made on proposals, debates and petitions only.")
	}
	validateCommentBody(v, &in.Body)
	in.Stance = strings.TrimSpace(in.Stance)
	switch {
	case in.Stance == StanceNone:
	case in.Stance != StanceFor && in.Stance != StanceAgainst:
		v.Add("stance", "The stance must be for, against or empty.")
	case in.ObjectType != ObjectTypeDebate:
		v.Add("stance", "Only arguments in a debate take a stance.")
	case in.ParentID != 0:
		v.Add("stance", "A reply cannot take a stance; start a new argument instead.")
	}
	return v.Err()
}

// RemoteComment is a comment received from the fediverse (a Note with
// inReplyTo). ContentHTML is sanitised here; InReplyToURI is a comment or
// a proposal, debate or petition.
type RemoteComment struct {
	URI          string
	URL          string
	InReplyToURI string
	ContentHTML  string
	Published    time.Time
}

// commentEventData is the Data JSON of comment events.
type commentEventData struct {
	ObjectType string `json:"object_type"`
	ObjectID   int64  `json:"object_id"`
	ParentID   int64  `json:"parent_id,omitempty"`
}

// buildThreads turns top-level comments and the replies of their threads
// (in id order) into display trees. A reply whose parent is not in the
// set (hidden by moderation) is dropped with its own replies: hiding a
// comment hides what answers it.
func buildThreads(tops, replies []*Comment) {
	byID := make(map[int64]*Comment, len(tops)+len(replies))
	for _, c := range tops {
		c.Replies = nil
		byID[c.ID] = c
	}
	// displayParent is where a comment is shown: its parent, or past the
	// depth limit the parent's own display parent (flat at the last level).
	displayParent := map[int64]*Comment{}
	for _, c := range replies {
		p, ok := byID[c.ParentID]
		if !ok {
			continue
		}
		c.Replies = nil
		byID[c.ID] = c
		if p.Depth >= MaxCommentDepth-1 {
			if dp, ok := displayParent[p.ID]; ok {
				p = dp
			}
		}
		displayParent[c.ID] = p
		p.Replies = append(p.Replies, c)
	}
}
