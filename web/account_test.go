package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// pageIn fetches path with c, the browser asking for lang.
func (e *testEnv) pageIn(c *http.Client, path, lang string) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
	req.Header.Set("Accept-Language", lang)
	return e.do(c, req)
}

// TestAccountProfileForm: the account page edits the public profile;
// every invalid field is reported at once, with what was typed kept; a
// saved profile is said so, shown on the public profile (the bio
// rendered, sanitised) and queued for the followers' servers; a
// cross-site POST changes nothing.
func TestAccountProfileForm(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user("alice", models.RoleMember)
	c := e.loggedIn("alice")
	body := readBody(e.get(c, "/account"))
	for _, want := range []string{`action="/account/profile"`, `id="f-display_name"`, `id="f-bio"`, `action="/account/settings"`, `id="f-email"`, `id="f-locale"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the account page lacks %s", want)
		}
	}

	long := strings.Repeat("n", models.MaxDisplayName+1)
	res := e.postForm(c, "/account/profile", url.Values{"display_name": {long}, "bio": {strings.Repeat("b", models.MaxBio) + " too long"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid profile: status %d, want 422", res.StatusCode)
	}
	body = readBody(res)
	for _, want := range []string{`href="#f-display_name"`, `href="#f-bio"`, `value="` + long + `"`, "must have at most 50 characters", "must have at most 500 characters"} {
		if !strings.Contains(body, want) {
			t.Errorf("the form with errors lacks %s", want)
		}
	}
	if n := strings.Count(body, `aria-invalid="true"`); n != 2 {
		t.Errorf("%d fields marked invalid, want 2", n)
	}

	req, _ := http.NewRequest(http.MethodPost, e.URL+"/account/profile", strings.NewReader("display_name=Evil"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://evil.example")
	if res := e.do(c, req); res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site profile POST: status %d, want 403", res.StatusCode)
	}
	if acc, _ := e.Store.AccountByUsername(ctx, "alice"); acc.Actor.Name != "alice" {
		t.Fatalf("a refused POST changed the display name to %q", acc.Actor.Name)
	}

	bio := "Rides a *bike* <script>alert(1)</script>"
	res = e.postForm(c, "/account/profile", url.Values{"display_name": {"Alice Martin"}, "bio": {bio}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account?flash=account.profile_saved" {
		t.Fatalf("profile: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	body = readBody(e.pageIn(c, res.Header.Get("Location"), "en"))
	if !strings.Contains(body, "Your profile was saved") || !strings.Contains(body, `value="Alice Martin"`) ||
		!strings.Contains(body, "Rides a *bike* &lt;script&gt;") {
		t.Errorf("the account page does not say the profile was saved, or does not show it again:\n%s", body)
	}
	body = readBody(e.get(e.client(), "/@alice"))
	if !strings.Contains(body, "Alice Martin") || !strings.Contains(body, "<em>bike</em>") || strings.Contains(body, "<script>alert") {
		t.Errorf("the public profile does not show the new profile, sanitised:\n%s", body)
	}
	evs, err := e.Store.PendingEvents(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if n := countKind(evs, models.EventAccountUpdated); n != 1 {
		t.Errorf("%d account.updated events queued, want 1 (for the followers' servers)", n)
	}
}

func countKind(evs []models.Event, kind string) int {
	n := 0
	for _, ev := range evs {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

// TestAccountSettingsForm: e-mail and language are saved together or not
// at all; the language is that of the member's pages at once in this
// browser and, after a log-in, in any other (whatever it asks for); back
// to "the browser's language", the browser decides again. The e-mail
// shows nowhere public.
func TestAccountSettingsForm(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user("alice", models.RoleMember)
	c := e.loggedIn("alice")

	res := e.postForm(c, "/account/settings", url.Values{"email": {"alice at example"}, "locale": {"de"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid settings: status %d, want 422", res.StatusCode)
	}
	body := readBody(res)
	for _, want := range []string{`href="#f-email"`, `href="#f-locale"`, `value="alice at example"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the form with errors lacks %s", want)
		}
	}
	if acc, _ := e.Store.AccountByUsername(ctx, "alice"); acc.Locale != "" || acc.Email != "" {
		t.Fatalf("refused settings were saved: %q %q", acc.Email, acc.Locale)
	}

	res = e.postForm(c, "/account/settings", url.Values{"email": {"alice@mail.example"}, "locale": {"fr"}, "email_current_password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Set-Cookie"), "odn_lang=fr") {
		t.Fatalf("settings: status %d, cookie %q", res.StatusCode, res.Header.Get("Set-Cookie"))
	}
	body = readBody(e.pageIn(c, res.Header.Get("Location"), "en"))
	if !strings.Contains(body, `<html lang="fr">`) || !strings.Contains(body, "Vos réglages sont enregistrés.") ||
		!strings.Contains(body, `<option value="fr" selected`) {
		t.Errorf("after choosing French, the account page is not French or does not show the choice:\n%s", body)
	}
	// Another browser, asking for English: the member's setting wins
	// once signed in; anonymous pages follow the browser.
	other := e.client()
	if !strings.Contains(readBody(e.pageIn(other, "/", "en")), `<html lang="en">`) {
		t.Error("an anonymous visitor does not get their browser's language")
	}
	if res := e.postForm(other, "/login", url.Values{"username": {"alice"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("log-in: %d", res.StatusCode)
	}
	if !strings.Contains(readBody(e.pageIn(other, "/", "en")), `<html lang="fr">`) {
		t.Error("the member's language setting is not applied in another browser")
	}
	if strings.Contains(readBody(e.get(e.client(), "/@alice")), "alice@mail.example") {
		t.Error("the public profile shows the e-mail")
	}

	res = e.postForm(c, "/account/settings", url.Values{"email": {"alice@mail.example"}, "locale": {""}})
	if ck := res.Header.Get("Set-Cookie"); res.StatusCode != http.StatusSeeOther || !strings.Contains(ck, "odn_lang=;") || !strings.Contains(ck, "Max-Age=0") {
		t.Fatalf("back to the browser's language: status %d, cookie %q", res.StatusCode, ck)
	}
	for name, b := range map[string]*http.Client{"this browser": c, "the other one": other} {
		if !strings.Contains(readBody(e.pageIn(b, "/", "en")), `<html lang="en">`) {
			t.Errorf("%s does not follow its language again", name)
		}
	}
}

// TestAccountAPI: GET and PATCH /api/v1/account read and change the
// caller's own account, e-mail included (a new address pending until
// confirmed); PATCH changes only what it is given and names every
// invalid field at once.
func TestAccountAPI(t *testing.T) {
	e := newEnv(t)
	e.user("alice", models.RoleMember)
	e.user("bob", models.RoleMember)
	alice, bob := e.token("alice"), e.token("bob")
	type account struct {
		ID, Username, Handle, Email, Locale string
		PendingEmail                        *string `json:"pending_email"`
		EmailConfirmed                      bool    `json:"email_confirmed"`
		DisplayName                         string  `json:"display_name"`
		Bio                                 string
		BioHTML                             string `json:"bio_html"`
	}
	var got account
	res := e.api("PATCH", "/api/v1/account", alice, map[string]string{"display_name": "Alice", "bio": "Hi *there*", "email": "alice@mail.example", "locale": "fr",
		"current_password": testPassword}, &got)
	if res.StatusCode != http.StatusOK || got.DisplayName != "Alice" || got.BioHTML != "<p>Hi <em>there</em></p>" || got.Email != "" ||
		got.PendingEmail == nil || *got.PendingEmail != "alice@mail.example" || got.EmailConfirmed || got.Locale != "fr" {
		t.Fatalf("PATCH: %d %+v", res.StatusCode, got)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the account (with its e-mail) may be cached: Cache-Control %q", cc)
	}
	if _, err := e.Store.ConfirmPendingEmail(context.Background(), nil, "alice"); err != nil {
		t.Fatal(err)
	}
	res = e.api("PATCH", "/api/v1/account", alice, map[string]string{"bio": "Bye"}, &got)
	if res.StatusCode != http.StatusOK || got.DisplayName != "Alice" || got.Bio != "Bye" || got.Email != "alice@mail.example" ||
		got.PendingEmail != nil || !got.EmailConfirmed || got.Locale != "fr" {
		t.Fatalf("a PATCH of the bio changed something else: %d %+v", res.StatusCode, got)
	}
	var refused struct{ Fields map[string]string }
	res = e.api("PATCH", "/api/v1/account", alice, map[string]string{"display_name": strings.Repeat("x", 51), "email": "nope", "locale": "xx"}, &refused)
	if res.StatusCode != http.StatusUnprocessableEntity || len(refused.Fields) != 4 || refused.Fields["current_password"] == "" {
		t.Fatalf("invalid PATCH: %d %v, want 422 naming display_name, email, locale and current_password", res.StatusCode, refused.Fields)
	}
	var bobs account
	if res := e.api("GET", "/api/v1/account", bob, nil, &bobs); res.StatusCode != http.StatusOK || bobs.Username != "bob" || bobs.Email != "" {
		t.Fatalf("bob's GET: %d %+v", res.StatusCode, bobs)
	}
	if res := e.api("GET", "/api/v1/account", "", nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous GET: %d, want 401", res.StatusCode)
	}
	// Public answers about alice do not carry her e-mail.
	for _, path := range []string{"/api/v1/lookup?uri=alice@" + strings.TrimPrefix(e.URL, "http://")} {
		if res := e.api("GET", path, bob, nil, nil); strings.Contains(readBody(res), "alice@mail.example") {
			t.Errorf("%s shows alice's e-mail", path)
		}
	}
}

// TestAccountExportProfileAndNotes: the data download holds the profile
// and settings, with its notes in the member's language (the English
// ones as models writes them).
func TestAccountExportProfileAndNotes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acc := e.user("alice", models.RoleMember)
	name, bio, email, locale := "Alice Martin", "Rides a *bike*", "alice@mail.example", "fr"
	acc, err := e.Store.EditAccount(ctx, acc, models.AccountEdit{DisplayName: &name, Bio: &bio, Email: &email, Locale: &locale, CurrentPassword: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	english, err := e.Store.AccountExport(ctx, acc)
	if err != nil {
		t.Fatal(err)
	}
	c := e.loggedIn("alice")
	download := func(lang string) (out struct {
		Notes  map[string]string
		Tables map[string][]map[string]any
	}) {
		t.Helper()
		u, _ := url.Parse(e.URL)
		c.Jar.SetCookies(u, []*http.Cookie{{Name: "odn_lang", Value: lang}})
		res := e.get(c, "/account/export")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("export (%s): %d", lang, res.StatusCode)
		}
		if err := json.Unmarshal([]byte(readBody(res)), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	en, fr := download("en"), download("fr")
	if len(en.Notes) != len(english.Notes) || len(fr.Notes) != len(english.Notes) {
		t.Fatalf("notes: %d in English, %d in French, want %d", len(en.Notes), len(fr.Notes), len(english.Notes))
	}
	for k, v := range english.Notes {
		if en.Notes[k] != v {
			t.Errorf("note %q in English: the catalog says %q, models %q", k, en.Notes[k], v)
		}
		if fr.Notes[k] == "" || fr.Notes[k] == v {
			t.Errorf("note %q is not translated into French: add gdpr.note.%s to web/i18n/fr.account.json", k, k)
		}
	}
	accounts, actors := fr.Tables["accounts"], fr.Tables["actors"]
	if len(accounts) != 1 || len(actors) != 1 {
		t.Fatalf("%d accounts and %d actors in the download, want 1 each", len(accounts), len(actors))
	}
	if accounts[0]["pending_email"] != email || accounts[0]["locale"] != locale || accounts[0]["bio"] != bio {
		t.Errorf("the download's account is %v", accounts[0])
	}
	if actors[0]["name"] != name || actors[0]["summary"] != "<p>Rides a <em>bike</em></p>" {
		t.Errorf("the download's actor is %v", actors[0])
	}
}

// logInAttempts is web.authAttempts, the per-client limit of log-ins.
const logInAttempts = 10

// TestAccountEmailChangeLimits: a new e-mail address mails a notice to
// the old one and checks a password, so both are bounded: past
// models.MaxEmailChanges changes a day the form says so on the e-mail
// field (422, in the member's language); the settings form, the password
// form and an API PATCH carrying email count toward the client's log-in
// limit (429 past it), a PATCH without email does not.
func TestAccountEmailChangeLimits(t *testing.T) {
	t.Run("changes a day", func(t *testing.T) {
		e := newEnv(t)
		e.user("alice", models.RoleMember)
		c := e.loggedIn("alice")
		for i, email := range []string{"victim@example.org", "other@example.org", "victim@example.org"} {
			res := e.postForm(c, "/account/settings", url.Values{"email": {email}, "locale": {"fr"}, "email_current_password": {testPassword}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("change %d: %d", i+1, res.StatusCode)
			}
		}
		res := e.postForm(c, "/account/settings", url.Values{"email": {"third@example.org"}, "locale": {"fr"}, "email_current_password": {testPassword}})
		if body := readBody(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "a été changée trop de fois ces dernières 24 heures") {
			t.Fatalf("change past the limit: %d\n%s", res.StatusCode, body)
		}
	})
	t.Run("forms share the log-in limit", func(t *testing.T) {
		e := newEnv(t)
		e.user("alice", models.RoleMember)
		c := e.loggedIn("alice") // one attempt
		var last *http.Response
		for i := range logInAttempts - 1 {
			path := []string{"/account/settings", "/account/password"}[i%2]
			last = e.postForm(c, path, url.Values{"email": {"x@example.org"}, "email_current_password": {"a wrong guess"}, "current_password": {"a wrong guess"}})
			if last.StatusCode == http.StatusTooManyRequests {
				t.Fatalf("attempt %d refused", i+2)
			}
		}
		for _, path := range []string{"/account/settings", "/account/password"} {
			if res := e.postForm(c, path, url.Values{}); res.StatusCode != http.StatusTooManyRequests {
				t.Errorf("%s past the limit: %d, want 429", path, res.StatusCode)
			}
		}
	})
	t.Run("API", func(t *testing.T) {
		e := newEnv(t)
		e.user("alice", models.RoleMember)
		tok := e.token("alice")
		for i := range logInAttempts {
			if res := e.api("PATCH", "/api/v1/account", tok, map[string]string{"email": "x@example.org", "current_password": "a wrong guess"}, nil); res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("attempt %d: %d", i+1, res.StatusCode)
			}
		}
		if res := e.api("PATCH", "/api/v1/account", tok, map[string]string{"email": "x@example.org", "current_password": testPassword}, nil); res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("PATCH with email past the limit: %d, want 429", res.StatusCode)
		}
		if res := e.api("PATCH", "/api/v1/account", tok, map[string]string{"bio": "Hi"}, nil); res.StatusCode != http.StatusOK {
			t.Errorf("PATCH without email past the limit: %d, want 200", res.StatusCode)
		}
	})
}
