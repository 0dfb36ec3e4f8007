package web

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.With(s.searchLimit()).Get("/search", s.searchPage)
	})
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.With(s.searchLimit()).Get("/search", s.apiSearch)
	})
}

// searchesPerMinute bounds the searches of one address, page and API
// together. Reads are otherwise free (open data), but a search ranks
// every match of six kinds, where a list reads one page by its index.
const searchesPerMinute = 30

// searchLimiters holds one search limiter per Server, shared by the page
// and the API (as participationLimiters).
var searchLimiters sync.Map // *Server → *httprate.RateLimiter

// searchLimit limits the requests that search (those with a q) per
// client address; the empty form passes.
func (s *Server) searchLimit() func(http.Handler) http.Handler {
	return s.limitIf(&searchLimiters, searchesPerMinute, time.Minute, keyByClient,
		func(r *http.Request) bool { return r.URL.Query().Has("q") })
}

// searchPageSize is the hits of one page of a kind.
const searchPageSize = 20

// searchKindOptions are the kind field's choices: every kind, or one.
var searchKindOptions = func() []fieldOption {
	out := []fieldOption{{"", "search.kind_any"}}
	for _, k := range models.SearchKinds {
		out = append(out, fieldOption{k, "search.kind." + k})
	}
	return out
}()

// searchSortOptions are the order field's choices (models.SearchQuery.Sort).
var searchSortOptions = []fieldOption{
	{models.SearchByRelevance, "search.sort." + models.SearchByRelevance},
	{models.SearchByNew, "search.sort." + models.SearchByNew},
}

// searchView is the search page: its form, and its results once asked.
type searchView struct {
	Q, Kind, Space string
	Sort           string // as asked; the results tell the order used
	Spaces         []*models.Space
	Results        *models.SearchResults // nil before a search
	// Errors are the refused search's problems by field (q, kind, sort,
	// before, offset).
	Errors map[string]string
}

// searchQuery reads ?q=&kind=&space=&sort=; the page's cursors are
// ?before= (newest first) and ?offset= (by relevance). An unreadable
// cursor is refused by models.
func searchQuery(r *http.Request) models.SearchQuery {
	q := r.URL.Query()
	return models.SearchQuery{Text: q.Get("q"), Kind: q.Get("kind"), Space: q.Get("space"), Sort: q.Get("sort"),
		Before: cursorNumber[int64](q.Get("before")), Offset: cursorNumber[int](q.Get("offset")), Limit: searchPageSize}
}

// cursorNumber is a page cursor's number: 0 when absent, -1 (refused by
// models) when unreadable.
func cursorNumber[T int | int64](s string) T {
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > math.MaxInt32 {
		return -1
	}
	return T(n)
}

