package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"
)

// compressResponses gzips the answers of clients that accept it: pages,
// JSON (the API, ActivityPub documents, open-data exports), feeds, CSV and
// the stylesheets shrink 4–10×, which is most of a page's weight on a
// phone. A reverse proxy may do it too (Caddy's encode, nginx's gzip); odn
// does it itself because the set-up of the README has none, and nginx
// compresses only text/html unless told otherwise.
//
// gzhttp (klauspost/compress) handles what a hand-written wrapper gets
// wrong: Vary: Accept-Encoding on every answer, no compression under
// 1 KB, for range requests or of a body already encoded (pages kept by
// pageCache carry their gzipped copy), Content-Length dropped. Stateless
// compression: no writer state kept between answers (a pooled writer of
// level 1 keeps ~800 KB, which idle_rss showed), the fastest level, and
// on odn's pages 3.6× smaller against 3.9× at level 1 and 4.5× at the
// default (the demo's pages, measured). Pages are rendered into one
// buffer and written at once, which stateless compression needs. Only
// gzip: every browser and fediverse server takes it, and zstd's encoders
// would add megabytes. Answers keep their validators: the strong ETags
// odn sets are on images and PDFs, which are not compressed, and the
// widgets' are weak (the same page in either coding). The API's edit
// versions (etag.go) are kept as they are on purpose: an If-Match must
// match whichever coding the GET came in (and a proxy's weakened W/"3"
// still names version 3: ifMatch).
//
// Responses carrying a secret are not at risk of BREACH: forms carry no
// token (cross-origin protection reads Fetch metadata), and the pages
// showing a secret once (a new API token) reflect nothing a third party
// chooses.
func compressResponses() func(http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(
		gzhttp.CompressionLevel(gzip.StatelessCompression),
		gzhttp.EnableZstd(false),
		gzhttp.ContentTypeFilter(compressible),
	)
	if err != nil {
		panic(err) // fixed options: a bad one is a programming error
	}
	return func(h http.Handler) http.Handler { return wrap(h) }
}

// compressible reports whether a Content-Type is worth gzipping: text,
// JSON and XML documents and scripts; not images (already compressed,
// SVG aside), PDFs or archives.
func compressible(ct string) bool {
	ct = strings.ToLower(strings.TrimSpace(ct))
	mt, _, _ := strings.Cut(ct, ";")
	switch {
	case strings.HasPrefix(mt, "text/"), mt == "image/svg+xml":
		return true
	case strings.HasPrefix(mt, "application/"):
		return strings.HasSuffix(mt, "json") || strings.HasSuffix(mt, "xml") || mt == "application/javascript"
	}
	return false
}

// gzipped is body gzipped once for keeping (cachedPage), stateless like
// compressResponses: a writer of another level allocates ~1 MB of state
// per page kept, and the small server's memory is the scarcer resource.
func gzipped(body []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.StatelessCompression)
	zw.Write(body) //nolint:errcheck // a bytes.Buffer does not fail
	zw.Close()     //nolint:errcheck // idem
	return b.Bytes()
}

// acceptsGzip reports whether Accept-Encoding values name gzip (or
// x-gzip) with a q-value above zero. "*" is not taken as gzip, as
// compressResponses (gzhttp) does not take it: clients sending it alone
// often want the bytes as they are, and a page must not come compressed
// from the cache and plain from the handler to the same request.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			if c := strings.ToLower(strings.TrimSpace(coding)); c != "gzip" && c != "x-gzip" {
				continue
			}
			q := 1.0
			if name, value, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.EqualFold(strings.TrimSpace(name), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
					q = f
				}
			}
			return q > 0
		}
	}
	return false
}
