package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestConsultationDatesPerLanguage: the statistics page's days are written
// as the rest of the page's dates (07/12/2026 in French, 2026-12-07 in
// English), in the table and the chart's description, not always as
// YYYY-MM-DD; the CSV keeps YYYY-MM-DD.
func TestConsultationDatesPerLanguage(t *testing.T) {
	cw := newConsWeb(t, "sqlite")
	cw.day(12) // contribution
	proposal := map[string]any{"title": "Plant twenty trees", "body": "Shade!", "consultation": cw.id}
	if res := cw.api("POST", "/api/v1/spaces/town/proposals", cw.anaTok, proposal, nil); res.StatusCode != http.StatusCreated {
		t.Fatalf("proposal: %d", res.StatusCode)
	}
	iso, fr := cw.Now.Format(time.DateOnly), cw.Now.Format("02/01/2006")
	for lang, want := range map[string]string{"fr": fr, "en": iso} {
		req, _ := http.NewRequest("GET", cw.URL+"/consultations/"+cw.id+"/stats", nil)
		req.Header.Set("Accept-Language", lang)
		body := readBody(cw.do(cw.client(), req))
		if !strings.Contains(body, `<th scope="row">`+want+`</th>`) {
			t.Errorf("%s statistics: no day row %q", lang, want)
		}
		if lang == "fr" && strings.Contains(body, `<th scope="row">`+iso+`</th>`) {
			t.Errorf("French statistics write the day %s", iso)
		}
	}
	if csv := readBody(cw.get(cw.client(), "/consultations/"+cw.id+"/stats.csv")); !strings.Contains(csv, "day_online,"+iso+",1") {
		t.Errorf("stats.csv should keep the day %s:\n%s", iso, csv)
	}
}

// TestConsultationCardDates: a consultation's card says the date that goes
// with its phase: when an upcoming one opens, when the current phase ends
// ("Contribution · until" the synthesis, not the close ten days later),
// since when a closed one is closed. It always gave the close.
func TestConsultationCardDates(t *testing.T) {
	cw := newConsWeb(t, "sqlite") // information from T0, contribution T0+10d, synthesis T0+30d, closed T0+40d
	day := func(n int) string { return cw.t0.Add(time.Duration(n) * 24 * time.Hour).Format(time.DateOnly) }
	for _, tc := range []struct {
		now  int // days after T0
		want string
	}{
		{-1, "Upcoming</span> · opens <time datetime=\"" + day(0)},
		{3, "Information</span> · until <time datetime=\"" + day(10)},
		{12, "Contribution</span> · until <time datetime=\"" + day(30)},
		{31, "Synthesis</span> · until <time datetime=\"" + day(40)},
		{41, "Closed</span> · since <time datetime=\"" + day(40)},
	} {
		cw.day(tc.now)
		if body := readBody(cw.get(cw.client(), "/s/town/consultations")); !strings.Contains(body, tc.want) {
			t.Errorf("day %d: the card lacks %q", tc.now, tc.want)
		}
	}
}
