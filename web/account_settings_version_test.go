package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web"
)

var versionFieldRE = regexp.MustCompile(`name="version" value="(\d+)"`)

// TestSettingsFormDetectsChangesElsewhere: the settings form carries the
// version of the settings it was opened at; saved after the digest was
// turned on through the API meanwhile, it changes nothing and comes back
// (409) with a notice in the member's language, their choices kept and
// the current version, so that saving it again applies them. A form
// opened after the change saves at once.
func TestSettingsFormDetectsChangesElsewhere(t *testing.T) {
	e := newEnvOn(t, "sqlite", func(o *web.Options) { o.Mailer = &captureMailer{} })
	ctx := context.Background()
	if _, err := e.Store.CreateAccount(ctx, models.NewAccount{Username: "ana", Password: testPassword, Email: "ana@example.org", Locale: "fr"}); err != nil {
		t.Fatal(err)
	}
	ana := e.loggedIn("ana")
	version := func(page string) string {
		t.Helper()
		m := versionFieldRE.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("the settings form has no version field")
		}
		return m[1]
	}
	opened := version(body(t, e.get(ana, "/account")))
	if res := e.api("PATCH", "/api/v1/account", e.token("ana"), map[string]any{"email_digest": true}, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH email_digest: %d", res.StatusCode)
	}
	// The stale form: the box unticked, English chosen.
	form := url.Values{"email": {"ana@example.org"}, "email_shown": {"ana@example.org"}, "locale": {"en"}, "email_digest_shown": {"1"}, "version": {opened}}
	res := e.postForm(ana, "/account/settings", form)
	page := body(t, res)
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("stale settings form: %d, want 409", res.StatusCode)
	}
	for _, want := range []string{`id="edit-conflict"`, "Vos réglages ont été modifiés ailleurs", `href="/account#settings-title"`, `<option value="en" selected`} {
		if !strings.Contains(page, want) {
			t.Errorf("the conflict page lacks %q", want)
		}
	}
	if box := digestBoxRE.FindString(page); strings.Contains(box, "checked") {
		t.Errorf("the conflict page does not keep the member's unticked box: %s", box)
	}
	current := version(page)
	if current == opened {
		t.Errorf("the conflict page keeps the stale version %s", opened)
	}
	if acc, err := e.Store.AccountByUsername(ctx, "ana"); err != nil || !acc.EmailDigest || acc.Locale != "fr" {
		t.Fatalf("the stale form changed the settings: %+v, %v", acc, err)
	}
	// Saved again, having read the notice: applied.
	form.Set("version", current)
	if res := e.postForm(ana, "/account/settings", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings saved again: %d", res.StatusCode)
	}
	if acc, err := e.Store.AccountByUsername(ctx, "ana"); err != nil || acc.EmailDigest || acc.Locale != "en" {
		t.Errorf("saving again did not apply the choices: %+v, %v", acc, err)
	}
}
