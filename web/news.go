package web

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Get("/s/{name}/news", s.newsList)
		r.Get("/s/{name}/news.atom", s.newsAtom)
		r.Get("/news/{id}", s.newsPage)
		r.Group(func(r chi.Router) {
			// Moderators' forms: the role before the form is read
			// (models checks it again).
			r.Use(s.requireAccount)
			r.Get("/s/{name}/news/new", s.newsForm)
			r.With(s.requireModerator).Post("/s/{name}/news/new", s.newsCreate)
			r.With(s.requireModerator).Post("/news/{id}/delete", s.newsDelete)
			r.Get("/news/{id}/edit", s.newsEditForm)
			r.With(s.requireModerator).Post("/news/{id}/edit", s.newsEdit)
		})
	})
}

func (s *Server) newsList(w http.ResponseWriter, r *http.Request) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	news, err := s.store.ListNews(r.Context(), sp.ID, models.NewsFilter{Before: before, Limit: 20})
	if err != nil {
		s.error(w, r, err)
		return
	}
	next := ""
	if len(news) == 20 {
		next = "/s/" + sp.Name + "/news?before=" + strconv.FormatInt(news[len(news)-1].ID, 10)
	}
	v := &newsListView{Space: sp, News: news, Next: next, Moderator: currentAccount(r.Context()).IsModerator()}
	s.render(w, r, http.StatusOK, newsPage(s.page(r, s.localeFor(r).T("news.title", sp.Title)), v))
}

func (s *Server) newsPage(w http.ResponseWriter, r *http.Request) {
	if s.wantsActivity(r) {
		s.opts.Federation.ServeObject(w, r, "news", chi.URLParam(r, "id"))
		return
	}
	id, err := pathID(r)
	var n *models.News
	if err == nil {
		n, err = s.store.NewsByID(r.Context(), id)
	}
	var sp *models.Space
	if err == nil {
		sp, err = s.store.SpaceByID(r.Context(), n.SpaceID)
	}
	var c *models.Consultation
	if err == nil && n.ConsultationID != nil {
		if c, err = s.store.ConsultationByID(r.Context(), *n.ConsultationID); err == models.ErrNotFound {
			c, err = nil, nil
		}
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := &newsItemView{N: n, Space: sp, Consultation: c, Moderator: currentAccount(r.Context()).IsModerator()}
	p := s.page(r, n.Title)
	p.Alternate = n.URI
	s.render(w, r, http.StatusOK, newsItemPage(p, v))
}

// newsFormView is the form of a news post: a new one, or the edit of
// News (its consultation then stays, and is not offered).
type newsFormView struct {
	Space         *models.Space
	News          *models.News
	Input         models.NewsInput
	Consultations []*models.Consultation
	Errors        map[string]string
	Edit          editVersion // editing
}

func (f *newsFormView) setErrors(e map[string]string) { f.Errors = e }

func (s *Server) newsFormData(r *http.Request) (*newsFormView, error) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return nil, err
	}
	if !currentAccount(r.Context()).IsModerator() {
		return nil, models.ErrForbidden
	}
	f := &newsFormView{Space: sp}
	f.Consultations, err = s.store.ListConsultations(r.Context(), sp.ID, models.ConsultationFilter{Limit: 100})
	return f, err
}

