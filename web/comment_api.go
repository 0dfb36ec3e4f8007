package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// commentKinds maps the API's plural kinds to object types.
var commentKinds = map[string]string{
	"proposals": models.ObjectTypeProposal,
	"debates":   models.ObjectTypeDebate,
	"petitions": models.ObjectTypePetition,
}

func init() {
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		// One route per kind: chi prefers static segments, so a
		// /{kind}/… wildcard would lose to /proposals/{id}/support.
		for kind, typ := range commentKinds {
			r.Get("/"+kind+"/{id}/comments", s.apiComments(typ))
			r.With(s.requireAccount).Post("/"+kind+"/{id}/comments", s.apiCreateComment(typ))
		}
		r.Get("/comments/{id}", s.apiComment)
		r.With(s.requireAccount).Patch("/comments/{id}", s.apiEditComment)
		r.With(s.requireAccount).Delete("/comments/{id}", s.apiDeleteComment)
		r.With(s.requireAccount).Post("/reports", s.apiCreateReport)
	})
}

// apiCommentJSON is a comment in the API; Replies nest a thread.
type apiCommentJSON struct {
	apiObject
	ObjectType string            `json:"object_type"`
	ObjectID   string            `json:"object_id"`
	InReplyTo  string            `json:"in_reply_to,omitempty"`
	Author     string            `json:"author,omitempty"`
	AuthorURI  string            `json:"author_uri,omitempty"`
	Stance     string            `json:"stance,omitempty"`
	Body       string            `json:"body"`
	BodyHTML   string            `json:"body_html"`
	Deleted    bool              `json:"deleted,omitempty"`
	Hidden     bool              `json:"hidden,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	EditedAt   *time.Time        `json:"edited_at,omitempty"`
	Replies    []*apiCommentJSON `json:"replies,omitempty"`
}

func (s *Server) commentJSON(c *models.Comment) *apiCommentJSON {
	out := &apiCommentJSON{
		apiObject:  apiObject{ID: strconv.FormatInt(c.ID, 10), URI: c.URI, URL: s.opts.BaseURL + "/c/" + strconv.FormatInt(c.ID, 10)},
		ObjectType: c.ObjectType, ObjectID: strconv.FormatInt(c.ObjectID, 10), Stance: c.Stance, Body: c.Body, BodyHTML: c.BodyHTML,
		Deleted: c.Deleted(), Hidden: c.Hidden(), CreatedAt: c.CreatedAt, EditedAt: c.EditedAt,
	}
	if !c.Local {
		out.Origin = c.Origin
	}
	if c.ParentID != 0 {
		out.InReplyTo = strconv.FormatInt(c.ParentID, 10)
	}
	if c.Author != nil && !c.Deleted() && !c.Author.Erased() {
		out.Author, out.AuthorURI = c.Author.Handle(), c.Author.URI
	}
	for _, r := range c.Replies {
		out.Replies = append(out.Replies, s.commentJSON(r))
	}
	return out
}

// apiComments lists an object's threads (?cursor=&limit=&stance=), each
// with its replies nested; who may not see the object gets its answer
// (404 for a draft, 410 when hidden).
func (s *Server) apiComments(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			s.error(w, r, err)
			return
		}
		acc := currentAccount(r.Context())
		mod := acc.IsModerator()
		if hiddenAt, err := s.store.CommentsHiddenAt(r.Context(), acc, typ, id); err != nil {
			s.error(w, r, err) // 404 for a draft debate, as its own page
			return
		} else if hiddenFrom(acc, hiddenAt) {
			s.renderHidden(w, r)
			return
		}
		cursor, limit := pageParams(r)
		after, err := idCursor(cursor)
		if err != nil {
			s.error(w, r, err)
			return
		}
		q := models.CommentQuery{ObjectType: typ, ObjectID: id, After: after, Limit: limit, Moderator: mod}
		if st, ok := r.URL.Query()["stance"]; ok {
			q.Stances = st
		}
		page, err := s.store.CommentThreads(r.Context(), q)
		if err != nil {
			s.error(w, r, err)
			return
		}
		out := list[*apiCommentJSON]{Items: []*apiCommentJSON{}}
		for _, c := range page.Threads {
			out.Items = append(out.Items, s.commentJSON(c))
		}
		if page.Next != 0 {
			out.NextCursor = strconv.FormatInt(page.Next, 10)
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// apiCommentInput is POST /api/v1/{kind}/{id}/comments.
type apiCommentInput struct {
	Body      string `json:"body"`
	InReplyTo string `json:"in_reply_to"`
	Stance    string `json:"stance"`
}

func (s *Server) apiCreateComment(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			s.error(w, r, err)
			return
		}
		var in apiCommentInput
		if err := decodeJSON(w, r, &in); err != nil {
			s.error(w, r, err)
			return
		}
		ci := models.CommentInput{ObjectType: typ, ObjectID: id, Body: in.Body, Stance: in.Stance}
		if in.InReplyTo = strings.TrimSpace(in.InReplyTo); in.InReplyTo != "" {
			if ci.ParentID, err = strconv.ParseInt(in.InReplyTo, 10, 64); err != nil || ci.ParentID <= 0 {
				s.error(w, r, models.Invalid("in_reply_to", "The comment you answer does not exist."))
				return
			}
		}
		c, err := s.store.CreateComment(r.Context(), currentAccount(r.Context()).Actor, ci)
		if err != nil {
			s.error(w, r, err)
			return
		}
		w.Header().Set("Location", s.opts.BaseURL+"/api/v1/comments/"+strconv.FormatInt(c.ID, 10))
		writeJSON(w, http.StatusCreated, s.commentJSON(c))
	}
}

// apiComment is one comment with its replies; 410 when it, a comment it
// answers or its object is hidden, 404 on a draft debate (but for
// moderators).
func (s *Server) apiComment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	acc := currentAccount(r.Context())
	c, err := s.store.CommentSubtree(r.Context(), id, acc.IsModerator())
	if err != nil {
		s.error(w, r, err)
		return
	}
	if hiddenAt, err := s.store.CommentHiddenAt(r.Context(), acc, c); err != nil {
		s.error(w, r, err)
		return
	} else if hiddenFrom(acc, hiddenAt) {
		s.renderHidden(w, r)
		return
	}
	setETag(w, c.Version)
	writeJSON(w, http.StatusOK, s.commentJSON(c))
}

// apiEditComment is the author's edit of a local comment within
// models.CommentEditWindow (the page's /c/{id}/edit): {"body"} replaces
// its text, which stays when left out.
func (s *Server) apiEditComment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		// Who first: a member who may not edit learns nothing of the input.
		err = s.store.MayEditComment(r.Context(), currentAccount(r.Context()).Actor, id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	want, err := ifMatch(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	c, err := s.store.CommentByID(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	in := struct {
		Body string `json:"body"`
	}{Body: c.Body}
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if c, err = s.store.EditComment(r.Context(), currentAccount(r.Context()).Actor, id, in.Body, want); err != nil {
		s.error(w, r, err)
		return
	}
	setETag(w, c.Version)
	writeJSON(w, http.StatusOK, s.commentJSON(c))
}

// apiDeleteComment erases a comment's text, its replies staying (the
// page's /c/{id}/delete): its author, or a moderator (audited).
func (s *Server) apiDeleteComment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.store.DeleteComment(r.Context(), currentAccount(r.Context()), id); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiReportInput is POST /api/v1/reports.
type apiReportInput struct {
	ObjectType string `json:"object_type"`
	ObjectID   string `json:"object_id"`
	Reason     string `json:"reason"`
	Forward    bool   `json:"forward"` // send it on to the content's server (off unless asked)
}

type apiReportJSON struct {
	ID         string    `json:"id"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
}

func (s *Server) apiCreateReport(w http.ResponseWriter, r *http.Request) {
	var in apiReportInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	var id int64
	if in.ObjectType == models.ObjectTypeAccount {
		// An account is named by its user name, as on its profile.
		a, err := s.store.LocalActorByUsername(r.Context(), in.ObjectID)
		if err != nil {
			s.error(w, r, err)
			return
		}
		id = a.ID
	} else {
		var err error
		if id, err = strconv.ParseInt(in.ObjectID, 10, 64); err != nil {
			s.error(w, r, models.Invalid("object_id", "Unknown object."))
			return
		}
	}
	rep, err := s.store.CreateReport(r.Context(), currentAccount(r.Context()).Actor,
		models.ReportInput{ObjectType: in.ObjectType, ObjectID: id, Reason: in.Reason, Forward: in.Forward})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiReportJSON{ID: strconv.FormatInt(rep.ID, 10), ObjectType: rep.ObjectType,
		ObjectID: in.ObjectID, Status: rep.Status, CreatedAt: rep.CreatedAt})
}
