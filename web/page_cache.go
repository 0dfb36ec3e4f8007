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
	body    []byte
	used    uint64
}

const (
	pageCacheSize = 32      // pages kept per cache
	pageCacheMax  = 2 << 20 // bytes: larger pages are not kept
)

// get returns the page kept under key if it was rendered from version,
// else nil.
func (c *pageCache) get(key pageKey, version int64) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if e == nil || e.version != version {
		return nil
	}
	c.tick++
	e.used = c.tick
	return e.body
}

// put keeps body under key, rendered from data read after version.
func (c *pageCache) put(key pageKey, version int64, body []byte) {
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
	c.entries[key] = &pageEntry{version: version, body: body, used: c.tick}
}

// cachedBody returns the page kept in c under key when it was rendered
// from version, else renders build's and keeps it (when keep, and it is
// not too large). On an error it answers itself, through fail for build's
// (the page's own error page) or with a 500 for the rendering's
// (renderBytes), and returns false.
func (s *Server) cachedBody(w http.ResponseWriter, r *http.Request, c *pageCache, key pageKey, version int64, keep bool,
	build func() (templ.Component, error), fail func(error)) ([]byte, bool) {
	if keep {
		if body := c.get(key, version); body != nil {
			return body, true
		}
	}
	comp, err := build()
	if err != nil {
		fail(err)
		return nil, false
	}
	body, ok := s.renderBytes(w, r, comp)
	if !ok {
		return nil, false
	}
	if keep && len(body) <= pageCacheMax {
		c.put(key, version, body)
	}
	return body, true
}
