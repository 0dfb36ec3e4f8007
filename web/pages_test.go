package web_test

import (
	"context"
	"encoding/json"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

func TestPagesAndHeaders(t *testing.T) {
	e := newEnv(t)
	admin := e.user("root_admin", models.RoleAdmin)
	if _, err := e.Store.CreateSpace(context.Background(), admin, models.SpaceInput{Name: "town", Kind: models.KindCity, Title: "Our Town"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path, lang string
		status     int
		contains   string
	}{
		{"/", "en", 200, "Our Town"},
		{"/", "fr", 200, "Participez"},
		{"/s", "en", 200, "Our Town"},
		{"/s/town", "en", 200, "@town@"},
		{"/s/nowhere", "en", 404, "Page not found"},
		{"/s/nowhere", "fr", 404, "Page introuvable"},
		{"/login", "fr", 200, "Connexion"},
		{"/signup", "en", 200, "Sign up"},
		{"/@root_admin", "en", 200, "@root_admin"},
		{"/static/style.css", "en", 200, ":focus-visible"},
		{"/healthz", "en", 200, "ok"},
		{"/readyz", "en", 200, "ready"},
		{"/metrics", "en", 200, "odn_http_requests_total"},
	}
	for _, tc := range cases {
		t.Run(tc.lang+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, e.URL+tc.path, nil)
			req.Header.Set("Accept-Language", tc.lang)
			res := e.do(http.DefaultClient, req)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if body := readBody(res); !strings.Contains(body, tc.contains) {
				t.Fatalf("body lacks %q", tc.contains)
			}
			if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Request-Id"} {
					if res.Header.Get(h) == "" {
						t.Errorf("missing %s", h)
					}
				}
				if !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'self'") {
					t.Error("CSP allows foreign scripts")
				}
				body := readBody(res)
				for _, landmark := range []string{`<main id="main"`, `<nav aria-label=`, `class="skip-link"`, `<html lang="` + tc.lang + `"`} {
					if !strings.Contains(body, landmark) {
						t.Errorf("page lacks %s", landmark)
					}
				}
			}
		})
	}
}

func TestLanguageSwitcher(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	res := e.get(c, "/lang/fr?next=/login")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("switch: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if body := readBody(e.get(c, "/login")); !strings.Contains(body, `lang="fr"`) {
		t.Fatal("the choice of French was not kept")
	}
	res = e.get(c, "/lang/en?next=//evil.example/")
	if loc := res.Header.Get("Location"); loc != "/" {
		t.Fatalf("open redirect to %q", loc)
	}
	if res := e.get(c, "/lang/xx"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown language: %d", res.StatusCode)
	}
}

// TestCatalogsMatch checks that French and English define the same keys,
// so no string is left untranslated.
func TestCatalogsMatch(t *testing.T) {
	keys := map[string]map[string]bool{}
	err := filepath.WalkDir("i18n", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		lang, _, _ := strings.Cut(d.Name(), ".")
		if keys[lang] == nil {
			keys[lang] = map[string]bool{}
		}
		for k, v := range m {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %q is empty", path, k)
			}
			keys[lang][k] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for k := range keys["en"] {
		if !keys["fr"][k] {
			t.Errorf("%q has no French translation", k)
		}
	}
	for k := range keys["fr"] {
		if !keys["en"][k] {
			t.Errorf("%q has no English text", k)
		}
	}
}

func TestAPISpaces(t *testing.T) {
	e := newEnv(t)
	e.user("boss", models.RoleAdmin)
	e.user("joe", models.RoleMember)
	admin, member := e.token("boss"), e.token("joe")

	var inst map[string]any
	if res := e.api("GET", "/api/v1/instance", "", nil, &inst); res.StatusCode != 200 || inst["software"] != "odn" {
		t.Fatalf("instance: %d %v", res.StatusCode, inst)
	}
	body := map[string]any{"name": "town", "kind": "city", "title": "Town", "description": "**Hi**", "policy": "network", "allowed_hosts": []string{"a.example"}}
	cases := []struct {
		name, token string
		body        any
		status      int
	}{
		{"anonymous", "", body, 401},
		{"wrong token", "odn_nope", body, 401},
		{"member", member, body, 403},
		{"unknown field", admin, map[string]any{"name": "x", "kind": "city", "colour": "red"}, 422},
		{"bad kind", admin, map[string]any{"name": "x", "kind": "castle"}, 422},
		{"admin", admin, body, 201},
		{"duplicate", admin, body, 422},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out map[string]any
			res := e.api("POST", "/api/v1/spaces", tc.token, tc.body, &out)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %v", res.StatusCode, tc.status, out)
			}
			if tc.status >= 400 && out["error"] == nil {
				t.Fatalf("error body lacks \"error\": %v", out)
			}
		})
	}
	var sp map[string]any
	if res := e.api("GET", "/api/v1/spaces/town", "", nil, &sp); res.StatusCode != 200 {
		t.Fatalf("get space: %d", res.StatusCode)
	}
	for _, k := range []string{"id", "uri", "url", "name", "kind", "title", "description", "policy"} {
		if _, ok := sp[k]; !ok {
			t.Errorf("space JSON lacks %q", k)
		}
	}
	if sp["policy"] != "network" || !strings.HasSuffix(sp["uri"].(string), "/actors/town") {
		t.Fatalf("space JSON: %v", sp)
	}
	var lst struct {
		Items      []map[string]any `json:"items"`
		NextCursor string           `json:"next_cursor"`
	}
	e.api("POST", "/api/v1/spaces", admin, map[string]any{"name": "village", "kind": "collective"}, nil)
	e.api("GET", "/api/v1/spaces?limit=1", "", nil, &lst)
	if len(lst.Items) != 1 || lst.NextCursor == "" {
		t.Fatalf("pagination: %+v", lst)
	}
	e.api("GET", "/api/v1/spaces?limit=1&cursor="+lst.NextCursor, "", nil, &lst)
	if len(lst.Items) != 1 || lst.Items[0]["name"] != "village" {
		t.Fatalf("second page: %+v", lst)
	}
	if res := e.api("GET", "/api/v1/spaces/nowhere", "", nil, nil); res.StatusCode != 404 {
		t.Fatalf("unknown space: %d", res.StatusCode)
	}
	res := e.api("OPTIONS", "/api/v1/spaces", "", nil, nil)
	if res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatal("public API lacks CORS")
	}
}

