package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

var confirmLinkRE = regexp.MustCompile(`http://[^\s]+/email/confirm\?token=[A-Za-z0-9_-]+`)

// mailsTo are the e-mails m sent to the address to.
func mailsTo(m *captureMailer, to string) []sentMail {
	var out []sentMail
	for _, s := range m.mails() {
		if s.to == to {
			out = append(out, s)
		}
	}
	return out
}

// followConfirmLink opens the confirmation link of mail with c, as its
// browser would: the token moves into a cookie, the page asks to
// confirm, and the POST confirms. It returns the POST's answer.
func followConfirmLink(t *testing.T, e *testEnv, c *http.Client, mail sentMail) *http.Response {
	t.Helper()
	link := confirmLinkRE.FindString(mail.body)
	if link == "" {
		t.Fatalf("no confirmation link in %q", mail.body)
	}
	token := link[strings.Index(link, "token=")+len("token="):]
	res := e.get(c, strings.TrimPrefix(link, e.URL))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/email/confirm" {
		t.Fatalf("the link: %d to %q, want the page without its token", res.StatusCode, res.Header.Get("Location"))
	}
	res = e.get(c, "/email/confirm")
	body := readBody(res)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, mail.to) || !strings.Contains(body, `action="/email/confirm"`) || strings.Contains(body, token) {
		t.Fatalf("the confirmation page: %d\n%s", res.StatusCode, body)
	}
	return e.postForm(c, "/email/confirm", url.Values{})
}

