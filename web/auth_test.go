package web_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

func TestSignUpLogInLogOut(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	if res := e.get(c, "/signup"); res.StatusCode != http.StatusOK {
		t.Fatalf("sign-up page: %d", res.StatusCode)
	}
	form := url.Values{"username": {"alice"}, "password": {testPassword}, "password_confirm": {testPassword}, "email": {"a@example.org"}}
	res := e.postForm(c, "/signup", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-up: %d %s", res.StatusCode, readBody(res))
	}
	ck := res.Header.Get("Set-Cookie")
	for _, want := range []string{"odn_session=", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(ck, want) {
			t.Errorf("session cookie %q lacks %s", ck, want)
		}
	}
	if body := readBody(e.get(c, "/account")); !strings.Contains(body, "@alice") {
		t.Fatal("account page does not show the signed-in user")
	}
	if res := e.postForm(c, "/logout", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("log-out: %d", res.StatusCode)
	}
	if res := e.get(c, "/account"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("after log-out /account should redirect to log-in, got %d", res.StatusCode)
	}
	c = e.loggedIn("alice")
	if body := readBody(e.get(c, "/")); !strings.Contains(body, "alice") {
		t.Fatal("log-in did not stick")
	}
}

func TestSignUpErrors(t *testing.T) {
	e := newEnv(t)
	e.user("taken", models.RoleMember)
	cases := []struct {
		name string
		form url.Values
		want string
	}{
		{"mismatch", url.Values{"username": {"bob"}, "password": {testPassword}, "password_confirm": {"other password"}}, "password_confirm"},
		{"reserved", url.Values{"username": {"admin"}, "password": {testPassword}, "password_confirm": {testPassword}}, "username"},
		{"taken", url.Values{"username": {"taken"}, "password": {testPassword}, "password_confirm": {testPassword}}, "name"},
		{"short", url.Values{"username": {"bob"}, "password": {"short"}, "password_confirm": {"short"}}, "password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.postForm(e.client(), "/signup", tc.form)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", res.StatusCode)
			}
			if !strings.Contains(readBody(res), `aria-invalid="true"`) && tc.want != "name" {
				t.Error("field error not marked for assistive technology")
			}
			if res.Header.Get("Set-Cookie") != "" {
				t.Error("a failed sign-up started a session")
			}
		})
	}
	if accs, _ := e.Store.ListAccounts(context.Background()); len(accs) != 1 {
		t.Fatalf("failed sign-ups created accounts: %d", len(accs))
	}
}

func TestWrongPasswordAndNoEnumeration(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		e.user("alice", models.RoleMember)
		wrong := e.postForm(e.client(), "/login", url.Values{"username": {"alice"}, "password": {"nope nope nope"}})
		unknown := e.postForm(e.client(), "/login", url.Values{"username": {"nobody"}, "password": {"nope nope nope"}})
		if wrong.StatusCode != http.StatusUnauthorized || unknown.StatusCode != http.StatusUnauthorized {
			t.Fatalf("statuses %d %d, want 401", wrong.StatusCode, unknown.StatusCode)
		}
		strip := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "alice", ""), "nobody", "") }
		if strip(readBody(wrong)) != strip(readBody(unknown)) {
			t.Fatal("wrong password and unknown user give different pages: account enumeration")
		}
	})
}

func TestCSRFRefused(t *testing.T) {
	e := newEnv(t)
	e.user("alice", models.RoleMember)
	c := e.loggedIn("alice")
	for _, h := range []map[string]string{
		{"Origin": "http://evil.example"},
		{"Sec-Fetch-Site": "cross-site"},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/account/delete", strings.NewReader("confirm=alice"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res := e.do(c, req)
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site POST with %v: status %d", h, res.StatusCode)
		}
	}
	if _, err := e.Store.AccountByUsername(context.Background(), "alice"); err != nil {
		t.Fatal("a cross-site request deleted the account")
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	e.user("alice", models.RoleMember)
	c := e.loggedIn("alice")
	if res := e.get(c, "/account"); res.StatusCode != http.StatusOK {
		t.Fatalf("account: %d", res.StatusCode)
	}
	e.Now = e.Now.Add(models.SessionIdle + time.Hour)
	res := e.get(c, "/account")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("expired session still works: %d", res.StatusCode)
	}
}

