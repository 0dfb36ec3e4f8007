package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxFormBytes bounds form bodies; text fields have their own limits in
// models.
const maxFormBytes = 1 << 20

// parseForm reads a bounded urlencoded or multipart form.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(maxFormBytes)
	}
	return r.ParseForm()
}

// formInt reads an integer field, def when empty or malformed.
func formInt(r *http.Request, name string, def int) int {
	v, err := strconv.Atoi(strings.TrimSpace(r.FormValue(name)))
	if err != nil {
		return def
	}
	return v
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

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
