package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestConsultationDebatePageCached: the anonymous page of a debate of a
// consultation is served from the page cache while nothing changes, and
// its consultation's phase is part of the key: when the clock alone
// crosses into the synthesis phase, the next view is rendered again and
// refuses the vote. (Before, such pages were never kept:
// the phase was not part of the key.)
func TestConsultationDebatePageCached(t *testing.T) {
	t0 := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	now := t0.Add(day + time.Hour) // the contribution phase
	clock := func() time.Time { return now }
	const base = "http://odn.test"
	st := dbtest.Open(t, "sqlite", models.WithClock(clock), models.WithBaseURL(base))
	srv, err := New(Options{Store: st, BaseURL: base, Version: "test", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mod, err := st.CreateAccount(ctx, models.NewAccount{Username: "modo", Password: "correct horse battery", Role: models.RoleModerator})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := st.CreateSpace(ctx, nil, models.SpaceInput{Name: "town", Kind: models.KindCity})
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.CreateConsultation(ctx, mod, "town", models.ConsultationInput{Title: "The square", OpensAt: t0,
		ContributionAt: t0.Add(day), SynthesisAt: t0.Add(10 * day), ClosesAt: t0.Add(20 * day)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.CreateDebate(ctx, mod, sp, models.DebateInput{Question: "A fountain?", Options: []string{"Yes", "No"}, ConsultationID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.OpenDebate(ctx, mod, d.ID); err != nil {
		t.Fatal(err)
	}
	path := "/d/" + strconv.FormatInt(d.ID, 10)
	view := func() string {
		t.Helper()
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, rec.Code)
		}
		return rec.Body.String()
	}
	hits := func() uint64 {
		srv.debatePages.mu.Lock()
		defer srv.debatePages.mu.Unlock()
		return srv.debatePages.tick
	}
	first := view()
	if strings.Contains(first, "phase-refusal") || !strings.Contains(first, "cons-phase-contribution") {
		t.Fatal("the contribution phase's page refuses the vote or does not say its phase")
	}
	h := hits()
	if again := view(); again != first || hits() != h+1 {
		t.Errorf("an unchanged consultation debate was rendered again (hits %d → %d)", h, hits())
	}
	now = t0.Add(10*day + time.Minute) // nothing written: only the clock moves
	if body := view(); !strings.Contains(body, "phase-refusal") {
		t.Error("the synthesis phase began, the cached page still offers the vote")
	}
}
