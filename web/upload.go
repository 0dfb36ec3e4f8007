package web

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Get("/media/{key}", s.serveUpload)
		r.Get("/media/{key}/{name}", s.serveUpload)
	})
}

// maxUploadForm bounds a multipart form carrying one file: the file
// limit plus room for the text fields.
const maxUploadForm = models.MaxUploadSize + maxFormBytes

// parseUploadForm reads a bounded multipart (or urlencoded) form whose
// file part may reach models.MaxUploadSize. Large parts spill to
// temporary files that net/http removes after the request.
func parseUploadForm(w http.ResponseWriter, r *http.Request) error {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return parseForm(w, r)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadForm)
	if err := r.ParseMultipartForm(maxFormBytes); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return models.Invalid("file", "The file is larger than 10 MB.")
		}
		return fmt.Errorf("%w: %v", errBadForm, err)
	}
	return checkText(r.MultipartForm.Value)
}

var errBadForm = errors.New("bad form")

// saveFormFile stores the file of field, if one was sent, for the space;
// it returns nil without a file. The client's file name and type are
// never trusted: models sniffs the content and names the file.
func (s *Server) saveFormFile(r *http.Request, field string, spaceID int64) (*models.Upload, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	f, fh, err := r.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) {
		return nil, nil
	}
	if err != nil {
		return nil, models.Invalid(field, "The file could not be read completely.")
	}
	defer f.Close()
	if fh.Size == 0 && fh.Filename == "" {
		return nil, nil
	}
	u, err := s.store.SaveUpload(r.Context(), currentAccount(r.Context()), spaceID, fh.Filename, f)
	var ve *models.ValidationError
	if errors.As(err, &ve) && field != "file" {
		return nil, models.Invalid(field, ve.Fields["file"])
	}
	return u, err
}

// dropUnattached removes u, an upload this request stored, unless a row
// now points to it (models.DiscardUpload). Each handler that stores a
// file calls it when its models call failed, before answering: the form
// shown again or the API's error does not keep the file (the form asks
// for it again), so nothing would ever show it, yet its /media/ address
// would serve it. It runs even if the client has gone away.
func (s *Server) dropUnattached(r *http.Request, u *models.Upload) {
	if u == nil {
		return
	}
	if _, err := s.store.DiscardUpload(context.WithoutCancel(r.Context()), u); err != nil {
		// The hourly models.PurgeUploads takes it later.
		s.log.ErrorContext(r.Context(), "discard upload", "request_id", requestIDOf(r.Context()), "err", err)
	}
}

// serveUpload sends a stored file. Only PDF, PNG, JPEG and WebP are ever
// stored; images are shown inline, everything else is a download. The
// content type is the sniffed one, never re-guessed by browsers
// (nosniff), and the response is sandboxed so that even a mislabelled
// file could not run script in odn's origin.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	u, f, err := s.store.OpenUpload(r.Context(), chi.URLParam(r, "key"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", u.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	disposition := "attachment"
	if u.IsImage() {
		disposition = "inline"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": u.Name}))
	h.Set("ETag", `"`+u.SHA256+`"`)
	http.ServeContent(w, r, "", u.CreatedAt, f)
}