func (s *Server) searchPage(w http.ResponseWriter, r *http.Request) {
	sq := searchQuery(r)
	spaces, err := s.store.ListSpaces(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := &searchView{Q: sq.Text, Kind: sq.Kind, Space: sq.Space, Sort: sq.Sort, Spaces: spaces}
	l := s.localeFor(r)
	status := http.StatusOK
	if strings.TrimSpace(sq.Text) != "" || r.URL.Query().Has("q") {
		v.Results, err = s.store.Search(r.Context(), sq)
		var ve *models.ValidationError
		switch {
		case errors.As(err, &ve):
			status, v.Errors, v.Results = http.StatusUnprocessableEntity, ve.Fields, nil
		case errors.Is(err, models.ErrNotFound):
			status, v.Errors, v.Results = http.StatusNotFound, map[string]string{"space": "search.no_space"}, nil
		case err != nil:
			s.error(w, r, err)
			return
		}
	}
	title := l.T("search.title")
	if v.Results != nil {
		title = l.T("search.title_for", sq.Text)
	}
	s.render(w, r, status, searchPage(s.page(r, title), v))
}

// searchURL is the search page's address for v's words and order with
// kind changed ("" leaves it out), at the page after res's when next.
func searchURL(v *searchView, kind string, res *models.SearchResults, next bool) string {
	q := url.Values{"q": {v.Q}}
	if kind != "" {
		q.Set("kind", kind)
	}
	if v.Space != "" {
		q.Set("space", v.Space)
	}
	if res.Sort == models.SearchByNew {
		q.Set("sort", models.SearchByNew)
	}
	switch {
	case next && res.Next > 0:
		q.Set("before", strconv.FormatInt(res.Next, 10))
	case next && res.NextOffset > 0:
		q.Set("offset", strconv.Itoa(res.NextOffset))
	}
	return "/search?" + q.Encode()
}

// hasNext reports whether res has a page after it.
func hasNext(res *models.SearchResults) bool { return res.Next > 0 || res.NextOffset > 0 }

// hitPath is a hit's page on this server.
func hitPath(h *models.SearchHit) string {
	id := strconv.FormatInt(h.ID, 10)
	switch h.Kind {
	case models.SearchProposals:
		return "/p/" + id
	case models.SearchDebates:
		return "/d/" + id
	case models.SearchPetitions:
		return "/pe/" + id
	case models.SearchConsultations:
		return "/consultations/" + id
	case models.SearchComments:
		return "/c/" + id // the comment's permalink, in its thread
	}
	return "/news/" + id
}

// hitTitle is what a hit's link says: its title, or for a comment the
// item it belongs to (and a debate argument's stance).
func hitTitle(l *Locale, h *models.SearchHit) string {
	switch {
	case h.Kind != models.SearchComments:
		return h.Title
	case h.Stance != "":
		return l.T("search.argument_on."+h.Stance, h.Title)
	}
	return l.T("search.comment_on", h.Title)
}

// apiSearchHit is one hit of GET /api/v1/search.
type apiSearchHit struct {
	Kind      string    `json:"kind"`
	ID        string    `json:"id"` // a string, as every id the API writes
	Title     string    `json:"title"`
	Excerpt   string    `json:"excerpt"`
	URL       string    `json:"url"`
	Space     string    `json:"space"`
	Published time.Time `json:"published"`
	// On is, for a comment, the item it belongs to.
	On     *apiSearchItem `json:"on,omitempty"`
	Stance string         `json:"stance,omitempty"` // a debate argument's
}

// apiSearchItem is the item a comment found belongs to.
type apiSearchItem struct {
	Kind  string `json:"kind"`
	ID    string `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// apiSearchResults is GET /api/v1/search's answer.
type apiSearchResults struct {
	Counts     map[string]int `json:"counts"`
	Items      []apiSearchHit `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// apiSearch answers GET /api/v1/search. Its cursor is an id newest
// first (as before relevance: without sort it means sort=new) and "o"
// and an offset by relevance; a cursor of the other order is refused.
func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request) {
	cursor, limit := pageParams(r)
	sq := searchQuery(r)
	sq.Before, sq.Offset, sq.Limit = 0, 0, limit
	badCursor := models.Invalid("cursor", "is not a cursor of this list")
	if offset, ok := strings.CutPrefix(cursor, "o"); ok {
		if sq.Offset = cursorNumber[int](offset); sq.Offset <= 0 || sq.Sort == models.SearchByNew || sq.Sort == models.SortNewest {
			s.error(w, r, badCursor)
			return
		}
	} else if sq.Before, _ = idCursor(cursor); cursor != "" && (sq.Before == 0 || sq.Sort == models.SearchByRelevance) {
		s.error(w, r, badCursor) // told on cursor, the API's name, not the page's before
		return
	}
	res, err := s.store.Search(r.Context(), sq)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := apiSearchResults{Counts: res.Counts, Items: make([]apiSearchHit, 0, len(res.Hits))}
	for _, h := range res.Hits {
		hit := apiSearchHit{Kind: h.Kind, ID: strconv.FormatInt(h.ID, 10), Title: h.Title, Excerpt: h.Excerpt,
			URL: s.opts.BaseURL + hitPath(h), Space: h.Space.Name, Published: h.Date.UTC(), Stance: h.Stance}
		if h.On != nil {
			hit.On = &apiSearchItem{Kind: h.On.Kind, ID: strconv.FormatInt(h.On.ID, 10), Title: h.On.Title, URL: s.opts.BaseURL + hitPath(h.On)}
		}
		out.Items = append(out.Items, hit)
	}
	switch {
	case res.Next > 0:
		out.NextCursor = strconv.FormatInt(res.Next, 10)
	case res.NextOffset > 0:
		out.NextCursor = "o" + strconv.Itoa(res.NextOffset)
	}
	writeJSON(w, http.StatusOK, out)
}

// searchSortValue is the order field's value: the order of the results
// shown, else the one asked.
func searchSortValue(v *searchView) string {
	if v.Results != nil {
		return v.Results.Sort
	}
	return v.Sort
}
