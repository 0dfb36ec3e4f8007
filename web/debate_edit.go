package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// debateEditForm shows a debate's edit form (moderators).
func (s *Server) debateEditForm(w http.ResponseWriter, r *http.Request) {
	d := s.editableDebate(w, r)
	if d == nil {
		return
	}
	f := &debateEditView{Debate: d, Can: d.Editable(), Input: d.Input(), Options: strings.Join(d.Options, "\n"),
		OpensAt: formTimeValue(d.OpensAt), ClosesAt: formTimeValue(d.ClosesAt), Visibilities: visibilities, Edit: editVersion{Version: d.Version}}
	s.render(w, r, http.StatusOK, debateEditPage(s.page(r, s.localeFor(r).T("debate.edit.title")), f))
}

// debateEdit saves it: the fields the form shows, the rest kept;
// models.UpdateDebate checks the rules under the debate's lock.
func (s *Server) debateEdit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	d := s.editableDebate(w, r)
	if d == nil {
		return
	}
	f := &debateEditView{Debate: d, Can: d.Editable(), Input: d.Input(), Options: strings.Join(d.Options, "\n"),
		OpensAt: formTimeValue(d.OpensAt), ClosesAt: r.PostFormValue("closes_at"), Visibilities: visibilities}
	// A field the form sent is passed on even when the debate no longer
	// lets it change (a form shown before the vote opened, or before the
	// first vote): UpdateDebate then says so, rather than the change
	// being dropped in silence. A form without it keeps the debate's.
	ve := &models.ValidationError{}
	if r.PostForm.Has("question") {
		f.Input.Question = r.PostFormValue("question")
	}
	f.Input.Description = r.PostFormValue("description")
	if r.PostForm.Has("options") {
		f.Options, f.OpensAt = r.PostFormValue("options"), r.PostFormValue("opens_at")
		f.Input.Options = strings.Split(strings.ReplaceAll(f.Options, "\r\n", "\n"), "\n")
		f.Input.Multiple = r.PostFormValue("multiple") == "true"
		f.Input.ResultsVisibility = r.PostFormValue("results_visibility")
		f.Input.PublicBallot = r.PostFormValue("public_ballot") == "true"
		f.Input.OpensAt = formDate(ve, "opens_at", f.OpensAt, d.OpensAt)
	}
	f.Input.ClosesAt = formDate(ve, "closes_at", f.ClosesAt, d.ClosesAt)
	f.Input.IfVersion = formVersion(r)
	f.Edit.Version = f.Input.IfVersion
	err := withRules(ve, func() error { return f.Input.Validate(s.now()) }) // every problem at once
	if err == nil {
		_, err = s.store.UpdateDebate(r.Context(), currentAccount(r.Context()), d.ID, f.Input)
	}
	if editConflict(s, w, r, err, "debate.edit.title", f, &f.Edit, "/d/"+strconv.FormatInt(d.ID, 10), debateEditPage) {
		return
	}
	if formError(s, w, r, err, "debate.edit.title", f, debateEditPage) {
		return
	}
	redirect(w, r, "/d/"+strconv.FormatInt(d.ID, 10), "debate.edit.saved")
}

// editableDebate is the {id} debate for its edit form: moderators only,
// and a local debate that is not closed (409 otherwise, with why).
func (s *Server) editableDebate(w http.ResponseWriter, r *http.Request) *models.Debate {
	if !currentAccount(r.Context()).IsModerator() {
		s.error(w, r, models.ErrForbidden)
		return nil
	}
	d := s.debateFromURL(w, r)
	if d == nil {
		return nil
	}
	if !d.Editable().Any {
		s.error(w, r, models.ErrClosed)
		return nil
	}
	return d
}

// formDate parses a date-time field of an edit form: the form shows
// dates to the minute, so a value unchanged from was (as shown) keeps was
// exactly, seconds included.
func formDate(ve *models.ValidationError, field, v string, was *time.Time) *time.Time {
	if was != nil && strings.TrimSpace(v) == formTimeValue(was) {
		return was
	}
	return formTime(ve, field, v)
}

// formTimeValue is t as a datetime-local value (UTC, formTimeLayout);
// "" for none.
func formTimeValue(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(formTimeLayout)
}
