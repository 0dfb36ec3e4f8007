package web_test

import (
	"context"
	"fmt"
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

// TestThemeIDsAreStrings: theme ids are strings in every answer of the
// API (a consultation's themes, workshop contributions, statistics,
// proposals and petitions), as other ids are; they were numbers in the
// first three. Requests take a theme as a string or a number, and refuse
// anything else on the theme field.
func TestThemeIDsAreStrings(t *testing.T) {
	cw, _, _, theme := themedConsWeb(t)
	tid := strconv.FormatInt(theme.ID, 10)
	held := cw.Now.Add(-time.Hour)
	creates := []struct {
		name, path, token string
		body              map[string]any
	}{
		{"proposal", "/api/v1/spaces/town/proposals", cw.anaTok, map[string]any{"title": "Plant trees", "body": "Shade."}},
		{"petition", "/api/v1/spaces/town/petitions", cw.anaTok, map[string]any{"title": "Save the kiosk", "body": "It stays.", "addressee": "maire", "goal": 10}},
		{"workshop", "/api/v1/consultations/" + cw.id + "/workshop-contributions", cw.modTok,
			map[string]any{"title": "Evening workshop", "body": "Shade.", "held_at": held, "place": "Town hall", "participants": 12}},
	}
	for _, c := range creates {
		for _, ref := range []struct {
			name   string
			theme  any
			status int
			want   string // the theme of the answer
		}{
			{"string", tid, http.StatusCreated, tid},
			{"number", theme.ID, http.StatusCreated, tid},
			{"none", nil, http.StatusCreated, ""},
			{"garbage", "abc", http.StatusUnprocessableEntity, ""},
			{"decimal", 1.5, http.StatusUnprocessableEntity, ""},
			{"negative", -1, http.StatusUnprocessableEntity, ""},
		} {
			body := map[string]any{"theme": ref.theme}
			for k, v := range c.body {
				body[k] = v
			}
			if c.name != "workshop" {
				body["consultation"] = cw.id
			}
			body["title"] = fmt.Sprint(c.body["title"], " (", ref.name, ")")
			var out map[string]any
			res := cw.api("POST", c.path, c.token, body, &out)
			if res.StatusCode != ref.status {
				t.Errorf("%s with theme %v: %d %v, want %d", c.name, ref.theme, res.StatusCode, out, ref.status)
				continue
			}
			if ref.status != http.StatusCreated {
				if f, _ := out["fields"].(map[string]any); f["theme"] != "The theme id is not valid." {
					t.Errorf("%s with theme %v: fields %v, want the theme's", c.name, ref.theme, out["fields"])
				}
				continue
			}
			if got, has := out["theme"]; (ref.want == "" && has) || (ref.want != "" && got != ref.want) {
				t.Errorf("%s with theme %v: answers theme %#v, want %q", c.name, ref.theme, got, ref.want)
			}
		}
	}

	// Every id-like field of the answers that name themes is a string.
	for _, path := range []string{
		"/api/v1/consultations/" + cw.id,
		"/api/v1/consultations/" + cw.id + "/workshop-contributions",
		"/api/v1/consultations/" + cw.id + "/stats",
		"/api/v1/spaces/town/proposals",
		"/api/v1/spaces/town/petitions",
	} {
		var out any
		if res := cw.api("GET", path, "", nil, &out); res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		themes := 0
		walkJSON(out, "", func(key string, v any) {
			switch key {
			case "id", "theme", "theme_id", "consultation", "consultation_id":
				if _, ok := v.(string); !ok {
					t.Errorf("GET %s: %q is %#v, not a string", path, key, v)
				}
				if key == "theme" || key == "theme_id" || v == tid {
					themes++
				}
			}
		})
		if themes == 0 {
			t.Errorf("GET %s names no theme: %v", path, out)
		}
	}
	var st struct {
		Themes []struct {
			ThemeID string `json:"theme_id"`
			Name    string `json:"name"`
		} `json:"themes"`
	}
	cw.api("GET", "/api/v1/consultations/"+cw.id+"/stats", "", nil, &st)
	if len(st.Themes) != 2 || st.Themes[0].ThemeID != tid || st.Themes[1].ThemeID != "" {
		t.Errorf("stats themes %+v, want %s then \"\" (no theme)", st.Themes, tid)
	}
}

// walkJSON calls fn on every key of a decoded JSON value, depth first.
func walkJSON(v any, key string, fn func(key string, v any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			fn(k, x)
			walkJSON(x, k, fn)
		}
	case []any:
		for _, x := range v {
			walkJSON(x, key, fn)
		}
	}
}
