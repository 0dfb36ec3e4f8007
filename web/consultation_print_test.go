package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestConsultationPrintKitHead: the workshop kit's calendar does not start
// with a separator when the information phase is skipped, and a
// consultation without a question text prints no empty "The question"
// heading.
func TestConsultationPrintKitHead(t *testing.T) {
	cw := newConsWeb(t, "sqlite")
	t0 := cw.Now.Add(time.Hour)
	body := map[string]any{"title": "School budget", "summary": "Your ideas for the schools",
		"phases": []map[string]any{ // no information phase
			{"name": "contribution", "starts_at": t0},
			{"name": "synthesis", "starts_at": t0.Add(20 * 24 * time.Hour)},
			{"name": "closed", "starts_at": t0.Add(30 * 24 * time.Hour)},
		}}
	var c struct{ ID string }
	if res := cw.api("POST", "/api/v1/spaces/town/consultations", cw.modTok, body, &c); res.StatusCode != http.StatusCreated {
		t.Fatalf("create consultation: %d", res.StatusCode)
	}
	page := readBody(cw.get(cw.client(), "/consultations/"+c.ID+"/print"))
	if !strings.Contains(page, `<p class="meta">Contribution `) || strings.Contains(page, `<p class="meta"> · `) {
		t.Errorf("the kit's calendar should start with the contribution phase:\n%s", page)
	}
	if strings.Contains(page, `id="p-question"`) {
		t.Errorf("a consultation without a question text prints an empty question heading")
	}
	// The first consultation has its question, which the kit prints.
	if page := readBody(cw.get(cw.client(), "/consultations/"+cw.id+"/print")); !strings.Contains(page, `id="p-question"`) || !strings.Contains(page, "<strong>Tell us.</strong>") {
		t.Errorf("the kit lost the question of a consultation that has one")
	}
}
