package federation

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// webfinger answers /.well-known/webfinger for local users and spaces
// (acct:name@host, or their actor or profile URL) and the instance actor
// (its URL): 400 for a malformed resource, 404 for an unknown or foreign
// one. Users and spaces share one namespace (models.claimHandle).
func (s *Service) webfinger(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	name, isURL, err := ParseResource(r.URL.Query().Get("resource"), s.host)
	switch {
	case errors.Is(err, ErrNotLocal):
		http.Error(w, "not found", http.StatusNotFound)
		return
	case err != nil:
		http.Error(w, "malformed resource", http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	var a *models.Actor
	if isURL {
		a, err = s.actorForURL(r, name)
	} else {
		a, err = s.store.LocalActorByUsername(ctx, strings.ToLower(name))
	}
	if err != nil {
		s.writeResult(w, r, nil, err)
		return
	}
	user := a.Username
	if a.Type == models.ActorApplication {
		user = s.host
	}
	j := NewJRD(user, s.host, a.URI, a.URL)
	w.Header().Set("Content-Type", JRDType)
	json.NewEncoder(w).Encode(j) //nolint:errcheck // client gone
}

// actorForURL finds the local actor behind its id or profile URL.
func (s *Service) actorForURL(r *http.Request, u string) (*models.Actor, error) {
	base := s.store.URLs.Base
	if u == s.store.URLs.InstanceActorURI() {
		return s.store.InstanceActor(r.Context())
	}
	for _, prefix := range []string{base + "/actors/", base + "/@", base + "/s/"} {
		if name, ok := strings.CutPrefix(u, prefix); ok && name != "" && !strings.ContainsAny(name, "/?#") {
			return s.store.LocalActorByUsername(r.Context(), name)
		}
	}
	return nil, models.ErrNotFound
}

// nodeinfoLinks answers /.well-known/nodeinfo.
func (s *Service) nodeinfoLinks(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(NewNodeInfoLinks(s.opts.BaseURL)) //nolint:errcheck // client gone
}

// nodeinfo answers /nodeinfo/2.0 and /nodeinfo/2.1.
func (s *Service) nodeinfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	counts, err := s.store.Counts(ctx)
	if err != nil {
		s.writeResult(w, r, nil, err)
		return
	}
	mode, err := s.store.Setting(ctx, models.SettingRegistration, models.RegistrationOpen)
	if err != nil {
		s.writeResult(w, r, nil, err)
		return
	}
	name := s.store.InstanceName(ctx)
	users := int64(counts["users"])
	posts := int64(0)
	for _, k := range []string{"proposals", "debates", "petitions", "comments"} {
		posts += int64(counts[k])
	}
	version := s.opts.Version
	if version == "" {
		version = "dev"
	}
	ni, err := NewNodeInfo(chi.URLParam(r, "version"),
		NodeInfoSoftware{Name: "odn", Version: version, Repository: "https://github.com/opendemocracynow/odn", Homepage: "https://opendemocracynow.org"},
		NodeInfoUsage{Users: NodeInfoUsers{Total: users, ActiveMonth: users, ActiveHalfyear: users}, LocalPosts: posts},
		mode == models.RegistrationOpen, map[string]any{"nodeName": name, "spaces": counts["spaces"]})
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Content-Type", ni.ContentType())
	w.Header().Set("Cache-Control", "public, max-age=1800")
	json.NewEncoder(w).Encode(ni) //nolint:errcheck // client gone
}

// hostMeta answers /.well-known/host-meta (XRD pointing at WebFinger).
func (s *Service) hostMeta(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Content-Type", XRDType)
	w.Write([]byte(HostMeta(s.opts.BaseURL))) //nolint:errcheck // client gone
}

// verify authenticates a request to this instance, signed with
// draft-cavage or RFC 9421, pinned to our own address (Host, or the
// target URI) and to Date or created within an hour. The key fetches it
// causes spend the client address's share of the key host's budget
// (client is clientOf(r)).
func (s *Service) verify(r *http.Request, body []byte, client clientAddr) (*Verified, error) {
	return verifierFor(r.Header, s.host, s.store.URLs.Base, time.Hour).VerifyRequest(r, body, s.now(), s.keys.from(client))
}
