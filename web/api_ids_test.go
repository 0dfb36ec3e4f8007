package web_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestConsultationIDAsString: the API writes ids as strings, and debates
// and news take their consultation so too (a number still works, as they
// took it before); anything else is refused with 422.
func TestConsultationIDAsString(t *testing.T) {
	e := newDebateEnv(t)
	now := time.Now().UTC()
	c, err := e.Store.CreateConsultation(context.Background(), e.mod, "town", models.ConsultationInput{Title: "Market",
		OpensAt: now.Add(-2 * time.Hour), ContributionAt: now.Add(-time.Hour), SynthesisAt: now.Add(48 * time.Hour), ClosesAt: now.Add(72 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(c.ID, 10)
	for _, tc := range []struct {
		name   string
		ref    any
		status int
	}{{"string", id, http.StatusCreated}, {"number", c.ID, http.StatusCreated}, {"garbage", "abc", http.StatusUnprocessableEntity}} {
		var d struct{ Consultation string }
		res := e.api("POST", "/api/v1/spaces/town/debates", e.modTok, map[string]any{"question": "Which day? (" + tc.name + ")",
			"options": []string{"Saturday", "Sunday"}, "consultation": tc.ref}, &d)
		if res.StatusCode != tc.status || (tc.status == http.StatusCreated && d.Consultation != id) {
			t.Errorf("debate with consultation %v: %d %+v, want %d", tc.ref, res.StatusCode, d, tc.status)
		}
		res = e.api("POST", "/api/v1/spaces/town/news", e.modTok, map[string]any{"title": "Market news (" + tc.name + ")",
			"body": "Saturday.", "consultation": tc.ref}, nil)
		if res.StatusCode != tc.status {
			t.Errorf("news with consultation %v: %d, want %d", tc.ref, res.StatusCode, tc.status)
		}
	}
}
