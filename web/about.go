package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/docs"
	"github.com/opendemocracynow/odn/models"
)

// SettingRules is the instance setting holding the rules shown on /about
// (Markdown); unset, the page shows the default rules of the catalogs.
const SettingRules = "rules"

func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Get("/about", s.aboutPage)
		r.Get("/privacy", s.privacyPage)
	})
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.Get("/openapi.yaml", s.serveOpenAPI)
	})
}

// aboutView is what /about shows.
type aboutView struct {
	Admins, Moderators []string
	Rules              string
	Spaces             []*models.Space
	DefaultLicence     models.Licence
	Licences           map[string]models.Licence
}

// aboutPage presents the instance: who runs it, its rules, the licence of
// its data and where to find the docs, the API and NodeInfo.
func (s *Server) aboutPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	accounts, err := s.store.ListAccounts(ctx)
	if err != nil {
		s.error(w, r, err)
		return
	}
	rules, err := s.store.Setting(ctx, SettingRules, "")
	if err != nil {
		s.error(w, r, err)
		return
	}
	spaces, err := s.store.ListSpaces(ctx)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := &aboutView{Rules: models.RenderMarkdown(rules), Spaces: spaces,
		DefaultLicence: models.LicenceOf(models.DefaultLicence), Licences: map[string]models.Licence{}}
	for _, a := range accounts {
		switch {
		case a.Disabled:
		case a.Role == models.RoleAdmin:
			v.Admins = append(v.Admins, a.Username)
		case a.Role == models.RoleModerator:
			v.Moderators = append(v.Moderators, a.Username)
		}
	}
	for _, sp := range spaces {
		v.Licences[sp.Name] = models.LicenceOf(sp.Licence)
	}
	s.render(w, r, http.StatusOK, aboutPage(s.page(r, s.localeFor(r).T("about.title")), v))
}

// privacyPage says what is stored, why and for how long (GDPR art. 13).
func (s *Server) privacyPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, privacyPage(s.page(r, s.localeFor(r).T("privacy.title"))))
}

// serveOpenAPI publishes the API contract (docs/openapi.yaml).
func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(docs.OpenAPI) //nolint:errcheck // client gone
}
