package web

import (
	"errors"
	"net/http"

	"github.com/opendemocracynow/odn/models"
)

// formConsultation is the consultation (and theme) that the contribution
// of a form opened from it will join, which the form states with a link
// back to it.
type formConsultation struct {
	Context *models.ConsultationContext
	Theme   string // the theme's name, "" for none
}

// formConsultationOf is the consultation a form's hidden consultation and
// theme ids name, nil when none or when it is unknown (the models call
// refuses it as a field error, and the form drops it).
func (s *Server) formConsultationOf(r *http.Request, consultation, theme int64) (*formConsultation, error) {
	if consultation == 0 {
		return nil, nil
	}
	cc, err := s.store.ConsultationContextOf(r.Context(), models.ConsultationRef{ID: consultation})
	if err != nil || cc == nil {
		return nil, err
	}
	fc := &formConsultation{Context: cc}
	if theme != 0 {
		t, err := s.store.ThemeByID(r.Context(), theme)
		switch {
		case errors.Is(err, models.ErrNotFound):
		case err != nil:
			return nil, err
		case t.ConsultationID == consultation:
			fc.Theme = t.Name
		}
	}
	return fc, nil
}
