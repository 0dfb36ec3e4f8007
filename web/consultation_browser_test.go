package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web/webtest"
)

// TestBrowserConsultationPrintKitAndDashboard opens the demo
// consultation's workshop kit as printed (print media) and its statistics
// dashboard in a real headless Chromium, and checks both with axe-core.
func TestBrowserConsultationPrintKitAndDashboard(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newEnv(t)
	if err := e.Store.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	sp, _ := e.Store.SpaceByName(context.Background(), "ville")
	cs, err := e.Store.ListConsultations(context.Background(), sp.ID, models.ConsultationFilter{})
	if err != nil || len(cs) < 2 {
		t.Fatalf("demo consultations: %v", err)
	}
	market := cs[len(cs)-1] // the older one, in its synthesis phase
	ctx := webtest.NewBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	base := fmt.Sprintf("%s/consultations/%d", e.URL, market.ID)

	// Print kit: on paper, no site navigation, the form to fill by hand.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/print"), chromedp.WaitVisible(chromedp.CSS(`.print-form`))); err != nil {
		t.Fatal(err)
	}
	webtest.CheckAccessible(t, ctx)
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	state, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`({
		header: getComputedStyle(document.querySelector('.site-header')).display,
		footer: getComputedStyle(document.querySelector('.site-footer')).display,
		form: getComputedStyle(document.querySelector('.print-form')).display,
		lines: document.querySelectorAll('.print-form .print-line').length,
		themes: document.querySelectorAll('.print-themes li').length,
		title: document.querySelector('h1').textContent,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if state["header"] != "none" || state["footer"] != "none" || state["form"] == "none" || state["lines"].(float64) < 15 || state["themes"].(float64) < 3 ||
		!strings.Contains(state["title"].(string), "place du Marché") {
		t.Errorf("print view: %v", state)
	}
	webtest.Screenshot(t, ctx, "workshop-kit-print")
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""}); err != nil {
		t.Fatal(err)
	}

	// Dashboard: accessible charts, each with its data table.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/stats"), chromedp.WaitVisible(chromedp.CSS(`#stat-participants`))); err != nil {
		t.Fatal(err)
	}
	dash, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`({
		charts: document.querySelectorAll('figure.chart [role="img"]').length,
		named: [...document.querySelectorAll('figure.chart [role="img"]')].every(s => s.getAttribute('aria-labelledby').split(' ').every(id => document.getElementById(id) && document.getElementById(id).textContent.trim())),
		tables: document.querySelectorAll('table.stats-table caption').length,
		workshop: document.querySelector('#stat-workshop').textContent.trim(),
		participants: document.querySelector('#stat-participants-workshop').textContent.trim(),
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if dash["charts"].(float64) < 4 || dash["named"] != true || dash["tables"] != dash["charts"] || dash["workshop"] != "1" || dash["participants"] != "23" {
		t.Errorf("dashboard: %v", dash)
	}
	webtest.CheckAccessible(t, ctx)
	webtest.Screenshot(t, ctx, "statistics-dashboard")

	// The consultation page itself.
	if err := chromedp.Do(ctx, chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`#synthesis`))); err != nil {
		t.Fatal(err)
	}
	webtest.CheckAccessible(t, ctx)
	webtest.Screenshot(t, ctx, "consultation")
}
