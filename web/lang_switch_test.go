package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestLanguageSwitchOnFormErrors: a form shown again with its errors
// answers a POST; its "Français" link must lead back to the page the form
// was on, not to the form's address, which answers GET with a 405 (it
// did: /lang/fr?next=/account/delete).
func TestLanguageSwitchOnFormErrors(t *testing.T) {
	e := newEnv(t)
	e.user("zoe", models.RoleMember)
	zoe := e.loggedIn("zoe")
	post := func(referer string) string {
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/account/delete", strings.NewReader(url.Values{"confirm": {"zo"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Accept-Language", "en")
		if referer != "" {
			req.Header.Set("Referer", referer)
		}
		res := e.do(zoe, req)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("delete with a wrong confirmation: status %d, want 422", res.StatusCode)
		}
		return readBody(res)
	}
	for _, tc := range []struct{ referer, want string }{
		{e.URL + "/account", `href="/lang/fr?next=%2Faccount"`},
		{"", `href="/lang/fr?next=%2F"`},                                  // no Referer: home
		{"https://elsewhere.example/account", `href="/lang/fr?next=%2F"`}, // never another site's path
	} {
		body := post(tc.referer)
		if !strings.Contains(body, tc.want) || strings.Contains(body, "next=%2Faccount%2Fdelete") {
			t.Errorf("Referer %q: the language switch should be %s", tc.referer, tc.want)
		}
	}
	// Where the switch leads answers a page.
	if res := e.get(zoe, "/account"); res.StatusCode != http.StatusOK {
		t.Errorf("/account: %d", res.StatusCode)
	}
	if res := e.get(zoe, "/account/delete"); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("/account/delete answers GET (%d): this test no longer shows the defect", res.StatusCode)
	}
}

// TestLanguageSwitchDropsFlash: after "Your vote was recorded" (?flash=),
// switching language shows the page again in the other language, not the
// message again, as if the vote had been cast twice.
func TestLanguageSwitchDropsFlash(t *testing.T) {
	e := newEnv(t)
	for path, want := range map[string]string{
		"/about/counting?flash=account.deleted":     `href="/lang/fr?next=%2Fabout%2Fcounting"`,
		"/about/counting?x=1&flash=account.deleted": `href="/lang/fr?next=%2Fabout%2Fcounting%3Fx%3D1"`,
		"/about/counting?x=1":                       `href="/lang/fr?next=%2Fabout%2Fcounting%3Fx%3D1"`,
	} {
		req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
		req.Header.Set("Accept-Language", "en")
		if body := readBody(e.do(e.client(), req)); !strings.Contains(body, want) {
			t.Errorf("%s: the language switch should be %s", path, want)
		}
	}
}
