package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// consPolls adds to a consWeb a debate (open), a proposal and a petition
// attached to its consultation, created in its contribution phase, and a
// citizen "ben" who may vote, support and sign.
type consPolls struct {
	*consWeb
	debate, proposal, petition string // page paths
}

func newConsPolls(t *testing.T, dialect string) *consPolls {
	t.Helper()
	cw := newConsWeb(t, dialect)
	ctx := context.Background()
	cw.user("ben", models.RoleMember)
	cw.user("maire", models.RoleMember)
	if err := cw.Store.SetDecider(ctx, nil, "maire", true); err != nil {
		t.Fatal(err)
	}
	mod, err := cw.Store.AccountByUsername(ctx, "modo")
	if err != nil {
		t.Fatal(err)
	}
	ana, err := cw.Store.AccountByUsername(ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	sp, err := cw.Store.SpaceByName(ctx, "town")
	if err != nil {
		t.Fatal(err)
	}
	cid, _ := strconv.ParseInt(cw.id, 10, 64)
	cw.day(12) // contribution
	d, err := cw.Store.CreateDebate(ctx, mod, sp, models.DebateInput{Question: "Which trees?", Options: []string{"Oaks", "Limes"}, ConsultationID: cid})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cw.Store.OpenDebate(ctx, mod, d.ID); err != nil {
		t.Fatal(err)
	}
	p, err := cw.Store.CreateProposal(ctx, ana.Actor, "town", models.ProposalInput{Title: "Plant trees", Body: "Shade!", Consultation: cid})
	if err != nil {
		t.Fatal(err)
	}
	pe, err := cw.Store.CreatePetition(ctx, ana.Actor, "town", models.PetitionInput{Title: "Keep the kiosk", Body: "x", Addressee: "maire", Goal: 10, Consultation: cid})
	if err != nil {
		t.Fatal(err)
	}
	return &consPolls{consWeb: cw, debate: "/d/" + strconv.FormatInt(d.ID, 10),
		proposal: "/p/" + strconv.FormatInt(p.ID, 10), petition: "/pe/" + strconv.FormatInt(pe.ID, 10)}
}

// page fetches path as c (nil: anonymous) in lang.
func (cp *consPolls) page(c *http.Client, path, lang string) string {
	cp.t.Helper()
	if c == nil {
		c = cp.client()
	}
	req, _ := http.NewRequest(http.MethodGet, cp.URL+path, nil)
	req.Header.Set("Accept-Language", lang)
	res := cp.do(c, req)
	if res.StatusCode != http.StatusOK {
		cp.t.Fatalf("GET %s: %d", path, res.StatusCode)
	}
	return readBody(res)
}

// TestConsultationPhaseHidesParticipationForms: outside its
// consultation's contribution phase a debate, proposal or petition page
// shows no vote form, support button or sign form (they would get a 409)
// but says why, in the reader's language; during it, the forms are there.
func TestConsultationPhaseHidesParticipationForms(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			cp := newConsPolls(t, dialect)
			forms := map[string]string{ // page → the form a citizen would fill
				cp.debate:   `action="` + cp.debate + `/vote"`,
				cp.proposal: `action="` + cp.proposal + `/support"`,
				cp.petition: `action="` + cp.petition + `/sign"`,
			}
			for _, tc := range []struct {
				name  string
				day   int
				lang  string
				open  bool
				notes []string // in the notice
			}{
				{"contribution", 12, "en", true, nil},
				{"information", 3, "en", false, []string{"information phase", "They open on", `datetime="2027-03-11T09:00:00Z"`}},
				{"synthesis", 31, "en", false, []string{"synthesis phase", "no longer accepted", `href="/consultations/` + cp.id + `"`}},
				{"synthesis fr", 31, "fr", false, []string{"phase de synthèse", "ne sont plus acceptés"}},
				{"closed", 41, "en", false, []string{"is closed"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					cp.day(tc.day)
					ben := cp.loggedIn("ben")
					for path, form := range forms {
						body := cp.page(ben, path, tc.lang)
						if got := strings.Contains(body, form); got != tc.open {
							t.Errorf("%s: form %s shown = %v, want %v", path, form, got, tc.open)
						}
						if got := strings.Contains(body, "phase-refusal"); got == tc.open {
							t.Errorf("%s: phase notice shown = %v", path, got)
						}
						for _, n := range tc.notes {
							if !strings.Contains(body, n) {
								t.Errorf("%s: notice lacks %q", path, n)
							}
						}
						anon := cp.page(nil, path, tc.lang)
						if login := "/login?next=" + path; strings.Contains(anon, login) != tc.open {
							t.Errorf("%s: anonymous invitation to log in and take part shown = %v, want %v", path, !tc.open, tc.open)
						}
					}
				})
			}
			// Editing and withdrawing a proposal follow the "propose" column.
			for _, tc := range []struct {
				day  int
				open bool
			}{{12, true}, {31, false}} {
				cp.day(tc.day)
				body := cp.page(cp.loggedIn("ana"), cp.proposal, "en")
				for _, form := range []string{`href="` + cp.proposal + `/edit"`, `href="` + cp.proposal + `/withdraw"`} {
					if strings.Contains(body, form) != tc.open {
						t.Errorf("day %d: author's %s shown = %v, want %v", tc.day, form, !tc.open, tc.open)
					}
				}
			}
		})
	}
}

