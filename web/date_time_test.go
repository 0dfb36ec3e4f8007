package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestDeadlinesShowTheHour: where the hour matters (a consultation's
// phases, an embedded debate's or petition's close), a page gives the
// date and the hour, said UTC, in its language's way, inside a <time>
// whose datetime is machine-readable. They gave the day only.
func TestDeadlinesShowTheHour(t *testing.T) {
	e := newEnv(t)
	civicEnv(t, e)
	ctx := context.Background()
	sacha, err := e.Store.AccountByUsername(ctx, "sacha")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := e.Store.AccountByUsername(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	sp, err := e.Store.SpaceByName(ctx, "ville")
	if err != nil {
		t.Fatal(err)
	}
	day := e.Now.UTC().Truncate(24 * time.Hour)
	opens, contrib := day.Add(-24*time.Hour+9*time.Hour+30*time.Minute), day.Add(-time.Hour)
	synth, closes := day.Add(10*24*time.Hour+18*time.Hour), day.Add(20*24*time.Hour+17*time.Hour+45*time.Minute)
	c, err := e.Store.CreateConsultation(ctx, sacha, "ville", models.ConsultationInput{Title: "Le parc du canal",
		OpensAt: opens, ContributionAt: contrib, SynthesisAt: synth, ClosesAt: closes})
	if err != nil {
		t.Fatal(err)
	}
	voteEnds := day.Add(3*24*time.Hour + 20*time.Hour)
	now := e.Now
	d, err := e.Store.CreateDebate(ctx, sacha, sp, models.DebateInput{Question: "Un marché le dimanche ?", Options: []string{"Oui", "Non"},
		OpensAt: &now, ClosesAt: &voteEnds})
	if err != nil {
		t.Fatal(err)
	}
	signEnds := day.Add(5*24*time.Hour + 23*time.Hour + 59*time.Minute + 59*time.Second)
	pe, err := e.Store.CreatePetition(ctx, alice.Actor, "ville", models.PetitionInput{Title: "Un banc devant l'école",
		Body: "Les parents attendent debout.", Addressee: "maire", Goal: 100, ClosesAt: &signEnds})
	if err != nil {
		t.Fatal(err)
	}
	page := func(path, lang string) string {
		req, _ := http.NewRequest("GET", e.URL+path, nil)
		req.Header.Set("Accept-Language", lang)
		return readBody(e.do(e.client(), req))
	}
	at := func(tm time.Time, layout string) string {
		return `<time datetime="` + tm.UTC().Format(time.RFC3339) + `">` + tm.UTC().Format(layout) + `</time>`
	}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	for lang, layout := range map[string]string{"en": "2006-01-02 15:04 UTC", "fr": "02/01/2006 15:04 UTC"} {
		cons := page("/consultations/"+id(c.ID), lang)
		for _, tm := range []time.Time{opens, contrib, synth, closes} {
			if !strings.Contains(cons, at(tm, layout)) {
				t.Errorf("%s consultation page: no phase boundary %s", lang, at(tm, layout))
			}
		}
		if body := page("/embed/debates/"+id(d.ID), lang); !strings.Contains(body, at(voteEnds, layout)) {
			t.Errorf("%s embedded debate: no close %s", lang, at(voteEnds, layout))
		}
		if body := page("/embed/petitions/"+id(pe.ID), lang); !strings.Contains(body, at(signEnds, layout)) {
			t.Errorf("%s embedded petition: no close %s", lang, at(signEnds, layout))
		}
	}
}
