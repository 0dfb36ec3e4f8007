package web

import (
	"net/http"
	"sync"

	"github.com/a-h/templ"
)

// pageCache keeps rendered pages that depend only on the database and on
// the phase something is in now (debate_cache.go says why and when): an
// entry is served again only while models.Store.ChangeVersion still
// returns the version read before its data, and only under the same key,
// which carries that phase. Least recently used entries go first.
type pageCache struct {
	mu      sync.Mutex
	entries map[pageKey]*pageEntry
	tick    uint64
}

// pageKey names one rendered page: the object, the path it was asked at,
// the language, and the phase the page showed (what the clock changes
// without a write).
type pageKey struct {
	id     int64
	path   string
	locale *Locale
	phase  string
}

type pageEntry struct {
	version int64
	page    cachedPage
	used    uint64
}

// cachedPage is a rendered page and, when it was kept, its gzipped copy:
// compressed once when kept rather than at each view (compressResponses
// would), it costs a popular page's readers nothing more than the plain
// one. Both are shared: never modified once made.
type cachedPage struct {
	body, gz []byte
}

const (
	pageCacheSize = 32      // pages kept per cache
	pageCacheMax  = 2 << 20 // bytes: larger pages are not kept
)

// get returns the page kept under key if it was rendered from version.
func (c *pageCache) get(key pageKey, version int64) (cachedPage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if e == nil || e.version != version {
		return cachedPage{}, false
	}
	c.tick++
	e.used = c.tick
	return e.page, true
}

// put keeps page under key, rendered from data read after version.
func (c *pageCache) put(key pageKey, version int64, page cachedPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[key]; old == nil && len(c.entries) >= pageCacheSize {
		var lru pageKey
		var min uint64
		first := true
		for k, e := range c.entries {
			if first || e.used < min {
				lru, min, first = k, e.used, false
			}
		}
		delete(c.entries, lru)
	}
	if c.entries == nil {
		c.entries = map[pageKey]*pageEntry{}
	}
	c.tick++
	c.entries[key] = &pageEntry{version: version, page: page, used: c.tick}
}

// cachedBody returns the page kept in c under key when it was rendered
// from version, else renders build's and keeps it with its gzipped copy
// (when keep, and it is not too large). On an error it answers itself,
// through fail for build's (the page's own error page) or with a 500 for
// the rendering's (renderBytes), and returns false.
func (s *Server) cachedBody(w http.ResponseWriter, r *http.Request, c *pageCache, key pageKey, version int64, keep bool,
	build func() (templ.Component, error), fail func(error)) (cachedPage, bool) {
	if keep {
		if page, ok := c.get(key, version); ok {
			return page, true
		}
	}
	comp, err := build()
	if err != nil {
		fail(err)
		return cachedPage{}, false
	}
	body, ok := s.renderBytes(w, r, comp)
	if !ok {
		return cachedPage{}, false
	}
	page := cachedPage{body: body}
	if keep && len(body) <= pageCacheMax {
		page.gz = gzipped(body)
		c.put(key, version, page)
	}
	return page, true
}

// write writes the page as its body, gzipped when the client takes gzip
// and the copy exists (compressResponses then passes it on as it is).
// The caller has set the other headers.
func (p cachedPage) write(w http.ResponseWriter, r *http.Request, status int) {
	body := p.body
	if p.gz != nil && acceptsGzip(r.Header.Values("Accept-Encoding")) {
		w.Header().Set("Content-Encoding", "gzip")
		body = p.gz
	}
	w.WriteHeader(status)
	w.Write(body) //nolint:errcheck // client gone
}
