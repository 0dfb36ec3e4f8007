package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
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
	case errors.Is(err, models.ErrEditConflict):
		// An If-Match that no longer matches (RFC 9110 §13.1.1); the forms
		// show their own notice first (editConflict).
		return http.StatusPreconditionFailed, "error.edit_conflict"
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
		s.log.WarnContext(r.Context(), "unavailable", "request_id", requestIDOf(r.Context()), "path", r.URL.Path, "err", err)
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
		v.Detail = errorDetail(s.localeFor(r), err)
	}
	s.render(w, r, status, errorPage(s.page(r, s.localeFor(r).T(key)), v))
}

// errorDetail is what err says besides its kind, in l's language, for an
// error page. models write "closed: this debate is closed; …": the kind,
// then an English sentence that the API returns as it is; a page shows
// the sentence through the catalogs, which key it by its English text
// (errorPatterns when it holds a name or a number). A sentence the
// catalogs lack is shown only on an English page, so that a French page
// never turns English; an error that is only its kind ("sign: already
// exists") adds nothing to the page's title.
func errorDetail(l *Locale, err error) string {
	var pe *models.PhaseError
	if errors.As(err, &pe) {
		return phaseRefusalText(l, pe)
	}
	s := errorSentence(err)
	switch {
	case s == "":
		return ""
	case l.Has(s):
		return l.T(s)
	}
	for _, p := range errorPatterns {
		if args, ok := p.match(s); ok {
			return l.T(p.key, args...)
		}
	}
	if l.Lang == "en" {
		return s
	}
	return ""
}

// phaseRefusalText is a *models.PhaseError in l's language, as
// phaseRefusalNotice says it beside a form; its English text only on an
// English page.
func phaseRefusalText(l *Locale, pe *models.PhaseError) string {
	key := "consultation.refused." + pe.Action + "." + pe.Phase
	switch {
	case !l.Has(key) && l.Lang == "en":
		return pe.Error()
	case !l.Has(key):
		return ""
	case pe.Next.IsZero():
		return l.T(key, pe.Consultation)
	}
	return l.T(key, pe.Consultation) + " " + l.T("consultation.refused.opens") + " " + fmtDateTime(l, pe.Next) + "."
}

// errorSentence is the sentence err adds to the error it wraps, as in
// fmt.Errorf("%w: sentence", models.ErrClosed), from the outermost such
// wrapping; operations wrapped around it ("cast vote: %w") are dropped.
func errorSentence(err error) string {
	for e := err; e != nil; {
		inner := errors.Unwrap(e)
		if inner == nil {
			return ""
		}
		if s, ok := strings.CutPrefix(e.Error(), inner.Error()+": "); ok {
			return s
		}
		e = inner
	}
	return ""
}

// errorPattern is a catalog key for a models sentence with a variable
// part: %s (a name) or %d (a number).
type errorPattern struct {
	key  string
	re   *regexp.Regexp
	ints []bool // which arguments are %d
}

// errorPatterns are the sentences of models errors that name something
// (a server) or count (minutes); the other sentences are fixed, and keyed
// as they are.
var errorPatterns = []errorPattern{
	newErrorPattern("the report was already forwarded to %s"),
	newErrorPattern("the server %s is blocked here: the report cannot reach it"),
	newErrorPattern("a comment can be edited for %d minutes only"),
}

func newErrorPattern(key string) errorPattern {
	p := errorPattern{key: key}
	var re strings.Builder
	re.WriteString("^")
	for rest := key; rest != ""; {
		i := strings.IndexByte(rest, '%')
		if i < 0 || i+1 == len(rest) {
			re.WriteString(regexp.QuoteMeta(rest))
			break
		}
		re.WriteString(regexp.QuoteMeta(rest[:i]))
		switch rest[i+1] {
		case 'd':
			re.WriteString(`(\d+)`)
			p.ints = append(p.ints, true)
		case 's':
			re.WriteString(`(.+)`)
			p.ints = append(p.ints, false)
		default:
			panic("errorPattern " + key + ": only %s and %d")
		}
		rest = rest[i+2:]
	}
	re.WriteString("$")
	p.re = regexp.MustCompile(re.String())
	return p
}

// match returns the variable parts of s when s is a sentence of p.
func (p errorPattern) match(s string) ([]any, bool) {
	m := p.re.FindStringSubmatch(s)
	if m == nil {
		return nil, false
	}
	args := make([]any, len(p.ints))
	for i, isInt := range p.ints {
		args[i] = m[i+1]
		if isInt {
			n, err := strconv.Atoi(m[i+1])
			if err != nil {
				return nil, false
			}
			args[i] = n
		}
	}
	return args, true
}

// publicMessage is the user-safe text of err: the domain message for 4xx,
// a generic one for 5xx.
func publicMessage(err error, status int) string {
	switch {
	case status == http.StatusServiceUnavailable:
		return models.ErrUnavailable.Error() + ": please retry later"
	case status >= 500:
		return "internal error"
	case status == http.StatusPreconditionFailed:
		return "precondition failed: it was changed since the version named in If-Match; nothing was saved: GET it again for its current state and ETag, then send the edit again"
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
