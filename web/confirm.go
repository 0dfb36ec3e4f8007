package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// Actions that cannot be undone (deleting, withdrawing, opening or closing
// a vote) take two steps in the HTML door: their button is a link to a GET
// of the action's own path, which answers a confirmation page saying what
// will happen; its form POSTs to that path, as the button did. Without
// JavaScript, the keyboard and screen readers get an ordinary page and an
// ordinary form; the POST endpoints themselves are unchanged, so a form
// posted straight to them (the JSON API has its own) still does the action.

func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			for _, c := range confirmations {
				r.Get(c.path, s.confirmPage(c))
			}
		})
	})
}

// confirmView is a confirmation page: what will be done (Kind names the
// messages confirm.<Kind>.title, .text and .submit) to which Object (a
// title, a comment's first words), the path Action the form posts to, and
// the page Back to which "cancel" leads.
type confirmView struct {
	Kind, Object, Action, Back string
}

// confirmation is one action that asks first: the GET route of its path,
// and load, which finds the object of the request's URL, refuses a member
// who may not do the action, and fills the page.
type confirmation struct {
	kind, path string
	load       func(s *Server, r *http.Request, acc *models.Account) (*confirmView, error)
}

// confirmations are the irreversible actions of the pages.
var confirmations = []confirmation{
	{"comment_delete", "/c/{id}/delete", confirmCommentDelete},
	{"proposal_withdraw", "/p/{id}/withdraw", confirmProposalWithdraw},
	{"debate_open", "/d/{id}/open", confirmDebatePhase(models.DebateOpen)},
	{"debate_close", "/d/{id}/close", confirmDebatePhase(models.DebateClosed)},
	{"consultation_delete", "/consultations/{id}/delete", confirmConsultationDelete},
	{"theme_delete", "/consultations/{id}/themes/{theme}/delete", confirmThemeDelete},
	{"document_delete", "/consultations/{id}/documents/{doc}/delete", confirmDocumentDelete},
	{"workshop_delete", "/w/{id}/delete", confirmWorkshopDelete},
	{"news_delete", "/news/{id}/delete", confirmNewsDelete},
	{"petition_close", "/pe/{id}/close", confirmPetitionClose},
}

// confirmPage answers the confirmation page of c.
func (s *Server) confirmPage(c confirmation) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := c.load(s, r, currentAccount(r.Context()))
		if err != nil {
			s.error(w, r, err)
			return
		}
		v.Kind, v.Action = c.kind, r.URL.Path
		s.render(w, r, http.StatusOK, confirmActionPage(s.page(r, s.localeFor(r).T("confirm."+c.kind+".title")), v))
	}
}

// confirmExcerpt is the first words of a text, to name what the page is
// about.
func confirmExcerpt(text string) string {
	return models.Excerpt(strings.Join(strings.Fields(text), " "), 120)
}

// urlID is the id of the URL parameter name.
func urlID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, models.ErrNotFound
	}
	return id, nil
}

func confirmCommentDelete(s *Server, r *http.Request, acc *models.Account) (*confirmView, error) {
	id, err := urlID(r, "id")
	if err != nil {
		return nil, err
	}
	c, err := s.store.CommentByID(r.Context(), id)
	switch {
	case err != nil:
		return nil, err
	case c.DeletedAt != nil:
		return nil, models.ErrNotFound
	case c.AuthorID != acc.Actor.ID && !acc.IsModerator():
		return nil, models.ErrForbidden
	}
	return &confirmView{Object: confirmExcerpt(c.Body), Back: "/c/" + strconv.FormatInt(c.ID, 10)}, nil
}

func confirmProposalWithdraw(s *Server, r *http.Request, acc *models.Account) (*confirmView, error) {
	id, err := urlID(r, "id")
	if err != nil {
		return nil, err
	}
	p, err := s.store.ProposalByID(r.Context(), id)
	switch {
	case err != nil:
		return nil, err
	case p.AuthorID != acc.Actor.ID || !p.Local:
		return nil, models.ErrForbidden
	case !p.Withdrawable():
		return nil, models.ErrClosed
	}
	cc, err := s.store.ConsultationContextOf(r.Context(), p.ConsultationRef())
	if err != nil {
		return nil, err
	}
	if refused := cc.Refusal(models.ActionPropose); refused != nil { // as the page offers it
		return nil, refused
	}
	return &confirmView{Object: p.Title, Back: "/p/" + strconv.FormatInt(p.ID, 10)}, nil
}

