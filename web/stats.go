package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.Get("/consultations/{id}/stats", s.statsJSON)
	})
}

// statsRow is one labelled figure of a dashboard table or chart.
type statsRow struct {
	Label string
	N     int
}

// statsChart lays out an accessible bar chart (the debates' chart_bars
// partial) of rows; Desc states every figure.
func statsChart(l *Locale, id, title string, rows []statsRow) *chart {
	c := &chart{ID: id, Title: title}
	most := 0
	for _, r := range rows {
		most = max(most, r.N)
	}
	desc := title + "."
	for _, r := range rows {
		c.Bars = append(c.Bars, chartBar{Label: r.Label, Value: l.Int(r.N), Width: barWidth(r.N, most), Leading: most > 0 && r.N == most})
		desc += " " + l.T("chart.item", r.Label, l.Int(r.N))
	}
	c.Desc = desc
	return c
}

// statsSection is one chart with its data table.
type statsSection struct {
	ID    string
	Title string
	Head  []string // column headings of the table
	Rows  [][]string
	Chart *chart
}

// statsView is the dashboard.
type statsView struct {
	*consultationView
	St       *models.ConsultationStats
	Sections []statsSection
}

func themeLabel(l *Locale, tc models.ThemeCount) string {
	if tc.ThemeID == 0 {
		return l.T("stats.no_theme")
	}
	return tc.Name
}

func (s *Server) statsView(r *http.Request, c *models.Consultation) (*statsView, error) {
	head, err := s.consultationHeader(r, c)
	if err != nil {
		return nil, err
	}
	st, err := s.store.ConsultationStatistics(r.Context(), c.ID)
	if err != nil {
		return nil, err
	}
	l := s.localeFor(r)
	v := &statsView{consultationView: head, St: st}
	// Online versus workshop.
	ow := []statsRow{{l.T("stats.online"), st.Online}, {l.T("stats.workshop"), st.Workshop}}
	v.Sections = append(v.Sections, s.statsSectionOf(l, "chart-origin", l.T("stats.by_origin"), []string{l.T("stats.origin"), l.T("stats.contributions")}, ow))
	// By type.
	var types []statsRow
	for _, k := range models.StatsKinds() {
		types = append(types, statsRow{l.T("stats.kind." + k), st.ByType[k]})
	}
	v.Sections = append(v.Sections, s.statsSectionOf(l, "chart-type", l.T("stats.by_type"), []string{l.T("stats.type"), l.T("stats.count")}, types))
	// By theme: contributions online and in workshops, participants.
	var themes []statsRow
	sec := statsSection{ID: "chart-theme", Title: l.T("stats.by_theme"),
		Head: []string{l.T("stats.theme"), l.T("stats.online"), l.T("stats.workshop"), l.T("stats.participants")}}
	for _, tc := range st.ByTheme {
		themes = append(themes, statsRow{themeLabel(l, tc), tc.Online + tc.Workshop})
		sec.Rows = append(sec.Rows, []string{themeLabel(l, tc), l.Int(tc.Online), l.Int(tc.Workshop), l.Int(tc.Participants)})
	}
	sec.Chart = statsChart(l, sec.ID, sec.Title, themes)
	v.Sections = append(v.Sections, sec)
	// By instance.
	var hosts []statsRow
	for _, h := range st.ByInstance {
		label := h.Host
		if h.Local {
			label = l.T("stats.local_host", h.Host)
		}
		hosts = append(hosts, statsRow{label, h.Participants})
	}
	v.Sections = append(v.Sections, s.statsSectionOf(l, "chart-instance", l.T("stats.by_instance"), []string{l.T("stats.instance"), l.T("stats.participants")}, hosts))
	// Over time.
	var days []statsRow
	sec = statsSection{ID: "chart-day", Title: l.T("stats.by_day"),
		Head: []string{l.T("stats.day"), l.T("stats.online"), l.T("stats.workshop"), l.T("stats.participation")}}
	for _, d := range st.ByDay {
		day := dayLabel(l, d.Day)
		days = append(days, statsRow{day, d.Online + d.Workshop + d.Participation})
		sec.Rows = append(sec.Rows, []string{day, l.Int(d.Online), l.Int(d.Workshop), l.Int(d.Participation)})
	}
	sec.Chart = statsChart(l, sec.ID, sec.Title, days)
	v.Sections = append(v.Sections, sec)
	return v, nil
}

// dayLabel is a statistics day (YYYY-MM-DD, UTC, as the CSV and JSON
// keep it) written as the page's other dates are (fmtDate).
func dayLabel(l *Locale, day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return fmtDate(l, t)
}

func (s *Server) statsSectionOf(l *Locale, id, title string, head []string, rows []statsRow) statsSection {
	sec := statsSection{ID: id, Title: title, Head: head, Chart: statsChart(l, id, title, rows)}
	for _, r := range rows {
		sec.Rows = append(sec.Rows, []string{r.Label, l.Int(r.N)})
	}
	return sec
}

func (s *Server) statsPage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	v, err := s.statsView(r, c)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, consultationStatsPage(s.page(r, s.localeFor(r).T("stats.title", c.Title)), v))
}

