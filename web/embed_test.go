package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestEmbedFollowsPhaseChanges: a widget framed by another site is never
// shown from a cache in a phase that is over. Caches may keep it but must
// ask again (no-cache), and its ETag answers 304 while nothing changed;
// once the consultation's dates are moved (as its edit form does), or the
// clock reaches its next phase without any write, the next view of the
// widget, cached or not, shows the new phase: the notice instead of the
// Vote or Sign button, then the button again.
func TestEmbedFollowsPhaseChanges(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			cp := newConsPolls(t, dialect)
			ctx := context.Background()
			mod, err := cp.Store.AccountByUsername(ctx, "modo")
			if err != nil {
				t.Fatal(err)
			}
			cid, _ := strconv.ParseInt(cp.id, 10, 64)
			for path, button := range map[string]string{
				"/embed/debates/" + strings.TrimPrefix(cp.debate, "/d/"):      ">Vote<",
				"/embed/petitions/" + strings.TrimPrefix(cp.petition, "/pe/"): ">Sign<",
			} {
				t.Run(path, func(t *testing.T) {
					cp.day(12) // contribution
					view := func(etag string, want int) (string, string) {
						t.Helper()
						req, _ := http.NewRequest(http.MethodGet, cp.URL+path, nil)
						req.Header.Set("Accept-Language", "en")
						if etag != "" {
							req.Header.Set("If-None-Match", etag)
						}
						res := cp.do(cp.client(), req)
						if res.StatusCode != want {
							t.Fatalf("GET %s (If-None-Match %s): %d, want %d", path, etag, res.StatusCode, want)
						}
						if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
							t.Errorf("Cache-Control %q: a cache may show the widget without asking", cc)
						}
						return readBody(res), res.Header.Get("ETag")
					}
					body, etag := view("", http.StatusOK)
					if !strings.Contains(body, button) || etag == "" {
						t.Fatalf("contribution phase: button shown %v, ETag %q", strings.Contains(body, button), etag)
					}
					view(etag, http.StatusNotModified)

					c, err := cp.Store.ConsultationByID(ctx, cid)
					if err != nil {
						t.Fatal(err)
					}
					in := models.ConsultationInput{Title: c.Title, Summary: c.Summary, Body: c.Body, OpensAt: c.OpensAt,
						ContributionAt: cp.t0.Add(20 * 24 * time.Hour), SynthesisAt: c.SynthesisAt, ClosesAt: c.ClosesAt, MapEnabled: c.MapEnabled}
					if _, err := cp.Store.UpdateConsultation(ctx, mod, cid, in); err != nil {
						t.Fatal(err)
					}
					body, moved := view(etag, http.StatusOK)
					if strings.Contains(body, button) || !strings.Contains(body, "phase-refusal") || !strings.Contains(body, "information phase") {
						t.Fatalf("contribution moved to day 20, on day 12 the widget still offers %s: %s", button, body)
					}
					view(moved, http.StatusNotModified)

					cp.day(21) // the clock reaches the moved contribution phase: nothing is written
					if body, _ := view(moved, http.StatusOK); !strings.Contains(body, button) || strings.Contains(body, "phase-refusal") {
						t.Fatalf("contribution phase reached, the widget still refuses: %s", body)
					}

					in.ContributionAt = c.ContributionAt // as it was, for the next widget
					if _, err := cp.Store.UpdateConsultation(ctx, mod, cid, in); err != nil {
						t.Fatal(err)
					}
				})
			}
		})
	}
}

// TestEmbedClosesWithItsDebate: a widget kept by the server and by
// caches follows its debate's own phase too: once the closing time
// passes (nothing is written), the next view is the closed widget, not a
// 304 nor the kept open one with its Vote button.
func TestEmbedClosesWithItsDebate(t *testing.T) {
	e := newDebateEnv(t)
	ctx := context.Background()
	closes := e.Now.Add(time.Hour)
	d, err := e.Store.CreateDebate(ctx, e.mod, e.space, models.DebateInput{Question: "A fountain?", Options: []string{"Yes", "No"}, ClosesAt: &closes})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.OpenDebate(ctx, e.mod, d.ID); err != nil {
		t.Fatal(err)
	}
	path := "/embed/debates/" + strconv.FormatInt(d.ID, 10)
	view := func(etag string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
		req.Header.Set("Accept-Language", "en")
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		res := e.do(e.client(), req)
		return res, readBody(res)
	}
	res, body := view("")
	etag := res.Header.Get("ETag")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, ">Vote<") || etag == "" {
		t.Fatalf("open debate's widget: %d, Vote shown %v, ETag %q", res.StatusCode, strings.Contains(body, ">Vote<"), etag)
	}
	if res, _ := view(etag); res.StatusCode != http.StatusNotModified {
		t.Fatalf("unchanged widget: %d, want 304", res.StatusCode)
	}
	e.Now = closes.Add(time.Minute)
	if res, body := view(etag); res.StatusCode != http.StatusOK || strings.Contains(body, ">Vote<") {
		t.Errorf("closing time passed: %d, Vote shown %v; want the closed widget", res.StatusCode, strings.Contains(body, ">Vote<"))
	}
}
