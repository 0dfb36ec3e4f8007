package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Get("/c/{id}", s.commentPage)
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			r.Post("/comments", s.commentCreate)
			r.Get("/c/{id}/edit", s.commentEditForm)
			r.Post("/c/{id}/edit", s.commentEdit)
			r.Post("/c/{id}/delete", s.commentDelete)
		})
	})
}

// commentViewer is what the comment components (comment.templ) know
// about who is looking.
type commentViewer struct {
	L          *Locale
	Account    *models.Account
	ActorID    int64
	Moderator  bool
	Now        time.Time
	ObjectType string
	ObjectID   int64
	// Back is the local page to return to after posting.
	Back string
}

func (s *Server) commentViewer(r *http.Request, objectType string, objectID int64, back string) *commentViewer {
	acc := currentAccount(r.Context())
	v := &commentViewer{L: s.localeFor(r), Account: acc, Moderator: acc.IsModerator(), Now: s.now(),
		ObjectType: objectType, ObjectID: objectID, Back: back}
	if acc != nil && acc.Actor != nil {
		v.ActorID = acc.Actor.ID
	}
	return v
}

// CommentThreadData feeds commentThread (comment.templ): a page of
// threads and who looks at them.
type CommentThreadData struct {
	V        *commentViewer
	Comments []*models.Comment
	// None is the message key said when there are none; "" is
	// "comments.none" (a debate's argument columns say "no argument").
	None string
}

// commentSectionData feeds commentSectionBlock (comment.templ).
type commentSectionData struct {
	CommentThreadData
	Count  int
	Next   int64
	Form   *commentForm
	Anchor string
}

// commentSection renders the comments of a proposal, debate or petition:
// the count, a form to comment, a page of threads (?comments_after= is the
// cursor) and a link to the next page. Feature pages include it:
//
//	comments, err := s.commentSection(r, models.ObjectTypeProposal, p.ID)
//
// then show it in the page component (@v.Comments). On debates it lists the general
// comments only (stance ""); arguments for and against have their own
// columns.
func (s *Server) commentSection(r *http.Request, objectType string, objectID int64) (templ.Component, error) {
	after, _ := strconv.ParseInt(r.URL.Query().Get("comments_after"), 10, 64)
	v := s.commentViewer(r, objectType, objectID, r.URL.Path)
	q := models.CommentQuery{ObjectType: objectType, ObjectID: objectID, After: after, Moderator: v.Moderator}
	if objectType == models.ObjectTypeDebate {
		q.Stances = []string{models.StanceNone}
	}
	page, err := s.store.CommentThreads(r.Context(), q)
	if err != nil {
		return nil, err
	}
	n, err := s.store.CountComments(r.Context(), objectType, objectID, q.Stances...)
	if err != nil {
		return nil, err
	}
	return commentSectionBlock(&commentSectionData{
		CommentThreadData: CommentThreadData{V: v, Comments: page.Threads},
		Count:             n, Next: page.Next, Anchor: "comments",
		Form: &commentForm{Input: models.CommentInput{ObjectType: objectType, ObjectID: objectID}, Back: v.Back},
	}), nil
}

// commentForm is the new-comment, reply and edit form.
type commentForm struct {
	Input   models.CommentInput
	Back    string
	Errors  map[string]string
	Parent  *models.Comment
	Editing *models.Comment
	Edit    editVersion // editing
}

func (f *commentForm) setErrors(e map[string]string) { f.Errors = e }

func (s *Server) commentCreate(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	acc := currentAccount(r.Context())
	in := models.CommentInput{
		ObjectType: r.PostFormValue("object_type"), Body: r.PostFormValue("body"), Stance: r.PostFormValue("stance"),
	}
	in.ObjectID, _ = strconv.ParseInt(r.PostFormValue("object_id"), 10, 64)
	in.ParentID, _ = strconv.ParseInt(r.PostFormValue("in_reply_to"), 10, 64)
	back := localPath(r.PostFormValue("back"))
	c, err := s.store.CreateComment(r.Context(), acc.Actor, in)
	f := &commentForm{Input: in, Back: back}
	if err != nil && in.ParentID != 0 {
		f.Parent, _ = s.store.CommentByID(r.Context(), in.ParentID)
	}
	if formError(s, w, r, err, "comments.write", f, commentFormPage) {
		return
	}
	redirect(w, r, back+"#c-"+strconv.FormatInt(c.ID, 10), "comments.created")
}

