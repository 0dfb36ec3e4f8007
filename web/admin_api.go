package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// The administrators' calls, as on /admin (admin.go) and /admin/federation
// (admin_federation.go): account roles (member, moderator, admin) and
// decision-makers, the registration mode, invitations, domain blocks.
// Disabling is moderation_api.go's. As on the pages, others get 403
// before their input is read.
func init() {
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount, s.requireAdmin)
			r.Post("/accounts/{name}/role", s.apiSetRole)
			r.Post("/accounts/{name}/decider", s.apiSetDecider)
			r.Patch("/instance", s.apiUpdateInstance)
			r.Post("/invites", s.apiCreateInvite)
			r.Get("/domain-blocks", s.apiDomainBlocks)
			r.Post("/domain-blocks", s.apiBlockDomain)
			r.Delete("/domain-blocks/{domain}", s.apiUnblockDomain)
		})
	})
}

// apiSetRole is {"role": "member"|"moderator"|"admin"} (models.SetRole:
// administrators, not for themselves).
func (s *Server) apiSetRole(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Role string `json:"role"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.store.SetRole(r.Context(), currentAccount(r.Context()), chi.URLParam(r, "name"), in.Role); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiSetDecider is {"decider": true|false} (models.SetDecider:
// administrators): whether petitions may be addressed to the account.
func (s *Server) apiSetDecider(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Decider *bool `json:"decider"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if in.Decider == nil {
		s.error(w, r, models.Invalid("decider", "must be true or false"))
		return
	}
	if err := s.store.SetDecider(r.Context(), currentAccount(r.Context()), chi.URLParam(r, "name"), *in.Decider); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiUpdateInstance is {"registration": "open"|"invite"|"closed"}, the
// /admin page's registration mode (GET /instance shows it); left out, it
// stays.
func (s *Server) apiUpdateInstance(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Registration *string `json:"registration"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if in.Registration != nil {
		if err := s.store.SetSetting(r.Context(), currentAccount(r.Context()), models.SettingRegistration, *in.Registration); err != nil {
			s.error(w, r, err)
			return
		}
	}
	s.apiInstance(w, r)
}

// apiInvite is a new invitation: its code, shown once, and the sign-up
// link to send.
type apiInvite struct {
	Code string `json:"code"`
	URL  string `json:"url"`
}

func (s *Server) apiCreateInvite(w http.ResponseWriter, r *http.Request) {
	code, err := s.store.CreateInvite(r.Context(), currentAccount(r.Context()))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiInvite{Code: code, URL: s.opts.BaseURL + "/signup?invite=" + url.QueryEscape(code)})
}

// apiDomainBlock is a blocked domain.
type apiDomainBlock struct {
	Domain    string    `json:"domain"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) apiDomainBlocks(w http.ResponseWriter, r *http.Request) {
	blocks, err := s.store.DomainBlocks(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := list[apiDomainBlock]{Items: []apiDomainBlock{}}
	for _, b := range blocks {
		out.Items = append(out.Items, apiDomainBlock{Domain: b.Domain, Reason: b.Reason, CreatedAt: b.CreatedAt})
	}
	writeJSON(w, http.StatusOK, out)
}

// apiBlockDomain is {"domain", "reason"}: its activities are refused,
// nothing is delivered there, follows with it end (models.BlockDomain).
func (s *Server) apiBlockDomain(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Domain string `json:"domain"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	b, err := s.store.BlockDomain(r.Context(), currentAccount(r.Context()), in.Domain, in.Reason)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiDomainBlock{Domain: b.Domain, Reason: b.Reason, CreatedAt: b.CreatedAt})
}

func (s *Server) apiUnblockDomain(w http.ResponseWriter, r *http.Request) {
	if err := s.store.UnblockDomain(r.Context(), currentAccount(r.Context()), chi.URLParam(r, "domain")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
