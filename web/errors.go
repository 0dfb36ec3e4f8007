package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// errNotFoundPage is used for unknown routes and objects alike.
var errNotFoundPage = models.ErrNotFound

// statusOf maps a domain error to an HTTP status and a message key. This
// is the only place where models errors become HTTP codes.
func statusOf(err error) (int, string) {
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		return http.StatusUnprocessableEntity, "error.invalid"
	case errors.Is(err, models.ErrNotFound):
		return http.StatusNotFound, "error.not_found"
	case errors.Is(err, models.ErrUnauthorized), errors.Is(err, models.ErrBadCredentials):
		return http.StatusUnauthorized, "error.unauthorized"
	case errors.Is(err, models.ErrForbidden):
		return http.StatusForbidden, "error.forbidden"
	case errors.Is(err, models.ErrDuplicate):
		return http.StatusConflict, "error.duplicate"
	case errors.Is(err, models.ErrClosed):
		return http.StatusConflict, "error.closed"
	case errors.Is(err, models.ErrConflict):
		return http.StatusConflict, "error.conflict"
	case errors.Is(err, errBadForm):
		return http.StatusBadRequest, "error.bad_form"
	case errors.Is(err, models.ErrThrottled):
		return http.StatusTooManyRequests, "error.rate_limited"
	case models.IsUnavailable(err):
		return http.StatusServiceUnavailable, "error.unavailable"
	}
	return http.StatusInternalServerError, "error.internal"
}

// isAPI reports whether r is for the JSON API.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// error answers r with the status and message err deserves: JSON for the
// API, a human page in the user's language otherwise. Internal errors are
// logged with the request id and never shown.
func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) {
	status, key := statusOf(err)
	if status == http.StatusServiceUnavailable {
		s.log.WarnContext(r.Context(), "storage unavailable", "request_id", requestIDOf(r.Context()), "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "30")
	}
	if te := (*models.ThrottledError)(nil); errors.As(err, &te) {
		setRetryAfter(w, te.RetryAfter)
	}
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "internal error", "request_id", requestIDOf(r.Context()), "path", r.URL.Path, "err", err)
	}
	if isAPI(r) {
		body := map[string]any{"error": publicMessage(err, status)}
		var ve *models.ValidationError
		if errors.As(err, &ve) {
			body["fields"] = ve.Fields
		}
		writeJSON(w, status, body)
		return
	}
	s.renderError(w, r, status, key, err)
}

// errorStatus answers with a bare status and message key.
func (s *Server) errorStatus(w http.ResponseWriter, r *http.Request, status int, key string) {
	if isAPI(r) {
		writeJSON(w, status, map[string]string{"error": strings.ToLower(http.StatusText(status))})
		return
	}
	s.renderError(w, r, status, key, nil)
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, key string, err error) {
	v := &errorView{Key: key}
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		v.Fields = ve.Fields
	} else if err != nil && status < 500 && key != "error.not_found" {
		v.Detail = err.Error()
	}
	s.render(w, r, status, errorPage(s.page(r, s.localeFor(r).T(key)), v))
}

// publicMessage is the user-safe text of err: the domain message for 4xx,
// a generic one for 5xx.
func publicMessage(err error, status int) string {
	switch {
	case status == http.StatusServiceUnavailable:
		return models.ErrUnavailable.Error() + ": please retry later"
	case status >= 500:
		return "internal error"
	}
	return err.Error()
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v) //nolint:errcheck // client gone
}

// setRetryAfter tells the client to come back after d, in whole seconds
// rounded up.
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(d.Seconds())+1))
}