// confirmDebatePhase confirms opening (a draft) or closing (a debate not
// closed yet) a vote.
func confirmDebatePhase(to string) func(s *Server, r *http.Request, acc *models.Account) (*confirmView, error) {
	return func(s *Server, r *http.Request, acc *models.Account) (*confirmView, error) {
		if !acc.IsModerator() {
			return nil, models.ErrForbidden
		}
		id, err := urlID(r, "id")
		if err != nil {
			return nil, err
		}
		d, err := s.store.DebateByID(r.Context(), id)
		switch {
		case err != nil:
			return nil, err
		case !d.Local:
			return nil, models.ErrForbidden
		case d.Current == models.DebateClosed, to == models.DebateOpen && d.Current != models.DebateDraft:
			return nil, models.ErrClosed
		}
		return &confirmView{Object: d.Question, Back: "/d/" + strconv.FormatInt(d.ID, 10)}, nil
	}
}

func confirmConsultationDelete(s *Server, r *http.Request, acc *models.Account) (*confirmView, error) {
	c, err := confirmConsultation(s, r, acc)
	if err != nil {
		return nil, err
	}
	return &confirmView{Object: c.Title, Back: consultationURL(c) + "/edit"}, nil
}

// confirmConsultation is the consultation of the URL, for a moderator.
func confirmConsultation(s *Server, r *http.Request, acc *models.Account) (*models.Consultation, error) {
	if !acc.IsModerator() {
		return nil, models.ErrForbidden
	}
	id, err := urlID(r, "id")
	if err != nil {
		return nil, err
	}
	return s.store.ConsultationByID(r.Context(), id)
}

func confirmThemeDelete(s *Server, r *http.Request, acc *models.Account) (*confirmView, error) {
	c, err := confirmConsultation(s, r, acc)
	if err != nil {
		return nil, err
	}
	id, err := urlID(r, "theme")
	if err != nil {
		return nil, err
	}
	t, err := s.store.ThemeByID(r.Context(), id)
	if err != nil || t.ConsultationID != c.ID {
		return nil, models.ErrNotFound
	}
	return &confirmView{Object: t.Name, Back: manageURL(c)}, nil
}

func confirmDocumentDelete(s *Server, r *http.Request, acc *models.Account) (*confirmView, error) {
	c, err := confirmConsultation(s, r, acc)
	if err != nil {
		return nil, err
	}
	id, err := urlID(r, "doc")
	if err != nil {
		return nil, err
	}
	d, err := s.store.DocumentByID(r.Context(), id)
	if err != nil || d.ConsultationID != c.ID {
		return nil, models.ErrNotFound
	}
	return &confirmView{Object: d.Title, Back: manageURL(c)}, nil
}

func confirmWorkshopDelete(s *Server, r *http.Request, acc *models.Account) (*confirmView, error) {
	if !acc.IsModerator() {
		return nil, models.ErrForbidden
	}
	id, err := urlID(r, "id")
	if err != nil {
		return nil, err
	}
	wc, err := s.store.WorkshopContributionByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return &confirmView{Object: wc.Title, Back: "/w/" + strconv.FormatInt(wc.ID, 10)}, nil
}

func confirmNewsDelete(s *Server, r *http.Request, acc *models.Account) (*confirmView, error) {
	if !acc.IsModerator() {
		return nil, models.ErrForbidden
	}
	id, err := urlID(r, "id")
	if err != nil {
		return nil, err
	}
	n, err := s.store.NewsByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return &confirmView{Object: n.Title, Back: "/news/" + strconv.FormatInt(n.ID, 10)}, nil
}

func confirmPetitionClose(s *Server, r *http.Request, acc *models.Account) (*confirmView, error) {
	id, err := urlID(r, "id")
	if err != nil {
		return nil, err
	}
	p, err := s.store.PetitionByID(r.Context(), id)
	switch {
	case err != nil:
		return nil, err
	case p.HiddenAt != nil:
		return nil, models.ErrNotFound // as ClosePetition
	case !p.Local || (p.AuthorID != acc.Actor.ID && !acc.IsModerator()):
		return nil, models.ErrForbidden
	case !models.PetitionClosable(acc, p, s.store.Now()):
		return nil, models.ErrClosed
	}
	return &confirmView{Object: p.Title, Back: "/pe/" + strconv.FormatInt(p.ID, 10)}, nil
}
