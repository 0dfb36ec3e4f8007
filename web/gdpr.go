package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.With(s.requireAccount).Get("/account/export", s.accountExport)
	})
	// The account page's download and deletion, for the caller's own
	// account.
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.With(s.requireAccount).Get("/account/export", s.apiAccountExport)
		r.With(s.requireAccount).Delete("/account", s.apiDeleteAccount)
	})
}

// accountExport downloads everything stored about the signed-in account
// as JSON (GDPR right of access and portability). It is a GET so the
// account page can link to it; it changes nothing, and pages send no CORS
// header, so another site can start the download but never read it.
func (s *Server) accountExport(w http.ResponseWriter, r *http.Request) {
	s.writeAccountExport(w, r, true)
}

// apiAccountExport answers GET /api/v1/account/export: the same data as
// the page's download, as an API answer (no file name). The API's CORS
// lets any page read it, but only with the caller's token.
func (s *Server) apiAccountExport(w http.ResponseWriter, r *http.Request) {
	s.writeAccountExport(w, r, false)
}

func (s *Server) writeAccountExport(w http.ResponseWriter, r *http.Request, download bool) {
	acc := currentAccount(r.Context())
	data, err := s.store.AccountExport(r.Context(), acc)
	if err != nil {
		s.error(w, r, err)
		return
	}
	data.Notes = exportNotes(s.localeFor(r), data.Notes)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	if download {
		h.Set("Content-Disposition", `attachment; filename="odn-`+acc.Username+`-`+data.GeneratedAt.Format("20060102")+`.json"`)
	}
	h.Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.Encode(data) //nolint:errcheck // client gone
}

// exportNotes are the notes of an account's data download in l's
// language: the catalogs hold each as "gdpr.note."+key; a note they lack
// stays in English.
func exportNotes(l *Locale, notes map[string]string) map[string]string {
	out := make(map[string]string, len(notes))
	for k, v := range notes {
		if key := "gdpr.note." + k; l.Has(key) {
			v = l.T(key)
		}
		out[k] = v
	}
	return out
}

// apiDeleteAccount answers DELETE /api/v1/account with {"confirm":
// "<user name>"}: the caller's account is erased, as from the account
// page (models.DeleteAccount), which also asks for the user name typed
// again; its tokens stop working.
func (s *Server) apiDeleteAccount(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Confirm         string `json:"confirm"`
		CurrentPassword string `json:"current_password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	acc := currentAccount(r.Context())
	v := &models.ValidationError{}
	if in.Confirm != acc.Username {
		v.Add("confirm", "Type your user name to confirm.")
	}
	if in.CurrentPassword == "" {
		v.Add("current_password", "is required to erase the account")
	}
	if err := v.Err(); err != nil {
		s.error(w, r, err)
		return
	}
	// A bearer token lives long and travels in scripts: unlike a session
	// on the account page, it alone must not be enough to erase the
	// account, as it is not enough to change its e-mail address. A wrong
	// password counts toward the log-in limit, as there.
	if _, err := s.store.Authenticate(r.Context(), acc.Username, in.CurrentPassword); errors.Is(err, models.ErrBadCredentials) {
		s.error(w, r, models.Invalid("current_password", "is wrong"))
		return
	} else if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.store.DeleteAccount(r.Context(), acc); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
