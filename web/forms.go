package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/opendemocracynow/odn/models"
)

// maxFormBytes bounds form bodies; text fields have their own limits in
// models.
const maxFormBytes = 1 << 20

// parseForm reads a bounded urlencoded or multipart form, and refuses
// one whose names or values hold a NUL byte or invalid UTF-8. Its errors
// wrap errBadForm (and the cause, such as *http.MaxBytesError).
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(maxFormBytes)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errBadForm, err)
	}
	if err := checkText(r.Form); err != nil {
		return err
	}
	if r.MultipartForm != nil {
		return checkText(r.MultipartForm.Value)
	}
	return nil
}

// errBadText refuses a NUL byte or invalid UTF-8 in a name or value from
// the client: bun refuses a NUL in a query (a 500), and writes invalid
// UTF-8 as U+FFFD, so what is stored would not be what was sent.
var errBadText = fmt.Errorf("%w: a NUL byte or invalid UTF-8", errBadForm)

// badText reports whether s holds a NUL byte or invalid UTF-8.
func badText(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }

// checkText returns errBadText when a name or value of vs is badText.
func checkText(vs map[string][]string) error {
	for k, v := range vs {
		if badText(k) || slices.ContainsFunc(v, badText) {
			return errBadText
		}
	}
	return nil
}

// formInt reads an integer field, def when empty or malformed.
func formInt(r *http.Request, name string, def int) int {
	v, err := strconv.Atoi(strings.TrimSpace(r.FormValue(name)))
	if err != nil {
		return def
	}
	return v
}

// withRules returns nil when the form found no problem of its own in
// ve, leaving the rules to the models call; otherwise it joins to ve
// those the rules find in the rest of the form (validate, an input's
// Validate), so that every field's problem is shown at once rather than
// the form's first and the rules' at the next try.
func withRules(ve *models.ValidationError, validate func() error) error {
	if ve.Err() == nil {
		return nil
	}
	return ve.Join(validate())
}

// fieldErrors is a form that takes the field errors of a validation error.
type fieldErrors interface{ setErrors(map[string]string) }

// formError answers a failed form submission and reports whether it did
// (false when err is nil): a validation error shows the form again, with
// its field errors, as page renders it (422); any other error goes to
// s.error.
func formError[F fieldErrors](s *Server, w http.ResponseWriter, r *http.Request, err error, titleKey string, f F, page func(*Page, F) templ.Component) bool {
	if err == nil {
		return false
	}
	if takeFieldErrors(s, w, r, err, f) {
		s.render(w, r, http.StatusUnprocessableEntity, page(s.page(r, s.localeFor(r).T(titleKey)), f))
	}
	return true
}

// takeFieldErrors gives f the field errors of a validation error and
// reports true; any other error it answers with s.error, reporting false.
func takeFieldErrors(s *Server, w http.ResponseWriter, r *http.Request, err error, f fieldErrors) bool {
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		f.setErrors(ve.Fields)
		return true
	}
	s.error(w, r, err)
	return false
}

// redirect sends the browser to a local path after a successful POST
// (post/redirect/get), with an optional flash message key.
func redirect(w http.ResponseWriter, r *http.Request, path, flash string) {
	if flash != "" {
		base, frag, hasFrag := strings.Cut(path, "#") // the query goes before the #fragment
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		path = base + sep + "flash=" + url.QueryEscape(flash)
		if hasFrag {
			path += "#" + frag
		}
	}
	http.Redirect(w, r, localPath(path), http.StatusSeeOther)
}

// badForm answers a form parseForm refused (err): 413 when it is larger
// than maxFormBytes, saying so, so that the member goes back to shorten
// their text (the browser keeps it), 400 otherwise.
func (s *Server) badForm(w http.ResponseWriter, r *http.Request, err error) {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		s.errorStatus(w, r, http.StatusRequestEntityTooLarge, "error.form_too_large")
		return
	}
	s.errorStatus(w, r, http.StatusBadRequest, "error.bad_form")
}