func (s *Server) newsForm(w http.ResponseWriter, r *http.Request) {
	f, err := s.newsFormData(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	f.Input.Consultation, _ = strconv.ParseInt(r.URL.Query().Get("consultation"), 10, 64)
	s.render(w, r, http.StatusOK, newsFormPage(s.page(r, s.localeFor(r).T("news.new")), f))
}

func (s *Server) newsCreate(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	f, err := s.newsFormData(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	f.Input = models.NewsInput{Title: r.PostFormValue("title"), Body: r.PostFormValue("body")}
	f.Input.Consultation, _ = strconv.ParseInt(r.PostFormValue("consultation"), 10, 64)
	n, err := s.store.PublishNews(r.Context(), currentAccount(r.Context()), f.Space.Name, f.Input)
	if formError(s, w, r, err, "news.new", f, newsFormPage) {
		return
	}
	redirect(w, r, "/news/"+strconv.FormatInt(n.ID, 10), "news.published")
}

// newsEditData is the edit form of the news post of the URL, for
// moderators.
func (s *Server) newsEditData(r *http.Request) (*newsFormView, error) {
	if !currentAccount(r.Context()).IsModerator() {
		return nil, models.ErrForbidden
	}
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	n, err := s.store.NewsByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	sp, err := s.store.SpaceByID(r.Context(), n.SpaceID)
	if err != nil {
		return nil, err
	}
	return &newsFormView{Space: sp, News: n, Input: models.NewsInput{Title: n.Title, Body: n.Body}, Edit: editVersion{Version: n.Version}}, nil
}

// newsEditForm is the moderators' edit form of a news post.
func (s *Server) newsEditForm(w http.ResponseWriter, r *http.Request) {
	f, err := s.newsEditData(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, newsFormPage(s.page(r, s.localeFor(r).T("news.edit")), f))
}

// newsEdit saves a moderator's edit of a news post (models.UpdateNews:
// its followers get the Article's Update).
func (s *Server) newsEdit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	f, err := s.newsEditData(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	f.Input = models.NewsInput{Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), IfVersion: formVersion(r)}
	f.Edit.Version = f.Input.IfVersion
	n, err := s.store.UpdateNews(r.Context(), currentAccount(r.Context()), f.News.ID, f.Input)
	if editConflict(s, w, r, err, "news.edit", f, &f.Edit, "/news/"+strconv.FormatInt(f.News.ID, 10), newsFormPage) {
		return
	}
	if formError(s, w, r, err, "news.edit", f, newsFormPage) {
		return
	}
	redirect(w, r, "/news/"+strconv.FormatInt(n.ID, 10), "news.saved")
}

func (s *Server) newsDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var n *models.News
	if err == nil {
		n, err = s.store.NewsByID(r.Context(), id)
	}
	var sp *models.Space
	if err == nil {
		sp, err = s.store.SpaceByID(r.Context(), n.SpaceID)
	}
	if err == nil {
		err = s.store.DeleteNews(r.Context(), currentAccount(r.Context()), id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/s/"+sp.Name+"/news", "news.deleted")
}

// newsAtom is the Atom feed of a space's news (the feed types are those
// of feed.go).
func (s *Server) newsAtom(w http.ResponseWriter, r *http.Request) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	news, err := s.store.ListNews(r.Context(), sp.ID, models.NewsFilter{Limit: 50})
	if err != nil {
		s.error(w, r, err)
		return
	}
	base := s.opts.BaseURL
	updated := sp.UpdatedAt
	feed := atomFeed{NS: atomNS, Lang: s.localeFor(r).Lang, ID: base + "/s/" + sp.Name + "/news.atom",
		Title: s.localeFor(r).T("news.title", sp.Title), Rights: sp.Licence, Gen: atomGen{Name: "odn", Version: s.opts.Version},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + "/s/" + sp.Name + "/news.atom"},
			{Rel: "alternate", Type: "text/html", Href: base + "/s/" + sp.Name + "/news"}},
		Author: &atomPerson{Name: sp.Title, URI: base + "/s/" + sp.Name}}
	for _, n := range news {
		if n.UpdatedAt.After(updated) {
			updated = n.UpdatedAt
		}
		author := atomPerson{Name: sp.Title}
		if n.Author != nil && !n.Author.Erased() {
			author = atomPerson{Name: n.Author.DisplayName(), URI: n.Author.URL}
		}
		feed.Entries = append(feed.Entries, atomEntry{ID: n.URI, Title: n.Title, Updated: atomTime(n.UpdatedAt), Published: atomTime(n.PublishedAt),
			Links:  []atomLink{{Rel: "alternate", Type: "text/html", Href: base + "/news/" + strconv.FormatInt(n.ID, 10)}},
			Author: author, Content: atomText{Type: "html", Body: n.BodyHTML}})
	}
	feed.Updated = atomTime(updated)
	s.sendAtom(w, r, feed)
}
