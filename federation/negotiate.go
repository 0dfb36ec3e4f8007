package federation

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/opendemocracynow/odn/models"
)

// WantsActivity reports whether r asks for ActivityStreams JSON
// (application/activity+json, or application/ld+json with any profile)
// rather than HTML. A browser's Accept lists text/html first and wins.
func (s *Service) WantsActivity(r *http.Request) bool { return wantsActivity(r.Header.Get("Accept")) }

func wantsActivity(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/activity+json", "application/ld+json":
			return true
		case "text/html", "application/xhtml+xml":
			return false
		}
	}
	return false
}

// objectServers answer ServeObject for civic kinds ("proposal", "debate",
// "petition", "comment"…): the civic mapping registers one per kind. They
// return the document, or models.ErrNotFound; a deleted object should
// return a *Gone carrying its Tombstone.
var objectServers = map[string]func(r *http.Request, s *Service, id string) (doc, error){}

// Gone is returned by object servers for deleted objects: 410 with a
// Tombstone.
type Gone struct{ Tombstone doc }

func (g *Gone) Error() string { return "gone" }

// ServeObject answers r with the ActivityStreams form of a local object
// of the given kind: "user" and "space" (by name) here, civic kinds
// through objectServers.
func (s *Service) ServeObject(w http.ResponseWriter, r *http.Request, kind, id string) {
	if !s.authorizeFetch(w, r) {
		return
	}
	var d doc
	var err error
	switch kind {
	case "user", "space":
		var a *models.Actor
		a, err = s.actorByName(r, id)
		if err == nil {
			d = actorToDoc(a)
		}
	default:
		f, ok := objectServers[kind]
		if !ok {
			err = models.ErrNotFound
			break
		}
		d, err = f(r, s, id)
	}
	s.writeResult(w, r, d, err)
}

// actorByName loads a local user or space actor; a deleted one answers
// Gone with its Tombstone.
func (s *Service) actorByName(r *http.Request, name string) (*models.Actor, error) {
	a, err := s.store.ActorByURI(r.Context(), s.store.URLs.ActorURI(name))
	if err != nil {
		return nil, err
	}
	if a.DeletedAt != nil {
		return nil, &Gone{Tombstone: tombstoneDoc(a.URI, a.Type, *a.DeletedAt)}
	}
	return a, nil
}

// writeResult writes d, a Tombstone (410) or an error status.
func (s *Service) writeResult(w http.ResponseWriter, r *http.Request, d doc, err error) {
	var gone *Gone
	switch {
	case errors.As(err, &gone):
		s.writeDoc(w, r, http.StatusGone, gone.Tombstone)
	case errors.Is(err, models.ErrNotFound):
		http.Error(w, "not found", http.StatusNotFound)
	case errors.Is(err, models.ErrForbidden):
		http.Error(w, "forbidden", http.StatusForbidden)
	case err != nil:
		s.log.ErrorContext(r.Context(), "serve object", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	default:
		s.writeDoc(w, r, http.StatusOK, d)
	}
}

// writeDoc writes an ActivityStreams document.
func (s *Service) writeDoc(w http.ResponseWriter, r *http.Request, status int, d doc) {
	b, err := encodeDoc(d)
	if err != nil {
		s.log.ErrorContext(r.Context(), "encode document", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ActivityJSONType)
	h.Add("Vary", "Accept, Signature")
	if !s.opts.AuthorizedFetch {
		h.Set("Cache-Control", "public, max-age=60")
	}
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // client gone
}

// authorizeFetch enforces "authorized fetch": when on, object GETs need a
// valid signature from a non-blocked domain (401/403 otherwise). Without
// it, only signed requests from blocked domains are refused.
func (s *Service) authorizeFetch(w http.ResponseWriter, r *http.Request) bool {
	keyHost := signatureKeyHost(r)
	if keyHost != "" && s.blocks.blocked(r.Context(), keyHost) {
		http.Error(w, "domain blocked", http.StatusForbidden)
		return false
	}
	if !s.opts.AuthorizedFetch {
		return true
	}
	if keyHost == "" {
		w.Header().Set("WWW-Authenticate", `Signature realm="odn",headers="(request-target) host date"`)
		http.Error(w, "signature required", http.StatusUnauthorized)
		return false
	}
	if _, err := s.verify(r, nil, clientOf(r)); err != nil {
		http.Error(w, "signature refused", s.refusalStatus(w, err))
		return false
	}
	return true
}
