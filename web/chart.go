package web

import (
	"unicode/utf8"

	"github.com/opendemocracynow/odn/models"
)

// Geometry of the results bar chart, in SVG user units (the SVG scales to
// its container through viewBox).
const (
	chartWidth    = 640
	chartBarMax   = 470 // the longest bar; the count is written after it
	chartRow      = 52  // one option: label line, then bar
	chartBarH     = 22
	chartLabelMax = 70 // characters of a label in the SVG; the table has them whole
)

// chart is an accessible horizontal bar chart: role="img" with a <title>
// and a <desc> that states every figure, labels and numbers as text (not
// colour alone), and the same data in a table next to it.
type chart struct {
	ID     string
	Title  string
	Desc   string
	Width  int
	Height int
	// BarHeight is the thickness of a bar.
	BarHeight int
	Bars      []chartBar
}

type chartBar struct {
	Label   string
	Value   string // "12 (40.0%)", "12 (40,0 %)"
	LabelY  int
	BarY    int
	Width   int
	ValueX  int
	ValueY  int
	Leading bool // the option with the most votes (drawn darker, also said in Desc)
}

// newBarChart lays out the results of a debate.
func newBarChart(l *Locale, id, title string, r *models.Results) *chart {
	c := &chart{ID: id, Title: title, Width: chartWidth, Height: len(r.Options)*chartRow + 8, BarHeight: chartBarH}
	most := 0
	for _, o := range r.Options {
		most = max(most, o.Count)
	}
	desc := l.N("chart.desc", r.Voters)
	for i, o := range r.Options {
		label := o.Name
		if utf8.RuneCountInString(label) > chartLabelMax {
			label = string([]rune(label)[:chartLabelMax-1]) + "…"
		}
		w := 0
		if most > 0 {
			w = o.Count * chartBarMax / most
		}
		y := i * chartRow
		value := l.T("chart.value", l.Int(o.Count), l.Percent(o.Percent, 1))
		c.Bars = append(c.Bars, chartBar{Label: label, Value: value, LabelY: y + 16, BarY: y + 22, Width: max(w, 2),
			ValueX: max(w, 2) + 8, ValueY: y + 38, Leading: most > 0 && o.Count == most})
		desc += " " + l.T("chart.item", o.Name, value)
	}
	c.Desc = desc
	return c
}