// TestEmailConfirmationFlow: the address given at sign-up gets a
// confirmation link and nothing else: the forgotten password form
// answers as for an unknown name, and mails nothing, until the link is
// followed; then reset links go there. The link works once.
func TestEmailConfirmationFlow(t *testing.T) {
	e, m := newMailEnv(t)
	ctx := context.Background()
	c := e.client()
	res := e.postForm(c, "/signup", url.Values{"username": {"ann"}, "email": {"ann@example.org"}, "password": {testPassword}, "password_confirm": {testPassword}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "signup.welcome_confirm") {
		t.Fatalf("sign-up: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	e.Server.Wait()
	links := mailsTo(m, "ann@example.org")
	if len(links) != 1 || !strings.Contains(links[0].subject, "Confirm your e-mail address") {
		t.Fatalf("mails after sign-up: %+v", m.mails())
	}
	if body := readBody(e.get(c, "/account")); !strings.Contains(body, "Awaiting confirmation") || !strings.Contains(body, `action="/account/email/resend"`) {
		t.Errorf("the account page does not say the address awaits confirmation:\n%s", body)
	}

	// Unconfirmed: the forgotten password form answers alike and mails nothing.
	anon := e.client()
	answer := func(name string) string {
		res := e.postForm(anon, "/password/forgot", url.Values{"name_or_email": {name}})
		return res.Status + " " + res.Header.Get("Location")
	}
	unknown := answer("nobody@example.org")
	for _, name := range []string{"ann", "ann@example.org"} {
		if got := answer(name); got != unknown {
			t.Errorf("forgot %q: %s, unknown: %s", name, got, unknown)
		}
	}
	e.Server.Wait()
	if n := len(m.mails()); n != 1 {
		t.Fatalf("%d e-mails, want only the confirmation link: %+v", n, m.mails())
	}

	res = followConfirmLink(t, e, c, links[0])
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/account?flash=email_confirm.done") {
		t.Fatalf("confirm: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if acc, _ := e.Store.AccountByUsername(ctx, "ann"); acc.Email != "ann@example.org" || acc.PendingEmail != "" {
		t.Errorf("confirmed: email %q, pending %q", acc.Email, acc.PendingEmail)
	}
	if body := readBody(e.get(c, "/account")); !strings.Contains(body, "ann@example.org is confirmed") {
		t.Errorf("the account page does not say the address is confirmed:\n%s", body)
	}
	// Used: the link no longer works, the cookie is gone.
	if res := e.get(anon, strings.TrimPrefix(confirmLinkRE.FindString(links[0].body), e.URL)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("used link: %d", res.StatusCode)
	}
	if res := e.get(anon, "/email/confirm"); res.StatusCode != http.StatusGone {
		t.Errorf("used link's page: %d, want 410", res.StatusCode)
	}
	if res := e.postForm(anon, "/email/confirm", url.Values{}); res.StatusCode != http.StatusGone {
		t.Errorf("used link's POST: %d, want 410", res.StatusCode)
	}

	// Confirmed: a reset link goes there.
	answer("ann@example.org")
	e.Server.Wait()
	if mails := mailsTo(m, "ann@example.org"); len(mails) != 2 || !resetLinkRE.MatchString(mails[1].body) {
		t.Errorf("reset after confirmation: %+v", mails)
	}
}

// TestEmailChangeResendCancelAndStaleForm: a new address is pending,
// the confirmed one in use; the member resends its link (within the
// limits: past them the page says none was sent) or withdraws it; a
// settings form opened before another tab changed the address saves the
// language without undoing that change when its address was not
// touched, and comes back with a notice (409) when it was.
func TestEmailChangeResendCancelAndStaleForm(t *testing.T) {
	e, m := newMailEnv(t)
	ctx := context.Background()
	if _, err := e.Store.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "ann@example.org", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	c := e.loggedIn("ann")
	// The form as opened now, before the other tab's change.
	if body := readBody(e.get(c, "/account")); !strings.Contains(body, `name="email_shown" value="ann@example.org"`) {
		t.Fatalf("the settings form does not send back the address it shows:\n%s", body)
	}
	var got struct {
		Email   string
		Pending string `json:"pending_email"`
	}
	if res := e.api("PATCH", "/api/v1/account", e.token("ann"), map[string]string{"email": "new@example.org", "current_password": testPassword}, &got); res.StatusCode != http.StatusOK ||
		got.Email != "ann@example.org" || got.Pending != "new@example.org" {
		t.Fatalf("the other tab's change: %d %+v", res.StatusCode, got)
	}
	res := e.postForm(c, "/account/settings", url.Values{"email": {"ann@example.org"}, "email_shown": {"ann@example.org"}, "locale": {"fr"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("stale form, address untouched: %d", res.StatusCode)
	}
	if acc, _ := e.Store.AccountByUsername(ctx, "ann"); acc.PendingEmail != "new@example.org" || acc.Locale != "fr" {
		t.Errorf("stale form, address untouched: pending %q, locale %q; want the other tab's change kept and the language saved", acc.PendingEmail, acc.Locale)
	}
	res = e.postForm(c, "/account/settings", url.Values{"email": {"third@example.org"}, "email_shown": {"ann@example.org"}, "locale": {"fr"},
		"email_current_password": {testPassword}})
	body := readBody(res)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, `id="edit-conflict"`) || !strings.Contains(body, `value="third@example.org"`) ||
		!strings.Contains(body, `name="email_shown" value="new@example.org"`) {
		t.Fatalf("stale form, address touched: %d, want 409 with a notice, the address typed and the current one shown\n%s", res.StatusCode, body)
	}
	if acc, _ := e.Store.AccountByUsername(ctx, "ann"); acc.PendingEmail != "new@example.org" {
		t.Errorf("the refused form changed the pending address to %q", acc.PendingEmail)
	}

	e.Server.Wait()
	if n := len(mailsTo(m, "new@example.org")); n != 1 {
		t.Fatalf("%d links to the new address, want 1", n)
	}
	// Resend up to the limit, then the page says none was sent.
	for i := 1; i < models.MaxPasswordResets; i++ {
		if res := e.postForm(c, "/account/email/resend", nil); !strings.Contains(res.Header.Get("Location"), "account.email_resent") {
			t.Fatalf("resend %d: %d %q", i, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if res := e.postForm(c, "/account/email/resend", nil); !strings.Contains(res.Header.Get("Location"), "account.email_resend_limited") {
		t.Errorf("resend past the limit: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	e.Server.Wait()
	if n := len(mailsTo(m, "new@example.org")); n != models.MaxPasswordResets {
		t.Errorf("%d links to the new address, want %d", n, models.MaxPasswordResets)
	}
	// Withdrawn: its links no longer confirm.
	if res := e.postForm(c, "/account/email/cancel", nil); !strings.Contains(res.Header.Get("Location"), "account.email_cancelled") {
		t.Fatalf("cancel: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := followConfirmLinkStatus(e, mailsTo(m, "new@example.org")[0]); res != http.StatusGone {
		t.Errorf("link of a withdrawn address: %d, want 410", res)
	}
	if acc, _ := e.Store.AccountByUsername(ctx, "ann"); acc.Email != "ann@example.org" || acc.PendingEmail != "" {
		t.Errorf("withdrawn: email %q, pending %q", acc.Email, acc.PendingEmail)
	}
}

// followConfirmLinkStatus is the status of the page a confirmation link
// leads to, in a new browser.
func followConfirmLinkStatus(e *testEnv, mail sentMail) int {
	c := e.client()
	e.get(c, strings.TrimPrefix(confirmLinkRE.FindString(mail.body), e.URL))
	return e.get(c, "/email/confirm").StatusCode
}

// TestEmailConfirmationWithoutMailer: an instance that sends no e-mail
// keeps the address given as pending, says so on sign-up and on the
// account page, and offers no resend; an administrator confirms it.
func TestEmailConfirmationWithoutMailer(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	res := e.postForm(c, "/signup", url.Values{"username": {"ann"}, "email": {"ann@example.org"}, "password": {testPassword}, "password_confirm": {testPassword}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "signup.welcome_unconfirmed") {
		t.Fatalf("sign-up: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	body := readBody(e.get(c, "/account"))
	if !strings.Contains(body, "This instance sends no e-mail, so it cannot confirm an address") || strings.Contains(body, `action="/account/email/resend"`) ||
		!strings.Contains(body, "Awaiting confirmation") {
		t.Errorf("the account page without a mailer:\n%s", body)
	}
	if _, err := e.Store.ConfirmPendingEmail(context.Background(), nil, "ann"); err != nil {
		t.Fatal(err)
	}
	if body := readBody(e.get(c, "/account")); !strings.Contains(body, "ann@example.org is confirmed") {
		t.Errorf("confirmed by an administrator:\n%s", body)
	}
}

// TestEmailConfirmationInAnotherSession: a confirmation link opened in a
// browser signed in as another account confirms the address all the
// same (the token is the proof), but the page says whose address it is
// before and after, and that the session's own did not change, instead
// of sending the browser to log in or to its own account as if
// confirmed; nobody signed in goes to log in. In English and French.
func TestEmailConfirmationInAnotherSession(t *testing.T) {
	e, m := newMailEnv(t)
	ctx := context.Background()
	signup := func(name string) *http.Client {
		t.Helper()
		c := e.client()
		res := e.postForm(c, "/signup", url.Values{"username": {name}, "email": {name + "@example.org"}, "password": {testPassword}, "password_confirm": {testPassword}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-up of %s: %d", name, res.StatusCode)
		}
		return c
	}
	signup("ann")
	signup("cyd")
	bob := signup("bob")
	e.Server.Wait()
	link := func(name string) string {
		t.Helper()
		mails := mailsTo(m, name+"@example.org")
		if len(mails) != 1 {
			t.Fatalf("mails to %s: %+v", name, mails)
		}
		return strings.TrimPrefix(confirmLinkRE.FindString(mails[0].body), e.URL)
	}

	for _, tc := range []struct{ lang, name, before, done, other string }{
		{"en", "ann", "You are signed in as @bob: confirming changes the account @ann, not yours.",
			"ann@example.org is now the e-mail address of the account @ann.", "You are still signed in as @bob, whose address did not change."},
		{"fr", "cyd", "Vous êtes connecté·e en tant que @bob\u00a0: confirmer modifie le compte @cyd, pas le vôtre.",
			"cyd@example.org est désormais l’adresse e-mail du compte @cyd.", "Vous êtes toujours connecté·e en tant que @bob, dont l’adresse n’a pas changé."},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			u, _ := url.Parse(e.URL)
			bob.Jar.SetCookies(u, []*http.Cookie{{Name: "odn_lang", Value: tc.lang}})
			e.get(bob, link(tc.name))
			if body := readBody(e.get(bob, "/email/confirm")); !strings.Contains(body, tc.before) {
				t.Errorf("the confirmation page does not say whose address it is:\n%s", body)
			}
			// POST-redirect-GET: the result is a page of its own, which a
			// reload shows again (it said the link no longer worked when
			// the POST's answer was the page, and a reload posted again).
			res := e.postForm(bob, "/email/confirm", url.Values{})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/email/confirm" {
				t.Fatalf("confirmed in bob's browser: %d %q, want a redirect to /email/confirm", res.StatusCode, res.Header.Get("Location"))
			}
			for _, load := range []string{"after the redirect", "reloaded"} {
				res := e.get(bob, "/email/confirm")
				body := readBody(res)
				if res.StatusCode != http.StatusOK || !strings.Contains(body, tc.done) || !strings.Contains(body, tc.other) {
					t.Fatalf("the result page %s: %d\n%s", load, res.StatusCode, body)
				}
			}
			// Posted again (a stale tab): the link no longer works.
			if res := e.postForm(bob, "/email/confirm", url.Values{}); res.StatusCode != http.StatusGone {
				t.Errorf("the used link posted again: %d, want 410", res.StatusCode)
			}
			owner, _ := e.Store.AccountByUsername(ctx, tc.name)
			b, _ := e.Store.AccountByUsername(ctx, "bob")
			if owner.Email != tc.name+"@example.org" || owner.PendingEmail != "" || b.Email != "" || b.PendingEmail != "bob@example.org" {
				t.Errorf("%s %q/%q, bob %q/%q: want the link's address confirmed, bob's untouched", tc.name, owner.Email, owner.PendingEmail, b.Email, b.PendingEmail)
			}
			if res := e.get(bob, "/account"); res.StatusCode != http.StatusOK || !strings.Contains(readBody(res), "bob@example.org") {
				t.Error("bob is no longer signed in")
			}
		})
	}

	// Nobody signed in: to log in, as before.
	anon := e.client()
	e.get(anon, link("bob"))
	if res := e.postForm(anon, "/email/confirm", url.Values{}); res.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(res.Header.Get("Location"), "/login?flash=email_confirm.done") {
		t.Fatalf("confirmed with nobody signed in: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestTokenWithdrawsPendingAddress pins what a bearer token alone may do
// to the address (tokens have no scopes: each is the whole account, as
// a session): withdraw a pending address, as the account page's button
// does, by sending back the confirmed one (or a pending address sent
// again), which keeps reset links where they went; but not give a new
// address without the password.
func TestTokenWithdrawsPendingAddress(t *testing.T) {
	e := newEnv(t)
	e.user("alice", models.RoleMember)
	tok := e.token("alice")
	ctx := context.Background()
	if _, _, err := e.Store.EditAccountChanged(ctx, mustAccount(t, e, "alice"), models.AccountEdit{Email: ptrTo("alice@mail.example"), CurrentPassword: testPassword}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.ConfirmPendingEmail(ctx, nil, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Store.EditAccountChanged(ctx, mustAccount(t, e, "alice"), models.AccountEdit{Email: ptrTo("alice@new.example"), CurrentPassword: testPassword}); err != nil {
		t.Fatal(err)
	}
	var refused struct{ Fields map[string]string }
	if res := e.api("PATCH", "/api/v1/account", tok, map[string]string{"email": "mallory@evil.example"}, &refused); res.StatusCode != http.StatusUnprocessableEntity ||
		refused.Fields["current_password"] == "" {
		t.Fatalf("a new address with the token alone: %d %v, want 422 on current_password", res.StatusCode, refused.Fields)
	}
	if res := e.api("PATCH", "/api/v1/account", tok, map[string]string{"email": "alice@mail.example"}, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("back to the confirmed address with the token: %d", res.StatusCode)
	}
	if acc := mustAccount(t, e, "alice"); acc.Email != "alice@mail.example" || acc.PendingEmail != "" {
		t.Fatalf("after going back: email %q, pending %q; want the confirmed one kept, the pending one withdrawn", acc.Email, acc.PendingEmail)
	}
}

func mustAccount(t *testing.T, e *testEnv, name string) *models.Account {
	t.Helper()
	acc, err := e.Store.AccountByUsername(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

func ptrTo(s string) *string { return &s }
