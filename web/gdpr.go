package web

import (
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"
)

func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.With(s.requireAccount).Get("/account/export", s.accountExport)
	})
}

// accountExport downloads everything stored about the signed-in account
// as JSON (GDPR right of access and portability). It is a GET so the
// account page can link to it; it changes nothing, and pages send no CORS
// header, so another site can start the download but never read it.
func (s *Server) accountExport(w http.ResponseWriter, r *http.Request) {
	acc := currentAccount(r.Context())
	data, err := s.store.AccountExport(r.Context(), acc)
	if err != nil {
		s.error(w, r, err)
		return
	}
	data.Notes = exportNotes(s.localeFor(r), data.Notes)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="odn-`+acc.Username+`-`+data.GeneratedAt.Format("20060102")+`.json"`)
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
