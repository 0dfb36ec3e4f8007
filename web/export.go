package web

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// Open data downloads (DESIGN.md §7): a space's data or one item's, in
// JSON, CSV (one table per file) or one ZIP of everything, each stating
// its licence. They are public and read-only, so any origin may fetch
// them (CORS), like the API.
func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Get("/s/{name}/data", s.openDataPage)
		r.Get("/s/{name}/export.{format}", s.exportDownload)
		r.Get("/s/{name}/export/{table}.csv", s.exportDownload)
		r.Get("/export/{kind}/{id}.{format}", s.exportDownload)
		r.Get("/export/{kind}/{id}/{table}.csv", s.exportDownload)
	})
	spaceSections = append(spaceSections, func(s *Server, r *http.Request, sp *models.Space) (templ.Component, error) {
		return opendataLinks(s.localeFor(r), sp, models.LicenceOf(sp.Licence)), nil
	})
}

// exportQuery reads the space or item of an export route.
func exportQuery(r *http.Request) (models.ExportQuery, bool) {
	if name := chi.URLParam(r, "name"); name != "" {
		return models.ExportQuery{Space: name}, true
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	kind := chi.URLParam(r, "kind")
	if err != nil || !slices.Contains(models.CommentableTypes, kind) {
		return models.ExportQuery{}, false
	}
	return models.ExportQuery{Kind: kind, ID: id}, true
}

func (s *Server) exportDownload(w http.ResponseWriter, r *http.Request) {
	q, ok := exportQuery(r)
	format, table := chi.URLParam(r, "format"), chi.URLParam(r, "table")
	if table != "" {
		format = models.FormatCSV
	}
	if !ok || (format != models.FormatJSON && format != models.FormatZIP && format != models.FormatCSV) ||
		(format == models.FormatCSV && !slices.Contains(models.ExportTables, table)) {
		s.error(w, r, models.ErrNotFound)
		return
	}
	e, err := s.store.Export(r.Context(), q)
	if err != nil {
		s.error(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", map[string]string{models.FormatJSON: "application/json; charset=utf-8",
		models.FormatCSV: "text/csv; charset=utf-8; header=present", models.FormatZIP: "application/zip"}[format])
	h.Set("Content-Disposition", `attachment; filename="`+e.FileName(q, format, table)+`"`)
	h.Set("Link", `<`+e.Licence.URL+`>; rel="license"`)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "public, max-age=300")
	switch format {
	case models.FormatJSON:
		err = e.WriteJSON(w)
	case models.FormatZIP:
		err = e.WriteZIP(w)
	default:
		err = e.WriteCSV(w, table)
	}
	if err != nil {
		s.log.WarnContext(r.Context(), "export interrupted", "request_id", requestIDOf(r.Context()), "err", err)
	}
}

// spaceLicence is the licence of sp's open data, nil without a space.
func spaceLicence(sp *models.Space) *models.Licence {
	if sp == nil {
		return nil
	}
	l := models.LicenceOf(sp.Licence)
	return &l
}

// openDataView is what /s/{name}/data shows.
type openDataView struct {
	Space   *models.Space
	Licence models.Licence
	Tables  []string
	Base    string // public base URL, for embed snippets
}

// openDataPage lists a space's downloads, feeds and embeds with their
// licence.
func (s *Server) openDataPage(w http.ResponseWriter, r *http.Request) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := &openDataView{Space: sp, Licence: models.LicenceOf(sp.Licence), Tables: models.ExportTables, Base: s.opts.BaseURL}
	s.render(w, r, http.StatusOK, opendataPage(s.page(r, s.localeFor(r).T("opendata.title", sp.Title)), v))
}
