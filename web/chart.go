package web

import (
	"strconv"

	"github.com/opendemocracynow/odn/models"
)

// chart is an accessible horizontal bar chart: one image (role="img")
// named by its title and described by Desc, which states every figure;
// pair it with a table of the same data. Labels and values are HTML text,
// so on a phone they keep the page's text size and wrap rather than
// shrink with a scaled drawing, and they follow the reader's text size
// and spacing; only the bars are SVG.
type chart struct {
	ID    string
	Title string
	Desc  string
	Bars  []chartBar
}

type chartBar struct {
	Label   string // whole: it wraps
	Value   string // "12 (40.0%)", "12 (40,0 %)"
	Width   string // the bar's length, a percentage of the chart's width (the most votes: 100%)
	Leading bool   // the option with the most votes (drawn darker, also said in Desc)
}

// barWidth is the length of a bar of n when the longest is of most: a
// CSS percentage (a bar of 0 keeps the sliver of the style sheet's
// min-width).
func barWidth(n, most int) string {
	if most <= 0 {
		return "0%"
	}
	return strconv.FormatFloat(float64(n)*100/float64(most), 'f', 1, 64) + "%"
}

// newBarChart lays out the results of a debate.
func newBarChart(l *Locale, id, title string, r *models.Results) *chart {
	c := &chart{ID: id, Title: title}
	most := 0
	for _, o := range r.Options {
		most = max(most, o.Count)
	}
	desc := l.N("chart.desc", r.Voters)
	for _, o := range r.Options {
		value := l.T("chart.value", l.Int(o.Count), l.Percent(o.Percent, 1))
		c.Bars = append(c.Bars, chartBar{Label: o.Name, Value: value, Width: barWidth(o.Count, most), Leading: most > 0 && o.Count == most})
		desc += " " + l.T("chart.item", o.Name, value)
	}
	c.Desc = desc
	return c
}