// commentPage is a comment's permalink: the comment with its replies and a
// reply form, or its ActivityStreams Note for fediverse servers. A hidden
// comment, one below a hidden comment or on a hidden object answers 410,
// one on a draft debate 404, to everyone but moderators
// (models.CommentHiddenAt).
func (s *Server) commentPage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if s.wantsActivity(r) {
		s.opts.Federation.ServeObject(w, r, "comment", strconv.FormatInt(id, 10))
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
	obj, err := s.store.Object(r.Context(), c.ObjectType, c.ObjectID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := s.commentViewer(r, c.ObjectType, c.ObjectID, "/c/"+strconv.FormatInt(c.ID, 10))
	data := &commentPermalinkView{
		V: v, Comment: c, ObjectURL: obj.URL,
		Form: &commentForm{Input: models.CommentInput{ObjectType: c.ObjectType, ObjectID: c.ObjectID, ParentID: c.ID}, Back: v.Back, Parent: c},
	}
	l := s.localeFor(r)
	who := authorName(l, c.Author)
	if c.Deleted() {
		who = l.T("comments.deleted_author")
	}
	p := s.page(r, l.T("comments.permalink_title", who))
	p.Alternate = c.URI
	s.render(w, r, http.StatusOK, commentPermalinkPage(p, data))
}

func (s *Server) commentFromURL(w http.ResponseWriter, r *http.Request) *models.Comment {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return nil
	}
	c, err := s.store.CommentByID(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return nil
	}
	return c
}

func (s *Server) commentEditForm(w http.ResponseWriter, r *http.Request) {
	c := s.commentFromURL(w, r)
	if c == nil {
		return
	}
	acc := currentAccount(r.Context())
	if err := c.EditError(acc.Actor, s.now()); err != nil {
		s.error(w, r, err)
		return
	}
	f := &commentForm{Input: models.CommentInput{Body: c.Body}, Editing: c, Back: "/c/" + strconv.FormatInt(c.ID, 10),
		Edit: editVersion{Version: c.Version}}
	s.render(w, r, http.StatusOK, commentFormPage(s.page(r, s.localeFor(r).T("comments.edit_title")), f))
}

func (s *Server) commentEdit(w http.ResponseWriter, r *http.Request) {
	c := s.commentFromURL(w, r)
	if c == nil {
		return
	}
	// Who first, then the form (as the API: authorise.go).
	if err := s.store.MayEditComment(r.Context(), currentAccount(r.Context()).Actor, c.ID); err != nil {
		s.error(w, r, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	body, version := r.PostFormValue("body"), formVersion(r)
	_, err := s.store.EditComment(r.Context(), currentAccount(r.Context()).Actor, c.ID, body, version)
	f := &commentForm{Input: models.CommentInput{Body: body}, Editing: c, Back: "/c/" + strconv.FormatInt(c.ID, 10),
		Edit: editVersion{Version: version}}
	if editConflict(s, w, r, err, "comments.edit_title", f, &f.Edit, f.Back, commentFormPage) {
		return
	}
	if formError(s, w, r, err, "comments.edit_title", f, commentFormPage) {
		return
	}
	redirect(w, r, "/c/"+strconv.FormatInt(c.ID, 10), "comments.updated")
}

func (s *Server) commentDelete(w http.ResponseWriter, r *http.Request) {
	c := s.commentFromURL(w, r)
	if c == nil {
		return
	}
	if err := s.store.MayDeleteComment(r.Context(), currentAccount(r.Context()), c.ID); err != nil {
		s.error(w, r, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	if err := s.store.DeleteComment(r.Context(), currentAccount(r.Context()), c.ID); err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/c/"+strconv.FormatInt(c.ID, 10), "comments.deleted")
}

// renderHidden answers 410 with the "hidden by moderation" page.
func (s *Server) renderHidden(w http.ResponseWriter, r *http.Request) {
	if isAPI(r) {
		writeJSON(w, http.StatusGone, map[string]string{"error": "hidden by moderation"})
		return
	}
	s.renderError(w, r, http.StatusGone, "moderation.hidden", nil)
}
