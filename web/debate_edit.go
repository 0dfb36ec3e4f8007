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
		OpensAt: formTimeValue(d.OpensAt), ClosesAt: formTimeValue(d.ClosesAt), Visibilities: visibilities}
	s.render(w, r, http.StatusOK, debateEditPage(s.page(r, s.localeFor(r).T("debate.edit.title")), f))
}

// debateEdit saves it. What may no longer change is taken from the
// debate, not from the form (which does not show it); models.UpdateDebate
// checks the rules again under the debate's lock.
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
	ve := &models.ValidationError{}
	if f.Can.Question {
		f.Input.Question = r.PostFormValue("question")
	}
	f.Input.Description = r.PostFormValue("description")
	if f.Can.Rules {
		f.Options, f.OpensAt = r.PostFormValue("options"), r.PostFormValue("opens_at")
		f.Input.Options = strings.Split(strings.ReplaceAll(f.Options, "\r\n", "\n"), "\n")
		f.Input.Multiple = r.PostFormValue("multiple") == "true"
		f.Input.ResultsVisibility = r.PostFormValue("results_visibility")
		f.Input.PublicBallot = r.PostFormValue("public_ballot") == "true"
		f.Input.OpensAt = formTime(ve, "opens_at", f.OpensAt)
	}
	f.Input.ClosesAt = formTime(ve, "closes_at", f.ClosesAt)
	err := ve.Err()
	if err == nil {
		_, err = s.store.UpdateDebate(r.Context(), currentAccount(r.Context()), d.ID, f.Input)
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

// formTimeValue is t as a datetime-local value (UTC, formTimeLayout);
// "" for none.
func formTimeValue(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(formTimeLayout)
}