func TestLoginRateLimit(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		e.user("alice", models.RoleMember)
		var last *http.Response
		for range 12 {
			last = e.postForm(e.client(), "/login", url.Values{"username": {"alice"}, "password": {"guess guess guess"}})
		}
		if last.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("12th attempt: status %d, want 429", last.StatusCode)
		}
		if last.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		// Even the right password is refused while limited.
		if res := e.postForm(e.client(), "/login", url.Values{"username": {"alice"}, "password": {testPassword}}); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("right password during the limit: %d", res.StatusCode)
		}
	})
}

// TestLoginThrottleAcrossAddresses: guesses spread over addresses, each
// under the per-address limit, still stop at the per-name limit, known
// name or not, with the same answer; other names log in. On both
// databases: on PostgreSQL the per-address count is shared too.
func TestLoginThrottleAcrossAddresses(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		e.user("alice", models.RoleMember)
		e.user("bob", models.RoleMember)
		from := func(i int) *http.Client {
			c := e.client()
			c.Transport = &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(i))}}).DialContext}
			return c
		}
		guess := func(name string, firstAddr int) (codes []int, last *http.Response) {
			for i := range models.MaxLoginFailures + 1 {
				// 9 guesses per address, under its limit of 10 a minute.
				last = e.postForm(from(firstAddr+i/9), "/login", url.Values{"username": {name}, "password": {"guess guess guess"}})
				codes = append(codes, last.StatusCode)
			}
			return codes, last
		}
		for k, name := range []string{"alice", "nobody"} {
			codes, last := guess(name, 1+10*k)
			for i, code := range codes[:models.MaxLoginFailures] {
				if code != http.StatusUnauthorized {
					t.Fatalf("%s, guess %d: status %d, want 401", name, i+1, code)
				}
			}
			if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
				t.Fatalf("%s, guess %d: status %d, Retry-After %q; want 429 with Retry-After", name, len(codes), last.StatusCode, last.Header.Get("Retry-After"))
			}
			if body := readBody(last); !strings.Contains(body, "try again in 60 minutes") {
				t.Errorf("%s: the page does not say when to retry", name)
			}
		}
		if res := e.postForm(from(200), "/login", url.Values{"username": {"alice"}, "password": {testPassword}}); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("right password of a throttled name: %d", res.StatusCode)
		}
		if res := e.postForm(from(200), "/login", url.Values{"username": {"bob"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("another name: %d", res.StatusCode)
		}
	})
}

