package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/a-h/templ"

	"github.com/opendemocracynow/odn/models"
)

// editVersion is what an edit form keeps of the version of the thing it
// edits: the version it was opened at, sent back in its hidden field
// "version" so that models refuse the save if someone else saved since
// (models.ErrEditConflict), and, after such a refusal, the address of
// the current version, which the form's notice links to.
type editVersion struct {
	Version int64
	Current string // set after a refused save: the thing's page
}

// formVersion is the version a posted edit form was opened at; 0 (any)
// without one, so a form opened before the field existed saves as
// before.
func formVersion(r *http.Request) int64 {
	n, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// editConflict answers a save refused because someone else changed the
// thing since the form was opened (err is a *models.EditConflict) and
// reports whether it did: the form again (409), with what the person
// sent kept as it was, the notice saying what happened, linking to the
// current version (view), and that version (the one models refused the
// save against) in its hidden field, so that saving again, having read
// the notice, replaces the other change deliberately.
func editConflict[F any](s *Server, w http.ResponseWriter, r *http.Request, err error, titleKey string, f F, ev *editVersion,
	view string, page func(*Page, F) templ.Component) bool {
	conflict, ok := errors.AsType[*models.EditConflict](err)
	if !ok {
		return false
	}
	ev.Version, ev.Current = conflict.Current, view
	s.render(w, r, http.StatusConflict, page(s.page(r, s.localeFor(r).T(titleKey)), f))
	return true
}
