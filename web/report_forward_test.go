package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestReportFormForward: the report form offers to forward a report to
// the server its content comes from, naming it, only for that server's
// content; the report keeps the member's choice (off unless ticked), which
// alone decides whether it is forwarded (models.ReportToForward).
func TestReportFormForward(t *testing.T) {
	e := newDebateEnv(t)
	ctx := context.Background()
	remote := e.remoteDebate(t)
	local := e.openDebate(t, map[string]any{"question": "Ours?", "options": []string{"Yes", "No"}})
	remoteID := strconv.FormatInt(remote.ID, 10)
	ann := e.loggedIn("ann")

	for _, c := range []struct {
		name, id string
		offer    bool
	}{{"remote", remoteID, true}, {"local", local, false}} {
		t.Run(c.name, func(t *testing.T) {
			for _, lang := range []struct{ accept, label string }{{"en", "Forward to other.example too"}, {"fr", "Transmettre aussi à other.example"}} {
				req, _ := http.NewRequest("GET", e.URL+"/report?type=debate&id="+c.id, nil)
				req.Header.Set("Accept-Language", lang.accept)
				res, err := ann.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body := readBody(res)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("%s form: %d", lang.accept, res.StatusCode)
				}
				if got := strings.Contains(body, `name="forward"`) && strings.Contains(body, lang.label); got != c.offer {
					t.Errorf("%s form offers to forward = %v, want %v", lang.accept, got, c.offer)
				}
				if strings.Contains(body, `name="forward" value="1" checked`) {
					t.Errorf("%s form: the forward box is ticked by default", lang.accept)
				}
			}
		})
	}

	// A form sent back for a missing reason keeps the box as it was.
	res := e.postForm(ann, "/report", url.Values{"type": {"debate"}, "id": {remoteID}, "forward": {"1"}})
	if body := readBody(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `name="forward" value="1" checked`) {
		t.Errorf("form sent back: %d, the forward box not ticked", res.StatusCode)
	}

	for _, c := range []struct {
		who, id, forward string
		want             bool
	}{{"ann", remoteID, "1", true}, {"modo", remoteID, "", false}, {"bob", local, "1", false}} {
		form := url.Values{"type": {"debate"}, "id": {c.id}, "reason": {"spam"}}
		if c.forward != "" {
			form.Set("forward", c.forward)
		}
		if res := e.postForm(e.loggedIn(c.who), "/report", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s's report: %d", c.who, res.StatusCode)
		}
	}
	reports, err := e.Store.ListReports(ctx, e.mod, models.ReportFilter{})
	if err != nil {
		t.Fatal(err)
	}
	forwarded := map[string]bool{}
	for _, r := range reports {
		forwarded[r.Reporter.Username] = r.Forward
		if _, err := e.Store.ReportToForward(ctx, models.Event{Kind: models.EventReportCreated, ObjectID: r.ID}); (err == nil) != r.Forward {
			t.Errorf("%s's report (forward %v): ReportToForward err = %v", r.Reporter.Username, r.Forward, err)
		}
	}
	if want := map[string]bool{"ann": true, "bob": false, "modo": false}; len(forwarded) != 3 || forwarded["ann"] != want["ann"] || forwarded["bob"] || forwarded["modo"] {
		t.Errorf("reports' forward = %v, want %v", forwarded, want)
	}
}
