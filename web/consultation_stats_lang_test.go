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
