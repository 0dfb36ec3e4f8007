package web

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/opendemocracynow/odn/models"
)

// Map geometry: a fixed viewport of web-mercator tiles, as an SVG whose
// images and markers are attributes (no inline style, no script: the CSP
// stays strict and the page works without JavaScript).
const (
	mapWidth    = 768
	mapHeight   = 512
	mapTileSize = 256
	mapMaxZoom  = 17
)

// mapView is the map page: a list of located contributions (always, the
// accessible form) and, when tiles are configured, a drawn map.
type mapView struct {
	*consultationView
	Points   []mapPoint
	Tiles    []mapTile
	HasTiles bool
	Width    int
	Height   int
	Mine     []models.ConsultationItem // what the viewer may place
	Errors   map[string]string
	Lat, Lon string
}

func (v *mapView) setErrors(e map[string]string) { v.Errors = e }

type mapPoint struct {
	models.MapPoint
	N    int
	X, Y int
}

type mapTile struct {
	URL  string
	X, Y int
}

// mercator projects lat/lon to world pixels at zoom z.
func mercator(lat, lon float64, z int) (float64, float64) {
	world := float64(mapTileSize) * math.Exp2(float64(z))
	lat = math.Max(-85.0511, math.Min(85.0511, lat))
	x := (lon + 180) / 360 * world
	r := lat * math.Pi / 180
	y := (1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * world
	return x, y
}

// layoutMap chooses the largest zoom showing every point and places the
// tiles and markers.
func layoutMap(tmpl string, pts []models.MapPoint) ([]mapTile, []mapPoint) {
	z := mapMaxZoom
	for ; z > 1; z-- {
		minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, p := range pts {
			x, y := mercator(p.Lat, p.Lon, z)
			minX, minY, maxX, maxY = math.Min(minX, x), math.Min(minY, y), math.Max(maxX, x), math.Max(maxY, y)
		}
		if maxX-minX <= mapWidth-80 && maxY-minY <= mapHeight-80 {
			break
		}
	}
	var cx, cy float64
	for _, p := range pts {
		x, y := mercator(p.Lat, p.Lon, z)
		cx, cy = cx+x/float64(len(pts)), cy+y/float64(len(pts))
	}
	left, top := cx-mapWidth/2, cy-mapHeight/2
	var tiles []mapTile
	n := int(math.Exp2(float64(z)))
	for ty := int(math.Floor(top / mapTileSize)); float64(ty*mapTileSize) < top+mapHeight; ty++ {
		for tx := int(math.Floor(left / mapTileSize)); float64(tx*mapTileSize) < left+mapWidth; tx++ {
			if ty < 0 || ty >= n {
				continue
			}
			wx := ((tx % n) + n) % n
			u := strings.NewReplacer("{z}", strconv.Itoa(z), "{x}", strconv.Itoa(wx), "{y}", strconv.Itoa(ty)).Replace(tmpl)
			tiles = append(tiles, mapTile{URL: u, X: int(math.Round(float64(tx*mapTileSize) - left)), Y: int(math.Round(float64(ty*mapTileSize) - top))})
		}
	}
	out := make([]mapPoint, len(pts))
	for i, p := range pts {
		x, y := mercator(p.Lat, p.Lon, z)
		out[i] = mapPoint{MapPoint: p, N: i + 1, X: int(math.Round(x - left)), Y: int(math.Round(y - top))}
	}
	return tiles, out
}

// tileOrigin returns the scheme://host of a tile template, "" when the
// template is not an absolute http(s) URL.
func tileOrigin(tmpl string) string {
	u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0", "{s}", "a").Replace(tmpl))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func (s *Server) mapData(r *http.Request, c *models.Consultation) (*mapView, error) {
	head, err := s.consultationHeader(r, c)
	if err != nil {
		return nil, err
	}
	pts, err := s.store.MapPoints(r.Context(), c.ID)
	if err != nil {
		return nil, err
	}
	v := &mapView{consultationView: head, Width: mapWidth, Height: mapHeight}
	if s.opts.MapTiles != "" && tileOrigin(s.opts.MapTiles) != "" && len(pts) > 0 {
		v.HasTiles = true
		v.Tiles, v.Points = layoutMap(s.opts.MapTiles, pts)
	} else {
		for i, p := range pts {
			v.Points = append(v.Points, mapPoint{MapPoint: p, N: i + 1})
		}
	}
	if acc := currentAccount(r.Context()); acc != nil && acc.Actor != nil && head.Allowed != nil {
		items, err := s.store.ConsultationItems(r.Context(), c.ID, 0, 100)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if models.PlacesOnMap(acc, it.AuthorID) {
				v.Mine = append(v.Mine, it)
			}
		}
	}
	return v, nil
}

func (s *Server) consultationMap(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	if !c.MapEnabled {
		s.error(w, r, models.ErrNotFound)
		return
	}
	v, err := s.mapData(r, c)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.renderMap(w, r, http.StatusOK, c, v)
}

// renderMap allows the configured tile server's images in this page only.
func (s *Server) renderMap(w http.ResponseWriter, r *http.Request, status int, c *models.Consultation, v *mapView) {
	if origin := tileOrigin(s.opts.MapTiles); v.HasTiles && origin != "" {
		h := w.Header()
		h.Set("Content-Security-Policy", strings.Replace(h.Get("Content-Security-Policy"), "img-src 'self' data:", "img-src 'self' data: "+origin, 1))
	}
	s.render(w, r, status, consultationMapPage(s.page(r, s.localeFor(r).T("map.title", c.Title)), v))
}

// consultationLocate places one of the viewer's contributions on the map.
func (s *Server) consultationLocate(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	// Who first, then the form, which names the contribution (as the API:
	// authorise.go): a member with nothing to place learns nothing of it.
	if err := s.store.MayPlaceOnMap(r.Context(), currentAccount(r.Context()), c.ID); err != nil {
		s.error(w, r, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	kind, idStr, _ := strings.Cut(r.PostFormValue("item"), ":")
	id, _ := strconv.ParseInt(idStr, 10, 64)
	ve := &models.ValidationError{}
	lat, lon := formFloat(ve, "lat", r.PostFormValue("lat")), formFloat(ve, "lon", r.PostFormValue("lon"))
	if id == 0 {
		ve.Add("item", "Choose one of your contributions.")
	}
	err := ve.Err()
	if err == nil {
		err = s.store.LocateContribution(r.Context(), currentAccount(r.Context()), kind, id, lat, lon)
	}
	if err != nil {
		v, lerr := s.mapData(r, c)
		if lerr != nil {
			s.error(w, r, lerr)
			return
		}
		v.Lat, v.Lon = r.PostFormValue("lat"), r.PostFormValue("lon")
		if !takeFieldErrors(s, w, r, err, v) {
			return
		}
		s.renderMap(w, r, http.StatusUnprocessableEntity, c, v)
		return
	}
	redirect(w, r, consultationURL(c)+"/map", "map.located")
}

// consultationMarkerFill is a map marker's colour: workshops apart.
func consultationMarkerFill(workshop bool) string {
	if workshop {
		return "#8a4b00"
	}
	return "#0b57d0"
}