// TestConsultationPhaseInAPI: GET of a debate, proposal or petition says
// when its consultation's phase refuses votes, supports and signatures
// (participation_closed: the 409's sentence, the phase, when they open),
// and nothing during the contribution phase.
func TestConsultationPhaseInAPI(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			cp := newConsPolls(t, dialect)
			opens := cp.t0.Add(10 * 24 * time.Hour)
			schema, err := schemaCompiler(t, loadOpenAPI(t)).Compile("https://odn.example/openapi.json#/components/schemas/PhaseRefusal")
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name  string
				day   int
				phase string // "": not closed
				opens *time.Time
			}{
				{"information", 3, models.PhaseInformation, &opens},
				{"contribution", 12, "", nil},
				{"synthesis", 31, models.PhaseSynthesis, nil},
				{"closed", 41, models.PhaseClosed, nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					cp.day(tc.day)
					tok := cp.token("ben")
					for _, path := range []string{cp.debate, cp.proposal, cp.petition} {
						kind, id, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
						api := "/api/v1/" + map[string]string{"d": "debates", "p": "proposals", "pe": "petitions"}[kind] + "/" + id
						var out struct {
							ParticipationClosed *struct {
								Reason  string     `json:"reason"`
								Phase   string     `json:"phase"`
								OpensAt *time.Time `json:"opens_at"`
							} `json:"participation_closed"`
						}
						var raw map[string]any
						res := cp.api("GET", api, tok, nil, &raw)
						if res.StatusCode != http.StatusOK {
							t.Fatalf("GET %s: %d", api, res.StatusCode)
						}
						if err := json.Unmarshal([]byte(readBody(res)), &out); err != nil {
							t.Fatal(err)
						}
						if pc, ok := raw["participation_closed"]; ok {
							if err := schema.Validate(pc); err != nil {
								t.Errorf("%s: participation_closed does not match openapi.yaml: %v", api, err)
							}
						}
						pc := out.ParticipationClosed
						if tc.phase == "" {
							if pc != nil {
								t.Errorf("%s: participation_closed %+v in the contribution phase", api, pc)
							}
							continue
						}
						if pc == nil || pc.Phase != tc.phase || !strings.Contains(pc.Reason, "Rethink the market square") ||
							(tc.opens == nil) != (pc.OpensAt == nil) || (tc.opens != nil && !pc.OpensAt.Equal(*tc.opens)) {
							t.Errorf("%s: participation_closed = %+v, want phase %s, opening at %v", api, pc, tc.phase, tc.opens)
							continue
						}
						// It is the sentence the action gets.
						var refused struct{ Error string }
						try := map[string]string{"d": "/votes", "p": "/support", "pe": "/signatures"}[kind]
						body := map[string]any{"d": map[string]any{"options": []string{"Oaks"}}}[kind]
						if res := cp.api("POST", api+try, tok, body, &refused); res.StatusCode != http.StatusConflict || !strings.Contains(refused.Error, pc.Reason) {
							t.Errorf("POST %s: %d %q, the GET said %q", api+try, res.StatusCode, refused.Error, pc.Reason)
						}
					}
				})
			}
		})
	}
}

// TestConsultationPhaseInEmbeds: the widget of a debate or petition of a
// consultation shows its Vote or Sign button during the contribution
// phase only; outside it, the page's notice instead, in the reader's
// language, its link leaving the frame as the widget's others do.
func TestConsultationPhaseInEmbeds(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			cp := newConsPolls(t, dialect)
			embeds := map[string]string{ // widget → its button's label
				"/embed/debates/" + strings.TrimPrefix(cp.debate, "/d/"):      ">Vote<",
				"/embed/petitions/" + strings.TrimPrefix(cp.petition, "/pe/"): ">Sign<",
			}
			for _, tc := range []struct {
				name  string
				day   int
				lang  string
				open  bool
				notes []string
			}{
				{"contribution", 12, "en", true, nil},
				{"information", 3, "en", false, []string{"information phase", "They open on", `href="/consultations/` + cp.id + `"`}},
				{"synthesis fr", 31, "fr", false, []string{"phase de synthèse", "ne sont plus acceptés"}},
				{"closed", 41, "en", false, []string{"is closed"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					cp.day(tc.day)
					for path, button := range embeds {
						body := cp.page(nil, path, tc.lang)
						if tc.lang == "en" && strings.Contains(body, button) != tc.open {
							t.Errorf("%s: button %s shown = %v, want %v", path, button, !tc.open, tc.open)
						}
						if strings.Contains(body, `class="button"`) != tc.open {
							t.Errorf("%s: a button shown = %v, want %v", path, !tc.open, tc.open)
						}
						if got := strings.Contains(body, "phase-refusal"); got == tc.open {
							t.Errorf("%s: phase notice shown = %v", path, got)
						}
						for _, n := range tc.notes {
							if !strings.Contains(body, n) {
								t.Errorf("%s: notice lacks %q", path, n)
							}
						}
						if !strings.Contains(body, `<base target="_blank">`) {
							t.Errorf("%s: links stay in the frame", path)
						}
					}
				})
			}
		})
	}
}
