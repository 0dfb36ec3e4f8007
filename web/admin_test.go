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

func TestAdminPage(t *testing.T) {
	e := newEnv(t)
	e.user("boss", models.RoleAdmin)
	e.user("joe", models.RoleMember)
	if res := e.get(e.client(), "/admin"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("anonymous: %d", res.StatusCode)
	}
	if res := e.get(e.loggedIn("joe"), "/admin"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("member: %d", res.StatusCode)
	}
	c := e.loggedIn("boss")
	if body := readBody(e.get(c, "/admin")); !strings.Contains(body, "joe") {
		t.Fatal("account list lacks joe")
	}
	ctx := context.Background()
	steps := []struct {
		path   string
		form   url.Values
		status int
	}{
		{"/admin/users/joe", url.Values{"action": {"role"}, "role": {"moderator"}}, 303},
		{"/admin/users/joe", url.Values{"action": {"decider"}}, 303},
		{"/admin/users/joe", url.Values{"action": {"role"}, "role": {"tsar"}}, 422},
		{"/admin/users/boss", url.Values{"action": {"role"}, "role": {"member"}}, 422},
		{"/admin/users/boss", url.Values{"action": {"disable"}}, 422},
		{"/admin/users/nobody", url.Values{"action": {"disable"}}, 404},
		{"/admin/users/joe", url.Values{"action": {"explode"}}, 422},
		{"/admin/registration", url.Values{"registration": {"invite"}}, 303},
		{"/admin/registration", url.Values{"registration": {"sometimes"}}, 422},
	}
	for _, st := range steps {
		if res := e.postForm(c, st.path, st.form); res.StatusCode != st.status {
			t.Errorf("%s %v: %d, want %d", st.path, st.form, res.StatusCode, st.status)
		}
	}
	joe, _ := e.Store.AccountByUsername(ctx, "joe")
	if joe.Role != models.RoleModerator || !joe.Decider {
		t.Fatalf("joe: role %s decider %t", joe.Role, joe.Decider)
	}
	if boss, _ := e.Store.AccountByUsername(ctx, "boss"); boss.Role != models.RoleAdmin || boss.Disabled {
		t.Fatal("an admin demoted or disabled themself")
	}
	if mode, _ := e.Store.Setting(ctx, models.SettingRegistration, ""); mode != models.RegistrationInvite {
		t.Fatalf("registration %q", mode)
	}
	res := e.postForm(c, "/admin/invites", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite: %d", res.StatusCode)
	}
	res = e.get(c, res.Header.Get("Location"))
	body := readBody(res)
	code := regexp.MustCompile(`signup\?invite=([A-Za-z0-9_-]+)`).FindStringSubmatch(body)
	if res.StatusCode != 200 || code == nil {
		t.Fatalf("invite page: %d", res.StatusCode)
	}
	// The link to send works from a mail: it is absolute.
	if link := e.URL + "/signup?invite=" + code[1]; !strings.Contains(body, "<code>"+link+"</code>") {
		t.Errorf("the invitation shows no %s to send", link)
	}
	form := url.Values{"username": {"newbie"}, "password": {testPassword}, "password_confirm": {testPassword}, "invite": {code[1]}}
	if res := e.postForm(e.client(), "/signup", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-up with the invitation: %d", res.StatusCode)
	}
	if body := readBody(e.get(c, "/admin")); !strings.Contains(body, `id="reason-user-joe" name="reason"`) {
		t.Error("the accounts page asks no reason to disable joe")
	}
	if res := e.postForm(c, "/admin/users/joe", url.Values{"action": {"disable"}, "reason": {"left the association"}}); res.StatusCode != 303 {
		t.Fatalf("disable: %d", res.StatusCode)
	}
	if log, err := e.Store.AuditLog(ctx, 1); err != nil || len(log) != 1 || log[0].Action != "set_disabled:true" || log[0].Detail != "left the association" {
		t.Errorf("audit %+v (%v), want the disable with its reason", log, err)
	}
	if _, err := e.Store.Authenticate(ctx, "joe", testPassword); err == nil {
		t.Fatal("disabled account can log in")
	}
}
