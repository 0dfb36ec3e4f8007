package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// The moderators' files of a consultation, as on its management page
// (consultation_manage.go): add and remove a document, set and remove
// the banner. Uploads are multipart/form-data and go through the same
// pipeline as the page's (saveFormFile: sniffed, bounded, stored for the
// consultation's space). Moderators only: others get 403 before their
// body is read (models checks the role again).
func init() {
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.Get("/consultations/{id}/documents", s.apiDocuments)
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount, s.requireModerator)
			r.Post("/consultations/{id}/documents", s.apiAddDocument)
			r.Delete("/consultations/{id}/documents/{doc}", s.apiDeleteDocument)
			r.Post("/consultations/{id}/banner", s.apiSetBanner)
			r.Delete("/consultations/{id}/banner", s.apiRemoveBanner)
		})
	})
}

// apiDocumentJSON is a consultation's document in the API; File is the
// uploaded file of a document of kind "file".
type apiDocumentJSON struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	BodyHTML  string    `json:"body_html"`
	Position  int       `json:"position"`
	File      *apiFile  `json:"file"`
	CreatedAt time.Time `json:"created_at"`
}

// apiFile is an uploaded file: where to fetch it, its sniffed type and
// size.
type apiFile struct {
	URL         string `json:"url"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

func (s *Server) documentJSON(d *models.Document, u *models.Upload) apiDocumentJSON {
	out := apiDocumentJSON{ID: strconv.FormatInt(d.ID, 10), Kind: d.Kind, Title: d.Title, Body: d.Body, BodyHTML: d.BodyHTML,
		Position: d.Position, CreatedAt: d.CreatedAt}
	if u != nil {
		out.File = &apiFile{URL: s.opts.BaseURL + u.Path(), Name: u.Name, ContentType: u.ContentType, Size: u.Size}
	}
	return out
}

// apiDocuments answers GET /api/v1/consultations/{id}/documents: every
// document of the consultation (one page: at most 200), as its page shows
// them: by kind, then position.
func (s *Server) apiDocuments(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	docs, err := s.store.Documents(r.Context(), c.ID, "")
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := list[apiDocumentJSON]{Items: []apiDocumentJSON{}}
	for _, d := range docs {
		out.Items = append(out.Items, s.documentJSON(d, d.Upload))
	}
	writeJSON(w, http.StatusOK, out)
}

// parseAPIUpload reads a multipart/form-data body (and nothing else) as
// the page's upload forms are read.
func parseAPIUpload(w http.ResponseWriter, r *http.Request) error {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return models.Invalid("body", "Content-Type must be multipart/form-data")
	}
	return parseUploadForm(w, r)
}

// apiAddDocument answers POST /api/v1/consultations/{id}/documents: the
// parts kind, title, body, position and, for kind "file", the file part
// "file" (the page's /consultations/{id}/documents, models.AddDocument).
func (s *Server) apiAddDocument(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	if err := parseAPIUpload(w, r); err != nil {
		s.error(w, r, err)
		return
	}
	ve := &models.ValidationError{}
	in := models.DocumentInput{Kind: r.PostFormValue("kind"), Title: r.PostFormValue("title"), Body: r.PostFormValue("body")}
	if p := strings.TrimSpace(r.PostFormValue("position")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			ve.Add("position", "must be a whole number")
		}
		in.Position = n
	}
	var u *models.Upload
	err := ve.Err()
	if err != nil {
		err = ve.Join(in.Validate()) // every invalid field at once
	} else if in.Kind == models.DocFile {
		if u, err = s.saveFormFile(r, "file", c.SpaceID); u != nil {
			in.UploadID = &u.ID
		}
		if ve, ok := errors.AsType[*models.ValidationError](err); ok {
			err = ve.Join(in.Validate()) // the other fields' problems with the file's
		}
	}
	var d *models.Document
	if err == nil {
		d, err = s.store.AddDocument(r.Context(), currentAccount(r.Context()), c.ID, in)
	}
	if err != nil {
		s.dropUnattached(r, u)
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.documentJSON(d, u))
}

// apiDeleteDocument answers DELETE
// /api/v1/consultations/{id}/documents/{doc} (the page's
// /consultations/{id}/documents/{doc}/delete); a document of another
// consultation is not found there.
func (s *Server) apiDeleteDocument(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	d, ok := s.documentOf(w, r, c)
	if !ok {
		return
	}
	if err := s.store.DeleteDocument(r.Context(), currentAccount(r.Context()), d.ID); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiSetBanner answers POST /api/v1/consultations/{id}/banner: the image
// in the part "banner", with its text alternative in "banner_alt",
// becomes the consultation's banner (the page's
// /consultations/{id}/banner).
func (s *Server) apiSetBanner(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	if err := parseAPIUpload(w, r); err != nil {
		if ve, ok := errors.AsType[*models.ValidationError](err); ok && ve.Fields["file"] != "" {
			err = models.Invalid("banner", ve.Fields["file"])
		}
		s.error(w, r, err)
		return
	}
	u, err := s.saveBanner(r, c, strings.TrimSpace(r.PostFormValue("banner_alt")))
	if err == nil && u == nil {
		err = models.Invalid("banner", "The file is empty.")
	}
	if err == nil {
		c, err = s.store.UpdateConsultation(r.Context(), currentAccount(r.Context()), c.ID, bannerInput(c, &u.ID, strings.TrimSpace(r.PostFormValue("banner_alt"))))
	}
	if err != nil {
		s.dropUnattached(r, u)
	}
	s.writeConsultationChange(w, r, c, err)
}

// apiRemoveBanner answers DELETE /api/v1/consultations/{id}/banner: the
// consultation has no banner any more (the page's "remove").
func (s *Server) apiRemoveBanner(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	c, err := s.store.UpdateConsultation(r.Context(), currentAccount(r.Context()), c.ID, bannerInput(c, nil, ""))
	s.writeConsultationChange(w, r, c, err)
}

// writeConsultationChange answers a change of c with c, or with err.
func (s *Server) writeConsultationChange(w http.ResponseWriter, r *http.Request, c *models.Consultation, err error) {
	var sp *models.Space
	if err == nil {
		sp, err = s.store.SpaceByID(r.Context(), c.SpaceID)
	}
	var j apiConsultationJSON
	if err == nil {
		j, err = s.consultationJSON(r, c, sp.Name, true)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	setETag(w, c.Version)
	writeJSON(w, http.StatusOK, j)
}