// apiStats is GET /api/v1/consultations/{id}/stats (DESIGN.md §8):
// by_instance maps hosts to distinct participants, by_theme theme names
// to contributions (online and workshop); the detailed lists follow.
type apiStats struct {
	ConsultationID       string                `json:"consultation_id"`
	Participants         int                   `json:"participants"`
	ParticipantsOnline   int                   `json:"participants_online"`
	ParticipantsWorkshop int                   `json:"participants_workshop"`
	Contributions        apiContributionCounts `json:"contributions"`
	Workshops            int                   `json:"workshops"`
	ByInstance           map[string]int        `json:"by_instance"`
	ByTheme              map[string]int        `json:"by_theme"`
	ByType               map[string]int        `json:"by_type"`
	Themes               []apiThemeCount       `json:"themes"`
	ByDay                []models.DayCount     `json:"by_day"`
	GeneratedAt          string                `json:"generated_at"`
	Licence              string                `json:"licence,omitempty"`
}

type apiContributionCounts struct {
	Online   int `json:"online"`
	Workshop int `json:"workshop"`
}

// apiThemeCount is a theme's share in the statistics; ThemeID is a
// string, as every id of the API, and "" for contributions without a
// theme (it was a number, 0 for those).
type apiThemeCount struct {
	ThemeID      string `json:"theme_id"`
	Name         string `json:"name"`
	Online       int    `json:"online"`
	Workshop     int    `json:"workshop"`
	Participants int    `json:"participants"`
}

// noThemeKey names unthemed contributions in by_theme.
const noThemeKey = "(no theme)"

func toAPIStats(st *models.ConsultationStats, licence string) apiStats {
	out := apiStats{ConsultationID: strconv.FormatInt(st.ConsultationID, 10), Participants: st.Participants,
		ParticipantsOnline: st.ParticipantsOnline, ParticipantsWorkshop: st.ParticipantsWorkshop,
		Contributions: apiContributionCounts{Online: st.Online, Workshop: st.Workshop}, Workshops: st.Workshops,
		ByInstance: map[string]int{}, ByTheme: map[string]int{}, ByType: st.ByType, Themes: []apiThemeCount{}, ByDay: st.ByDay,
		GeneratedAt: st.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z"), Licence: licence}
	for _, h := range st.ByInstance {
		out.ByInstance[h.Host] = h.Participants
	}
	for _, tc := range st.ByTheme {
		name := tc.Name
		if tc.ThemeID == 0 {
			name = noThemeKey
		}
		out.ByTheme[name] += tc.Online + tc.Workshop
		out.Themes = append(out.Themes, apiThemeCount{ThemeID: idString(tc.ThemeID), Name: tc.Name,
			Online: tc.Online, Workshop: tc.Workshop, Participants: tc.Participants})
	}
	if out.ByDay == nil {
		out.ByDay = []models.DayCount{}
	}
	return out
}

// statsJSON serves the statistics as JSON, for the API and as a download.
func (s *Server) statsJSON(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	st, err := s.store.ConsultationStatistics(r.Context(), c.ID)
	var sp *models.Space
	if err == nil {
		sp, err = s.store.SpaceByID(r.Context(), c.SpaceID)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	if !isAPI(r) {
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="consultation-%d-stats.json"`, c.ID))
	}
	writeJSON(w, http.StatusOK, toAPIStats(st, sp.Licence))
}

// statsCSV serves the statistics as CSV in long format: section, key,
// value (sections: summary, type, theme_online, theme_workshop,
// theme_participants, instance, day_online, day_workshop,
// day_participation).
func (s *Server) statsCSV(w http.ResponseWriter, r *http.Request) {
	c, ok := s.consultationFromURL(w, r)
	if !ok {
		return
	}
	st, err := s.store.ConsultationStatistics(r.Context(), c.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="consultation-%d-stats.csv"`, c.ID))
	cw := csv.NewWriter(w)
	row := func(section, key string, n int) { cw.Write([]string{section, models.CSVSafe(key), strconv.Itoa(n)}) } //nolint:errcheck // client gone
	cw.Write([]string{"section", "key", "value"})                                                                 //nolint:errcheck
	row("summary", "participants", st.Participants)
	row("summary", "participants_online", st.ParticipantsOnline)
	row("summary", "participants_workshop", st.ParticipantsWorkshop)
	row("summary", "contributions_online", st.Online)
	row("summary", "contributions_workshop", st.Workshop)
	row("summary", "workshops", st.Workshops)
	for _, k := range models.StatsKinds() {
		row("type", k, st.ByType[k])
	}
	for _, tc := range st.ByTheme {
		name := tc.Name
		if tc.ThemeID == 0 {
			name = noThemeKey
		}
		row("theme_online", name, tc.Online)
		row("theme_workshop", name, tc.Workshop)
		row("theme_participants", name, tc.Participants)
	}
	for _, h := range st.ByInstance {
		row("instance", h.Host, h.Participants)
	}
	for _, d := range st.ByDay {
		row("day_online", d.Day, d.Online)
		row("day_workshop", d.Day, d.Workshop)
		row("day_participation", d.Day, d.Participation)
	}
	cw.Flush()
}