func TestAccountDeletion(t *testing.T) {
	e := newEnv(t)
	e.user("alice", models.RoleMember)
	c := e.loggedIn("alice")
	if res := e.postForm(c, "/account/delete", url.Values{"confirm": {"bob"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("wrong confirmation: %d", res.StatusCode)
	}
	if res := e.postForm(c, "/account/delete", url.Values{"confirm": {"alice"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if _, err := e.Store.AccountByUsername(context.Background(), "alice"); err == nil {
		t.Fatal("account still live")
	}
	if res := e.get(c, "/account"); res.StatusCode != http.StatusSeeOther {
		t.Fatal("session survived account deletion")
	}
	if res := e.postForm(e.client(), "/login", url.Values{"username": {"alice"}, "password": {testPassword}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("deleted account logs in: %d", res.StatusCode)
	}
}

func TestSessionFixation(t *testing.T) {
	e := newEnv(t)
	e.user("alice", models.RoleMember)
	c := e.client()
	u, _ := url.Parse(e.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "odn_session", Value: "attacker-chosen"}})
	e.postForm(c, "/login", url.Values{"username": {"alice"}, "password": {testPassword}})
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "odn_session" && ck.Value == "attacker-chosen" {
			t.Fatal("log-in kept the attacker's session id")
		}
	}
}

func TestClosedSignUp(t *testing.T) {
	e := newEnv(t)
	if err := e.Store.SetSetting(context.Background(), nil, models.SettingRegistration, models.RegistrationClosed); err != nil {
		t.Fatal(err)
	}
	if res := e.get(e.client(), "/signup"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("closed sign-up page: %d", res.StatusCode)
	}
	form := url.Values{"username": {"bob"}, "password": {testPassword}, "password_confirm": {testPassword}}
	if res := e.postForm(e.client(), "/signup", form); res.StatusCode != http.StatusForbidden {
		t.Fatalf("closed sign-up POST: %d", res.StatusCode)
	}
}

// TestPasswordChangeRevokesCredentials: changing the password ends every
// other session and revokes every API token, in one go; the browser that
// changed it stays signed in under a fresh session id and is told so. A
// wrong current password changes nothing.
func TestPasswordChangeRevokesCredentials(t *testing.T) {
	e := newEnv(t)
	e.user("alice", models.RoleMember)
	here, elsewhere := e.loggedIn("alice"), e.loggedIn("alice")
	tok := e.token("alice")
	u, _ := url.Parse(e.URL)
	cookie := func(c *http.Client) string {
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "odn_session" {
				return ck.Value
			}
		}
		return ""
	}
	tokenWorks := func() bool {
		_, err := e.Store.TokenAccount(context.Background(), tok)
		return err == nil
	}
	cases := []struct {
		name, current string
		status        int
		revoked       bool
	}{
		{"wrong current password", "wrong wrong wrong", http.StatusUnprocessableEntity, false},
		{"changed", testPassword, http.StatusSeeOther, true},
	}
	for _, tc := range cases {
		before := cookie(here)
		res := e.postForm(here, "/account/password", url.Values{"current_password": {tc.current}, "new_password": {"a brand new passphrase"}})
		if res.StatusCode != tc.status {
			t.Fatalf("%s: status %d, want %d", tc.name, res.StatusCode, tc.status)
		}
		if res := e.get(elsewhere, "/account"); (res.StatusCode != http.StatusOK) != tc.revoked {
			t.Errorf("%s: the other session answers %d", tc.name, res.StatusCode)
		}
		if tokenWorks() == tc.revoked {
			t.Errorf("%s: token still works %v", tc.name, tokenWorks())
		}
		if (cookie(here) != before) != tc.revoked {
			t.Errorf("%s: session id renewed %v", tc.name, cookie(here) != before)
		}
		if !tc.revoked {
			continue
		}
		res = e.get(here, res.Header.Get("Location"))
		if res.StatusCode != http.StatusOK || !strings.Contains(readBody(res), "signed out everywhere else") {
			t.Errorf("%s: this browser gets %d, or is not told of the revocation", tc.name, res.StatusCode)
		}
	}
}

// TestSignUpComesBack: a visitor sent to log in from a page (to sign a
// petition…) who has no account yet signs up and lands back on that page,
// as a log-in does; the header's log-in and sign-up links keep the page
// the visitor is reading (they led to the home page).
func TestSignUpComesBack(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	if body := readBody(e.get(c, "/login?next=/about/counting")); !strings.Contains(body, `href="/signup?next=%2Fabout%2Fcounting"`) {
		t.Errorf("the log-in form's sign-up link forgets where the visitor was going")
	}
	if body := readBody(e.get(c, "/signup?next=/about/counting")); !strings.Contains(body, `name="next" value="/about/counting"`) {
		t.Errorf("the sign-up form forgets its next")
	}
	for i, tc := range []struct{ next, want string }{
		{"/about/counting", "/about/counting?flash=signup.welcome"},
		{"", "/?flash=signup.welcome"},
		{"//evil.example/", "/?flash=signup.welcome"},
	} {
		name := "newcomer" + strconv.Itoa(i)
		form := url.Values{"username": {name}, "password": {testPassword}, "password_confirm": {testPassword}, "next": {tc.next}}
		if res := e.postForm(e.client(), "/signup", form); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tc.want {
			t.Errorf("sign-up with next %q: %d to %q, want %q", tc.next, res.StatusCode, res.Header.Get("Location"), tc.want)
		}
	}
	for path, want := range map[string]string{
		"/about":                          `href="/login?next=%2Fabout"`,
		"/about?flash=account.deleted":    `href="/login?next=%2Fabout"`,
		"/":                               `href="/login"`,
		"/login?next=%2Fabout%2Fcounting": `href="/login"`,
	} {
		if body := readBody(e.get(c, path)); !strings.Contains(body, want) {
			t.Errorf("%s: the header's log-in link should be %s", path, want)
		}
	}
	if body := readBody(e.get(c, "/about")); !strings.Contains(body, `href="/signup?next=%2Fabout"`) {
		t.Errorf("/about: the header's sign-up link forgets the page")
	}
}
