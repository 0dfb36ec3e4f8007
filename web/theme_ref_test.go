package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestThemeNotOfTheConsultationRefused: a theme that is not an id, or
// not one of the consultation's themes, is refused wherever a form, a
// link, a list filter or the API names one, rather than read as no theme
// (the forms read "abc" as none) or as no filter (the consultation page
// listed everything). Forms are shown again with the error (422) and
// store nothing; the GET pages and the API answer 422 naming the field,
// as they do for an unknown status or tag.
func TestThemeNotOfTheConsultationRefused(t *testing.T) {
	cw, mod, cid, theme := themedConsWeb(t)
	ctx := context.Background()
	// A theme of another consultation of the same space.
	other, err := cw.Store.CreateConsultation(ctx, mod, "town", models.ConsultationInput{Title: "Budget",
		OpensAt: cw.t0, ContributionAt: cw.t0.Add(24 * time.Hour), SynthesisAt: cw.t0.Add(60 * 24 * time.Hour), ClosesAt: cw.t0.Add(70 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := cw.Store.AddTheme(ctx, mod, other.ID, models.ThemeInput{Name: "Schools"})
	if err != nil {
		t.Fatal(err)
	}
	tid, fid := fmt.Sprint(theme.ID), fmt.Sprint(foreign.ID)
	const notAnID, notOfIt = "The theme id is not valid.", "This theme does not belong to the consultation."
	bad := []struct{ theme, msg string }{
		{"abc", notAnID}, {"-3", notAnID}, {"1.5", notAnID}, {" " + tid, notAnID},
		{fid, notOfIt}, {"999999", notOfIt},
	}
	ana, modo := cw.loggedIn("ana"), cw.loggedIn("modo")
	count := func() (proposals, petitions, workshops int) {
		pl, err := cw.Store.ListProposals(ctx, models.ProposalQuery{Space: "town", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		pe, err := cw.Store.ListPetitions(ctx, models.PetitionQuery{Space: "town", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		ws, err := cw.Store.WorkshopContributions(ctx, cid, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(pl.Items), len(pe.Items), len(ws)
	}
	forms := map[string]struct {
		by   *http.Client
		path string
		form url.Values
	}{
		"proposal": {ana, "/s/town/proposals/new", url.Values{"title": {"Plant trees"}, "body": {"On the square."}}},
		"petition": {ana, "/s/town/petitions/new", url.Values{"title": {"Save the kiosk"}, "body": {"It stays."}, "addressee": {"maire"}, "goal": {"10"}}},
		"workshop": {modo, "/consultations/" + cw.id + "/workshop", url.Values{"title": {"Evening workshop"}, "body": {"Shade."},
			"held_at": {cw.Now.Add(-time.Hour).Format("2006-01-02T15:04")}, "place": {"Town hall"}, "participants": {"12"}}},
	}
	for name, f := range forms {
		for _, b := range bad {
			t.Run(name+" theme "+b.theme, func(t *testing.T) {
				p0, pe0, w0 := count()
				form := url.Values{"consultation": {cw.id}, "theme": {b.theme}}
				for k, v := range f.form {
					form[k] = v
				}
				res := cw.postForm(f.by, f.path, form)
				body := readBody(res)
				if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `class="error-summary"`) || !strings.Contains(body, b.msg) {
					t.Errorf("%d, want 422 and the form again saying %q", res.StatusCode, b.msg)
				}
				// The refused theme, in a hidden input its author cannot
				// change, is left out (else each try is refused again),
				// and the page says so; the consultation stays. The
				// workshop's theme is a select, shown with none chosen.
				if name != "workshop" {
					if strings.Contains(body, `name="theme"`) || !strings.Contains(body, `name="consultation" value="`+cw.id+`"`) ||
						!strings.Contains(body, "was left out") {
						t.Errorf("form shown again keeps the refused theme, loses the consultation or does not say so")
					}
				}
				if p, pe, w := count(); p != p0 || pe != pe0 || w != w0 {
					t.Errorf("stored something: %d %d %d proposals, petitions, workshops, was %d %d %d", p, pe, w, p0, pe0, w0)
				}
			})
		}
		// A refused consultation is left out too, with its theme.
		if name != "workshop" {
			for _, cons := range []string{"abc", "999999"} {
				form := url.Values{"consultation": {cons}, "theme": {tid}}
				for k, v := range f.form {
					form[k] = v
				}
				res := cw.postForm(f.by, f.path, form)
				body := readBody(res)
				if res.StatusCode != http.StatusUnprocessableEntity || strings.Contains(body, `name="consultation"`) ||
					strings.Contains(body, `name="theme"`) || !strings.Contains(body, "was left out") {
					t.Errorf("%s with consultation %q: %d; want 422, the form again without consultation nor theme, saying so", name, cons, res.StatusCode)
				}
			}
		}
		// The consultation's own theme, and none ("0" is the forms' "none").
		for _, good := range []string{tid, "0", ""} {
			form := url.Values{"consultation": {cw.id}, "theme": {good}}
			for k, v := range f.form {
				form[k] = v
			}
			form.Set("title", f.form.Get("title")+" "+good)
			if res := cw.postForm(f.by, f.path, form); res.StatusCode != http.StatusSeeOther {
				t.Errorf("%s theme %q: %d %s", name, good, res.StatusCode, readBody(res))
			}
		}
	}

	// Editing a proposal keeps its theme: another one, or garbage, is
	// refused rather than ignored.
	pid := createdID(t, cw.postForm(ana, "/s/town/proposals/new", url.Values{"title": {"Benches"}, "body": {"In the shade."}, "consultation": {cw.id}, "theme": {tid}}))
	for _, b := range []struct{ theme, msg string }{{"abc", notAnID}, {fid, "The theme of a proposal cannot be changed."}} {
		res := cw.postForm(ana, "/p/"+pid+"/edit", url.Values{"title": {"Benches, edited"}, "body": {"In the shade."}, "theme": {b.theme}})
		if body := readBody(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, b.msg) {
			t.Errorf("edit with theme %q: %d, want 422 saying %q", b.theme, res.StatusCode, b.msg)
		}
	}
	// Nor does it move to another consultation.
	res := cw.postForm(ana, "/p/"+pid+"/edit", url.Values{"title": {"Benches, edited"}, "body": {"In the shade."},
		"consultation": {fmt.Sprint(other.ID)}})
	if body := readBody(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "The consultation of a proposal cannot be changed.") {
		t.Errorf("edit moving the proposal to another consultation: %d, want 422", res.StatusCode)
	}
	if p, err := cw.Store.ProposalByID(ctx, mustInt(t, pid)); err != nil || p.Title != "Benches" || p.ThemeID != theme.ID {
		t.Errorf("refused edits changed the proposal: %+v %v", p, err)
	}
	if res := cw.postForm(ana, "/p/"+pid+"/edit", url.Values{"title": {"Benches, edited"}, "body": {"In the shade."}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("edit without theme: %d", res.StatusCode)
	}

	// Links and list filters (GET).
	for _, b := range bad {
		q := "?consultation=" + cw.id + "&theme=" + url.QueryEscape(b.theme)
		paths := []string{"/consultations/" + cw.id + "?theme=" + url.QueryEscape(b.theme), "/consultations/" + cw.id + "/print?theme=" + url.QueryEscape(b.theme)}
		if b.msg == notAnID { // the new forms check the theme once sent
			paths = append(paths, "/s/town/proposals/new"+q, "/s/town/petitions/new"+q)
		}
		for _, path := range paths {
			res := cw.get(ana, path)
			if body := readBody(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, b.msg) {
				t.Errorf("GET %s: %d, want 422 saying %q", path, res.StatusCode, b.msg)
			}
		}
	}
	for _, good := range []string{tid, "0", ""} {
		for _, path := range []string{"/consultations/" + cw.id + "?theme=" + good, "/s/town/proposals/new?consultation=" + cw.id + "&theme=" + good} {
			if res := cw.get(ana, path); res.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %d", path, res.StatusCode)
			}
		}
	}

	// The API, which shares the parsing.
	bodies := map[string]map[string]any{
		"proposals": {"title": "By the API", "body": "Text."},
		"petitions": {"title": "By the API", "body": "Text.", "addressee": "maire", "goal": 10},
	}
	for kind, body := range bodies {
		for _, b := range bad {
			body["consultation"], body["theme"] = cw.id, b.theme
			var out struct{ Fields map[string]string }
			res := cw.api("POST", "/api/v1/spaces/town/"+kind, cw.anaTok, body, &out)
			if res.StatusCode != http.StatusUnprocessableEntity || out.Fields["theme"] != b.msg {
				t.Errorf("API %s with theme %q: %d %v, want 422 saying %q", kind, b.theme, res.StatusCode, out.Fields, b.msg)
			}
		}
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// themedConsWeb is a consultation in its contribution phase with one
// theme ("Trees"), its moderator, and a decision-maker ("maire") to
// address petitions to.
func themedConsWeb(t *testing.T) (cw *consWeb, mod *models.Account, cid int64, theme *models.Theme) {
	t.Helper()
	cw = newConsWeb(t, "sqlite")
	cw.day(15) // contribution phase
	ctx := context.Background()
	admin := cw.user("root_admin", models.RoleAdmin)
	mod, err := cw.Store.AccountByUsername(ctx, "modo")
	if err != nil {
		t.Fatal(err)
	}
	cw.user("maire", models.RoleMember)
	if err := cw.Store.SetDecider(ctx, admin, "maire", true); err != nil {
		t.Fatal(err)
	}
	if cid, err = strconv.ParseInt(cw.id, 10, 64); err != nil {
		t.Fatal(err)
	}
	if theme, err = cw.Store.AddTheme(ctx, mod, cid, models.ThemeInput{Name: "Trees"}); err != nil {
		t.Fatal(err)
	}
	return cw, mod, cid, theme
}
