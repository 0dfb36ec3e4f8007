package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// maxJSONBytes bounds API request bodies.
const maxJSONBytes = 1 << 20

func (s *Server) apiRoutes(r chi.Router) {
	r.Use(s.apiCORS, s.bearerAccount, s.apiWriteLimit())
	r.Get("/instance", s.apiInstance)
	r.Get("/spaces", s.apiSpaces)
	r.Get("/spaces/{name}", s.apiSpace)
	r.With(s.requireAccount, s.requireAdmin).Post("/spaces", s.apiCreateSpace)
	r.With(s.requireAccount, s.requireAdmin).Patch("/spaces/{name}", s.apiUpdateSpace)
	for _, add := range extraAPIRoutes {
		add(s, r)
	}
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such API route"})
	})
}

// apiCORS lets any web page read public API data (open data); writes need
// a bearer token, which browsers never attach on their own, so allowing
// every origin grants nothing a token holder lacks.
func (s *Server) apiCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match")
		h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS")
		h.Set("Access-Control-Expose-Headers", "ETag, Retry-After, X-Request-Id")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// decodeJSON reads a bounded JSON body into v, refusing unknown fields so
// typos in scripts surface as errors, and any string holding a NUL
// (\u0000), which no database text column holds. (Invalid UTF-8 needs no
// check: encoding/json turns it into U+FFFD.)
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	return decodeJSONBytes(body, v)
}

// readJSON reads r's body, of at most maxJSONBytes and of type JSON, for
// decodeJSONBytes; a PATCH keeps it to merge again (remerge).
func readJSON(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return nil, models.Invalid("body", "Content-Type must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, models.Invalid("body", "is larger than 1 MB")
		}
		return nil, models.Invalid("body", "could not be read: "+err.Error())
	}
	return body, nil
}

// decodeJSONBytes decodes one JSON document into v, refusing unknown
// fields, trailing data and NUL characters.
func decodeJSONBytes(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return models.Invalid("body", "is empty")
		}
		return models.Invalid("body", "is not valid JSON: "+err.Error())
	}
	if dec.More() {
		return models.Invalid("body", "has trailing data")
	}
	if jsonHasNUL(body) {
		return models.Invalid("body", `holds a NUL character (\u0000), which no text may contain`)
	}
	return nil
}

// jsonHasNUL reports whether a string (name or value) of the valid JSON
// document body holds a NUL character.
func jsonHasNUL(body []byte) bool {
	if !bytes.Contains(body, []byte(`\u0000`)) {
		return false // the only way to write NUL in valid JSON
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if s, ok := tok.(string); ok && strings.IndexByte(s, 0) >= 0 {
			return true
		}
	}
}

// decodeOptionalJSON is decodeJSON for a body that may be left out: an
// empty body leaves v as it is.
func decodeOptionalJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decodeJSON(w, r, v)
}

// apiObject is the common part of every API object (DESIGN.md §8).
type apiObject struct {
	ID     string `json:"id"`
	URI    string `json:"uri"`
	URL    string `json:"url"`
	Origin string `json:"origin,omitempty"`
}

// list is a page of results with an opaque cursor for the next page.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// idCursor reads the cursor of a list paged by id ("" is the first
// page); anything else is refused (422) rather than read as the first
// page, which would page a client in a loop.
func idCursor(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil || n <= 0 {
		return 0, models.Invalid("cursor", "is not a cursor of this list")
	}
	return n, nil
}

// pageParams reads ?cursor=&limit= (limit 1..100, default 20).
func pageParams(r *http.Request) (cursor string, limit int) {
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || limit <= 0 {
		limit = 20
	}
	return r.URL.Query().Get("cursor"), min(limit, 100)
}

type apiInstanceInfo struct {
	Name         string         `json:"name"`
	Host         string         `json:"host"`
	Software     string         `json:"software"`
	Version      string         `json:"version"`
	Registration string         `json:"registration"`
	Counts       map[string]int `json:"counts"`
	StartedAt    time.Time      `json:"started_at"`
}

