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

var (
	inviteRequest = regexp.MustCompile(`name="request" value="([A-Z2-7]+)"`)
	inviteLink    = regexp.MustCompile(`<code>[^<]*/signup\?invite=([A-Za-z0-9_-]+)</code>`)
)

// TestInvitationFormSentTwice: the invitation form answers with a
// redirect to the page that shows the link (a reload shows it again and
// creates nothing), and the same form sent again (back and send, a double
// click) finds the invitation it created instead of a second one; a new
// form makes a new one. A reloaded POST created a second invitation.
func TestInvitationFormSentTwice(t *testing.T) {
	e := newEnv(t)
	e.user("boss", models.RoleAdmin)
	e.user("sacha", models.RoleModerator)
	boss := e.loggedIn("boss")
	ctx := context.Background()
	count := func() int {
		n, err := e.Store.DB.NewSelect().Table("invites").Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	form := func(c *http.Client) url.Values {
		m := inviteRequest.FindStringSubmatch(readBody(e.get(c, "/admin")))
		if m == nil {
			t.Error("the invitation form has no request token")
			return url.Values{}
		}
		return url.Values{"request": {m[1]}}
	}
	send := func(c *http.Client, f url.Values) (location, code string) {
		t.Helper()
		res := e.postForm(c, "/admin/invites", f)
		if res.StatusCode != http.StatusSeeOther {
			e.postForm(c, "/admin/invites", f) // a reload
			t.Fatalf("invite: status %d, want a redirect; sent again, %d invitations", res.StatusCode, count())
		}
		location = res.Header.Get("Location")
		m := inviteLink.FindStringSubmatch(readBody(e.get(c, location)))
		if m == nil {
			t.Fatalf("%s shows no invitation link", location)
		}
		return location, m[1]
	}
	f := form(boss)
	loc, code := send(boss, f)
	if strings.Contains(loc, code) {
		t.Errorf("the redirect %s holds the code", loc)
	}
	again, code2 := send(boss, f)
	if code2 != code || count() != 1 {
		t.Fatalf("the form sent twice: codes %s and %s, %d invitations, want one", code, code2, count())
	}
	if !strings.Contains(again, "flash=admin.invite_again") {
		t.Errorf("the second send does not say so: %s", again)
	}
	if m := inviteLink.FindStringSubmatch(readBody(e.get(boss, loc))); m == nil || m[1] != code || count() != 1 {
		t.Errorf("a reload of %s: %v, %d invitations", loc, m, count())
	}
	// Another person's browser with the same token: no code of boss's.
	sacha := e.loggedIn("sacha")
	if body := readBody(e.get(sacha, "/admin")); strings.Contains(body, code) {
		t.Error("a member sees the invitation")
	}
	if _, other := send(e.loggedIn("boss"), f); other == code {
		t.Error("another session's same token gives the same code")
	}
	// A new form, a new invitation; the code works once.
	if _, code3 := send(boss, form(boss)); code3 == code || count() != 3 {
		t.Errorf("a new form: code %s, %d invitations, want a third", code3, count())
	}
	if err := e.Store.SetSetting(ctx, nil, models.SettingRegistration, models.RegistrationInvite); err != nil {
		t.Fatal(err)
	}
	signup := url.Values{"username": {"nouvelle"}, "password": {testPassword}, "password_confirm": {testPassword}, "invite": {code}}
	if res := e.postForm(e.client(), "/signup", signup); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-up with the invitation: %d", res.StatusCode)
	}
	if body := readBody(e.get(boss, loc)); inviteLink.MatchString(body) {
		t.Error("a used invitation is still shown as a link to send")
	}
}