func TestSpaceFormsAdminOnly(t *testing.T) {
	e := newEnv(t)
	e.user("boss", models.RoleAdmin)
	e.user("joe", models.RoleMember)
	if res := e.get(e.loggedIn("joe"), "/new-space"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("member sees the space form: %d", res.StatusCode)
	}
	c := e.loggedIn("boss")
	form := map[string][]string{"name": {"Bad Name"}, "kind": {"city"}, "policy": {"open"}, "licence": {"ODbL-1.0"}}
	if res := e.postForm(c, "/new-space", form); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad name: %d", res.StatusCode)
	}
	form["name"] = []string{"town"}
	form["description"] = []string{"<img src=x onerror=alert(1)>"}
	res := e.postForm(c, "/new-space", form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/s/town?flash=space.created" {
		t.Fatalf("create: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if body := readBody(e.get(c, "/s/town")); strings.Contains(body, "onerror") {
		t.Fatal("injected HTML rendered")
	}
	// The edit form leads back to the space, shown again with errors too.
	back := `href="/s/town">Back to the space</a>`
	if body := readBody(e.get(c, "/s/town/edit")); !strings.Contains(body, back) {
		t.Errorf("the space's edit form has no %s", back)
	}
	form["licence"] = []string{"none"}
	if res := e.postForm(c, "/s/town/edit", form); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(readBody(res), back) {
		t.Errorf("the space's edit form with an error: %d, or no %s", res.StatusCode, back)
	}
	form["licence"] = []string{"ODbL-1.0"}
	form["title"] = []string{"Renamed"}
	if res := e.postForm(c, "/s/town/edit", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	if body := readBody(e.get(c, "/s/town")); !strings.Contains(body, "Renamed") {
		t.Fatal("edit not saved")
	}
}

// TestFlashOnlyKnownMessages: ?flash= shows a message of the catalogs in
// the status banner, translated, and nothing for any other text, so a
// link cannot make the site say what it wants.
func TestFlashOnlyKnownMessages(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		flash, want string // want "" means no banner
	}{
		{"logout.done", "You are logged out"},
		{"Your account is locked. Call 0800 666 to unlock it.", ""},
		{"<b>hi</b>", ""},
		{"", ""},
	}
	for _, tc := range cases {
		body := readBody(e.get(e.client(), "/?flash="+url.QueryEscape(tc.flash)))
		banner := strings.Contains(body, `role="status"`)
		if banner != (tc.want != "") || tc.want != "" && !strings.Contains(body, tc.want) {
			t.Errorf("flash %q: banner %v", tc.flash, banner)
		}
		if tc.want == "" && tc.flash != "" && strings.Contains(body, html.EscapeString(tc.flash)) {
			t.Errorf("flash %q is shown", tc.flash)
		}
	}
}