func (s *Server) apiInstance(w http.ResponseWriter, r *http.Request) {
	counts, err := s.store.Counts(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	mode, err := s.store.Setting(r.Context(), models.SettingRegistration, models.RegistrationOpen)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p := s.page(r, "")
	writeJSON(w, http.StatusOK, apiInstanceInfo{Name: p.InstanceName, Host: hostOf(s.opts.BaseURL), Software: "odn",
		Version: s.opts.Version, Registration: mode, Counts: counts, StartedAt: s.startedAt.UTC()})
}

type apiSpaceJSON struct {
	apiObject
	Name             string    `json:"name"`
	Kind             string    `json:"kind"`
	Title            string    `json:"title"`
	Description      string    `json:"description"`
	DescriptionHTML  string    `json:"description_html"`
	Policy           string    `json:"policy"`
	AllowedHosts     []string  `json:"allowed_hosts"`
	SupportThreshold int       `json:"support_threshold"`
	Licence          string    `json:"licence"`
	CreatedAt        time.Time `json:"created_at"`
}

func (s *Server) spaceJSON(sp *models.Space) apiSpaceJSON {
	hosts := sp.Hosts()
	if hosts == nil {
		hosts = []string{}
	}
	return apiSpaceJSON{
		apiObject: apiObject{ID: strconv.FormatInt(sp.ID, 10), URI: sp.Actor.URI, URL: s.opts.BaseURL + "/s/" + sp.Name},
		Name:      sp.Name, Kind: sp.Kind, Title: sp.Title, Description: sp.Description, DescriptionHTML: sp.DescriptionHTML,
		Policy: sp.Policy, AllowedHosts: hosts, SupportThreshold: sp.SupportThreshold, Licence: sp.Licence, CreatedAt: sp.CreatedAt,
	}
}

func (s *Server) apiSpaces(w http.ResponseWriter, r *http.Request) {
	spaces, err := s.store.ListSpaces(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	cursor, limit := pageParams(r)
	out := list[apiSpaceJSON]{Items: []apiSpaceJSON{}}
	for _, sp := range spaces {
		if cursor != "" && sp.Name <= cursor {
			continue
		}
		if len(out.Items) == limit {
			out.NextCursor = out.Items[len(out.Items)-1].Name
			break
		}
		if err := s.attachActor(r, sp); err != nil {
			s.error(w, r, err)
			return
		}
		out.Items = append(out.Items, s.spaceJSON(sp))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) attachActor(r *http.Request, sp *models.Space) error {
	if sp.Actor != nil {
		return nil
	}
	a, err := s.store.ActorByID(r.Context(), sp.ActorID)
	sp.Actor = a
	return err
}

func (s *Server) apiSpace(w http.ResponseWriter, r *http.Request) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	setETag(w, sp.Version)
	writeJSON(w, http.StatusOK, s.spaceJSON(sp))
}

func (s *Server) apiCreateSpace(w http.ResponseWriter, r *http.Request) {
	var in models.SpaceInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	sp, err := s.store.CreateSpace(r.Context(), currentAccount(r.Context()), in)
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", s.opts.BaseURL+"/api/v1/spaces/"+sp.Name)
	writeJSON(w, http.StatusCreated, s.spaceJSON(sp))
}

// apiUpdateSpace is the admins' edit of a space (the page's
// /s/{name}/edit): the fields sent replace the space's, the others stay;
// its name does not change (models.UpdateSpace).
func (s *Server) apiUpdateSpace(w http.ResponseWriter, r *http.Request) {
	want, err := ifMatch(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	body, err := readJSON(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	name := sp.Name
	err = remerge(want, sp.Version, func() (int64, error) {
		var err error
		if sp, err = s.store.SpaceByName(r.Context(), name); err != nil {
			return 0, err
		}
		return sp.Version, nil
	}, func(ifVersion int64) error {
		in := spaceInputOf(sp)
		if err := decodeJSONBytes(body, &in); err != nil {
			return err
		}
		in.IfVersion = ifVersion
		updated, err := s.store.UpdateSpace(r.Context(), currentAccount(r.Context()), name, in)
		if err == nil {
			sp = updated
		}
		return err
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	setETag(w, sp.Version)
	writeJSON(w, http.StatusOK, s.spaceJSON(sp))
}

// idInput is a consultation or theme id in a request body. The API writes
// every id as a string, and takes one so; a number is accepted too, as
// debates and news took their consultation and workshops their theme
// before. It keeps the text for ref, so that a bad id is an error on its
// own field rather than on the whole body.
type idInput string

// UnmarshalJSON reads "12", 12 or null (none); anything but a string or a
// number is not JSON for an id.
func (id *idInput) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*id = idInput(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("an id must be a string of digits: %s", b)
	}
	*id = idInput(n)
	return nil
}

// ref is the id (0: none), or a field error in v when it is not one, as
// the forms read theirs (models.ParseRef).
func (id idInput) ref(v *models.ValidationError, field string) int64 {
	return models.ParseRef(v, field, string(id))
}
