package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/opendemocracynow/odn/models"
)

const sessionCookie = "odn_session"

// sessionAccount puts the account of a valid session cookie in the
// request context. An invalid cookie is cleared, never an error.
func (s *Server) sessionAccount(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		acc, err := s.store.SessionAccount(r.Context(), c.Value)
		switch {
		case errors.Is(err, models.ErrUnauthorized):
			s.clearSessionCookie(w)
		case err != nil:
			s.error(w, r, err)
			return
		default:
			r = r.WithContext(context.WithValue(r.Context(), ctxAccount, acc))
		}
		next.ServeHTTP(w, r)
	})
}

// bearerAccount authenticates API calls by "Authorization: Bearer TOKEN".
// A wrong token is a 401, not an anonymous request, so scripts notice.
func (s *Server) bearerAccount(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="odn"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "use Authorization: Bearer TOKEN"})
			return
		}
		acc, err := s.store.TokenAccount(r.Context(), strings.TrimSpace(tok))
		if errors.Is(err, models.ErrUnauthorized) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="odn", error="invalid_token"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid or revoked token"})
			return
		} else if err != nil {
			s.error(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxAccount, acc)))
	})
}

// requireAccount answers 401 (API) or redirects to log-in (pages) when
// nobody is signed in.
func (s *Server) requireAccount(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if currentAccount(r.Context()) != nil {
			next.ServeHTTP(w, r)
			return
		}
		if isAPI(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="odn"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "authentication required"})
			return
		}
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			next = r.Referer()
			if i := strings.Index(next, "://"); i >= 0 {
				if j := strings.Index(next[i+3:], "/"); j >= 0 {
					next = next[i+3+j:]
				}
			}
		}
		http.Redirect(w, r, "/login?next="+qs(localPath(next)), http.StatusSeeOther)
	})
}

func (s *Server) setSessionCookie(w http.ResponseWriter, secret string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", MaxAge: int(models.SessionMax.Seconds()),
		HttpOnly: true, Secure: s.secureCk, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCk, SameSite: http.SameSiteLaxMode})
}
