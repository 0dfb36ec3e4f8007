package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.With(s.requireAccount).Get("/account", s.apiAccount)
		r.With(s.requireAccount).Patch("/account", s.apiEditAccount)
	})
}

// apiAccountJSON is the caller's own account: its public profile and its
// private settings (email, locale), which only the account itself reads.
// Its id is the actor's, as reports name an account.
type apiAccountJSON struct {
	apiObject
	Username    string    `json:"username"`
	Handle      string    `json:"handle"`
	DisplayName string    `json:"display_name"`
	Bio         string    `json:"bio"`
	BioHTML     string    `json:"bio_html"`
	Email       string    `json:"email"`
	Locale      string    `json:"locale"`
	Role        string    `json:"role"`
	Decider     bool      `json:"decider"`
	CreatedAt   time.Time `json:"created_at"`
}

func accountJSON(acc *models.Account) apiAccountJSON {
	a := acc.Actor
	return apiAccountJSON{
		apiObject: apiObject{ID: strconv.FormatInt(a.ID, 10), URI: a.URI, URL: a.URL},
		Username:  acc.Username, Handle: a.Handle(), DisplayName: a.Name, Bio: acc.Bio, BioHTML: a.Summary,
		Email: acc.Email, Locale: acc.Locale, Role: acc.Role, Decider: acc.Decider, CreatedAt: acc.CreatedAt.UTC(),
	}
}

// writeAccount answers with the caller's account; it holds their e-mail,
// so no cache keeps it.
func writeAccount(w http.ResponseWriter, acc *models.Account) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, accountJSON(acc))
}

// apiAccount answers GET /api/v1/account: the caller's own account.
func (s *Server) apiAccount(w http.ResponseWriter, r *http.Request) {
	writeAccount(w, currentAccount(r.Context()))
}

// apiEditAccount answers PATCH /api/v1/account: the fields given change
// (display_name, bio, email, locale), the others stay, as on the account
// page.
func (s *Server) apiEditAccount(w http.ResponseWriter, r *http.Request) {
	var in models.AccountEdit
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	acc, err := s.store.EditAccount(r.Context(), currentAccount(r.Context()), in)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeAccount(w, acc)
}
