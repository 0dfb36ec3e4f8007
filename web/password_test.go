package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web"
)

// captureMailer keeps the e-mails the web door sends.
type captureMailer struct {
	mu   sync.Mutex
	sent []sentMail
}

type sentMail struct{ to, subject, body string }

func (m *captureMailer) SendMail(_ context.Context, to, subject, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, sentMail{to, subject, body})
	return nil
}

func (m *captureMailer) mails() []sentMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]sentMail(nil), m.sent...)
}

// newMailEnv is newEnv with a capturing mailer.
func newMailEnv(t *testing.T) (*testEnv, *captureMailer) {
	t.Helper()
	m := &captureMailer{}
	return newEnvOn(t, "sqlite", func(o *web.Options) { o.Mailer = m }), m
}

var resetLinkRE = regexp.MustCompile(`http://[^\s]+/password/reset\?token=[A-Za-z0-9_-]+`)

// TestPasswordResetFlow: the log-in page links to the form; a known name
// and an unknown one get the same answer; the known one's e-mail (in the
// account's language) has a link that sets a new password once; the old
// password and the sessions no longer work, the new password does.
func TestPasswordResetFlow(t *testing.T) {
	e, m := newMailEnv(t)
	ctx := context.Background()
	if _, err := e.Store.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "ann@example.org", Password: testPassword, Locale: "fr"}); err != nil {
		t.Fatal(err)
	}
	old := e.loggedIn("ann")
	c := e.client()
	if body := readBody(e.get(c, "/login")); !strings.Contains(body, `href="/password/forgot"`) {
		t.Fatal("the log-in page does not link to the forgotten password form")
	}
	if body := readBody(e.get(c, "/password/forgot")); !strings.Contains(body, `name="name_or_email"`) {
		t.Fatal("no form on /password/forgot")
	}

	// The same answer whether an account matches.
	answer := func(name string) (int, string, string) {
		res := e.postForm(c, "/password/forgot", url.Values{"name_or_email": {name}})
		return res.StatusCode, res.Header.Get("Location"), readBody(res)
	}
	s1, l1, b1 := answer("nobody")
	e.Server.Wait()
	if n := len(m.mails()); n != 0 {
		t.Fatalf("%d e-mails for an unknown name", n)
	}
	s2, l2, b2 := answer("ann")
	if s1 != http.StatusSeeOther || s1 != s2 || l1 != l2 || b1 != b2 {
		t.Fatalf("unknown and known names answered differently: %d %q / %d %q", s1, l1, s2, l2)
	}
	if body := readBody(e.get(c, l2)); !strings.Contains(body, "If an account matches and has an e-mail address") {
		t.Errorf("the answer does not say a link may be on its way")
	}
	e.Server.Wait()
	mails := m.mails()
	if len(mails) != 1 {
		t.Fatalf("%d e-mails, want 1", len(mails))
	}
	mail := mails[0]
	link := resetLinkRE.FindString(mail.body)
	if mail.to != "ann@example.org" || !strings.Contains(mail.subject, "nouveau mot de passe") ||
		!strings.Contains(mail.body, "Bonjour ann") || !strings.Contains(mail.body, "une heure") ||
		!strings.Contains(mail.body, "ignorez") || !strings.HasPrefix(link, e.URL+"/password/reset?token=") {
		t.Fatalf("e-mail %+v (link %q)", mail, link)
	}
	path := strings.TrimPrefix(link, e.URL)

	// The link moves its token into a cookie kept to the reset page and
	// comes back without it: no link of the page (language switch, log
	// in), nor the history or a Referer, carries it.
	token := strings.TrimPrefix(path, "/password/reset?token=")
	res := e.get(c, path)
	ck := res.Header.Get("Set-Cookie")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/password/reset" ||
		!strings.HasPrefix(ck, "odn_reset="+token+";") || !strings.Contains(ck, "Path=/password/reset") ||
		!strings.Contains(ck, "Max-Age=3600") || !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") {
		t.Fatalf("the link: %d to %q, cookie %q", res.StatusCode, res.Header.Get("Location"), ck)
	}
	res = e.get(c, "/password/reset")
	body := readBody(res)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "@ann") || strings.Contains(body, token) || !strings.Contains(body, `href="/lang/fr?next=%2Fpassword%2Freset"`) {
		t.Fatalf("reset page: %d\n%s", res.StatusCode, body)
	}
	// The site's Referrer-Policy, not no-referrer: with it, browsers send
	// "Origin: null" with the form, which the cross-origin protection
	// refuses from browsers without Sec-Fetch-Site.
	if rp, cc := res.Header.Get("Referrer-Policy"), res.Header.Get("Cache-Control"); rp == "no-referrer" || cc != "no-store" {
		t.Errorf("reset page headers: Referrer-Policy %q, Cache-Control %q", rp, cc)
	}
	// The language switch comes back to the form, the cookie still there.
	if res := e.get(c, "/lang/fr?next=%2Fpassword%2Freset"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/password/reset" {
		t.Fatalf("language switch: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := e.get(c, "/password/reset"); res.StatusCode != http.StatusOK || !strings.Contains(readBody(res), "@ann") {
		t.Fatalf("the form after the language switch: %d", res.StatusCode)
	}
	// A browser without Sec-Fetch-Site (Safari < 16.4) sends Origin with
	// the form: it gets through.
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/password/reset", strings.NewReader(url.Values{"new_password": {"short"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.URL)
	if res, err := c.Do(req); err != nil || res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("POST with Origin and no Sec-Fetch-Site: %v %v", res, err)
	}

	// Every problem at once, and the link still works.
	res = e.postForm(c, "/password/reset", url.Values{"new_password": {"short"}, "password_confirm": {"other"}})
	body = readBody(res)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#f-new_password"`) ||
		!strings.Contains(body, `href="#f-password_confirm"`) || !strings.Contains(body, `aria-invalid="true"`) {
		t.Fatalf("short and mismatched: %d\n%s", res.StatusCode, body)
	}
	res = e.postForm(c, "/password/reset", url.Values{"new_password": {"a brand new password"}, "password_confirm": {"a brand new password"}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/account?flash=") {
		t.Fatalf("reset: %d %q", res.StatusCode, loc)
	}
	if ck := res.Header.Get("Set-Cookie"); !strings.HasPrefix(ck, "odn_reset=;") || !strings.Contains(ck, "Max-Age=0") {
		t.Errorf("the token's cookie is not cleared after the reset: %q", ck)
	}
	// The reset logged the member in.
	if res := e.get(c, "/account"); res.StatusCode != http.StatusOK {
		t.Errorf("the account page after the reset: %d", res.StatusCode)
	}

	if res := e.postForm(e.client(), "/login", url.Values{"username": {"ann"}, "password": {testPassword}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password: %d", res.StatusCode)
	}
	if res := e.postForm(e.client(), "/login", url.Values{"username": {"ann"}, "password": {"a brand new password"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the new password: %d", res.StatusCode)
	}
	if res := e.get(old, "/account"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a session from before the reset: %d", res.StatusCode)
	}
	// Once only.
	if res := e.get(c, path); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the used link: %d", res.StatusCode)
	}
	if res := e.get(c, "/password/reset"); res.StatusCode != http.StatusGone || !strings.Contains(readBody(res), `href="/password/forgot"`) {
		t.Errorf("the used link's page: %d", res.StatusCode)
	}
	e.get(c, path) // its token in the cookie again
	res = e.postForm(c, "/password/reset", url.Values{"new_password": {"yet another password"}, "password_confirm": {"yet another password"}})
	if res.StatusCode != http.StatusGone {
		t.Errorf("the used link, posted: %d", res.StatusCode)
	}
}

// TestPasswordResetLetsAThrottledOwnerIn: a guesser who keeps the name's
// log-ins throttled does not keep its owner out: the e-mailed link sets
// the password and logs in, and the session outlives further guessing.
func TestPasswordResetLetsAThrottledOwnerIn(t *testing.T) {
	e, m := newMailEnv(t)
	ctx := context.Background()
	if _, err := e.Store.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "ann@example.org", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	throttle := func() {
		t.Helper()
		for range models.MaxLoginFailures {
			e.Store.Authenticate(ctx, "ann", "guess guess guess") //nolint:errcheck // counted
		}
		if _, err := e.Store.Authenticate(ctx, "ann", testPassword); !errors.Is(err, models.ErrThrottled) {
			t.Fatalf("not throttled: %v", err)
		}
	}
	throttle()
	c := e.client()
	e.postForm(c, "/password/forgot", url.Values{"name_or_email": {"ann"}})
	e.Server.Wait()
	if len(m.mails()) != 1 {
		t.Fatalf("%d e-mails, want 1", len(m.mails()))
	}
	e.get(c, strings.TrimPrefix(resetLinkRE.FindString(m.mails()[0].body), e.URL))
	res := e.postForm(c, "/password/reset", url.Values{"new_password": {"a brand new password"}, "password_confirm": {"a brand new password"}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/account?flash=") {
		t.Fatalf("reset: %d %q", res.StatusCode, loc)
	}
	throttle() // again, at once
	if res := e.get(c, "/account"); res.StatusCode != http.StatusOK {
		t.Fatalf("the owner's session after the reset: %d", res.StatusCode)
	}
}

// TestPasswordResetBadLinks: a made-up, missing or expired token gets the
// page saying so, with a link to ask again.
func TestPasswordResetBadLinks(t *testing.T) {
	e, m := newMailEnv(t)
	if _, err := e.Store.CreateAccount(context.Background(), models.NewAccount{Username: "ann", Email: "ann@example.org", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	e.postForm(c, "/password/forgot", url.Values{"name_or_email": {"ANN@example.org"}})
	e.Server.Wait()
	if len(m.mails()) != 1 || !strings.Contains(m.mails()[0].body, "Hello ann") {
		t.Fatalf("mails: %+v", m.mails())
	}
	expired := strings.TrimPrefix(resetLinkRE.FindString(m.mails()[0].body), e.URL)
	e.Now = e.Now.Add(models.PasswordResetValidity + time.Second)
	for _, path := range []string{"/password/reset?token=made-up", "/password/reset", expired} {
		if res := e.get(c, path); path != "/password/reset" && res.StatusCode != http.StatusSeeOther {
			t.Errorf("%s: %d, want 303", path, res.StatusCode)
		}
		res := e.get(c, "/password/reset")
		body := readBody(res)
		if res.StatusCode != http.StatusGone || !strings.Contains(body, "no longer works") || !strings.Contains(body, `href="/password/forgot"`) {
			t.Errorf("%s: %d\n%s", path, res.StatusCode, body)
		}
	}
	// The error summary names the field by its label (field.name_or_email).
	res := e.postForm(c, "/password/forgot", url.Values{"name_or_email": {"  "}})
	if body := readBody(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#f-name_or_email"`) ||
		!strings.Contains(body, "User name or e-mail address") || strings.Contains(body, "Name:") {
		t.Errorf("empty name: %d\n%s", res.StatusCode, body)
	}
}

// TestForgotPasswordWithoutMail: an instance that sends no e-mail sends
// members to its administrators, without a form.
func TestForgotPasswordWithoutMail(t *testing.T) {
	e := newEnv(t)
	e.user("ann", models.RoleMember)
	c := e.client()
	body := readBody(e.get(c, "/password/forgot"))
	if strings.Contains(body, `name="name_or_email"`) || !strings.Contains(body, "Ask the instance’s administrators") {
		t.Errorf("without e-mail:\n%s", body)
	}
	if res := e.postForm(c, "/password/forgot", url.Values{"name_or_email": {"ann"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("POST without e-mail: %d", res.StatusCode)
	}
}

// TestEmailChangeNeedsCurrentPassword: the account page's e-mail and the
// API's need the current password; the confirmed address, still in use,
// is told of a change, and the new one gets its confirmation link.
func TestEmailChangeNeedsCurrentPassword(t *testing.T) {
	e, m := newMailEnv(t)
	if _, err := e.Store.CreateAccount(context.Background(), models.NewAccount{Username: "ann", Email: "ann@example.org", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	c := e.loggedIn("ann")
	for _, tc := range []struct {
		name, password string
		status         int
	}{
		{"without", "", http.StatusUnprocessableEntity},
		{"wrong", "a wrong guess", http.StatusUnprocessableEntity},
		{"right", testPassword, http.StatusSeeOther},
	} {
		res := e.postForm(c, "/account/settings", url.Values{"email": {"ann@new.example"}, "locale": {""}, "email_current_password": {tc.password}})
		body := readBody(res)
		if res.StatusCode != tc.status {
			t.Fatalf("%s: %d", tc.name, res.StatusCode)
		}
		if tc.status == http.StatusUnprocessableEntity && (!strings.Contains(body, `href="#f-email_current_password"`) ||
			!strings.Contains(body, `id="f-email_current_password"`) || strings.Contains(body, `href="#f-current_password"`)) {
			t.Errorf("%s: the error is not on the e-mail form's password field:\n%s", tc.name, body)
		}
	}
	e.Server.Wait()
	told := func(mails []sentMail, to, text string) bool {
		for _, m := range mails {
			if m.to == to && strings.Contains(m.body, text) {
				return true
			}
		}
		return false
	}
	if mails := m.mails(); len(mails) != 2 || !told(mails, "ann@example.org", "was just given") || !told(mails, "ann@new.example", "/email/confirm?token=") {
		t.Errorf("notice to the confirmed address and link to the new one: %+v", mails)
	}

	tok := e.token("ann")
	var refused struct{ Fields map[string]string }
	if res := e.api("PATCH", "/api/v1/account", tok, map[string]string{"email": "x@example.org"}, &refused); res.StatusCode != http.StatusUnprocessableEntity ||
		refused.Fields["current_password"] == "" {
		t.Errorf("PATCH without current_password: %d %v", res.StatusCode, refused.Fields)
	}
	if res := e.api("PATCH", "/api/v1/account", tok, map[string]string{"email": "x@example.org", "current_password": "nope nope nope"}, &refused); res.StatusCode != http.StatusUnprocessableEntity ||
		refused.Fields["current_password"] == "" {
		t.Errorf("PATCH with a wrong current_password: %d %v", res.StatusCode, refused.Fields)
	}
	var got struct {
		Email   string
		Pending string `json:"pending_email"`
	}
	if res := e.api("PATCH", "/api/v1/account", tok, map[string]string{"email": "x@example.org", "current_password": testPassword}, &got); res.StatusCode != http.StatusOK ||
		got.Email != "ann@example.org" || got.Pending != "x@example.org" {
		t.Errorf("PATCH with current_password: %d %+v", res.StatusCode, got)
	}
	e.Server.Wait()
	if mails := m.mails(); len(mails) != 4 || !told(mails[2:], "ann@example.org", "was just given") || !told(mails[2:], "x@example.org", "/email/confirm?token=") {
		t.Errorf("notice of the API's change: %+v", mails)
	}
}

// blockingMailer holds every e-mail until release is closed, or fails
// them all with err.
type blockingMailer struct {
	captureMailer
	release chan struct{}
	err     error
}

func (m *blockingMailer) SendMail(ctx context.Context, to, subject, body string) error {
	if m.err != nil {
		return fmt.Errorf("%w: 550 <%s>: user unknown", m.err, strings.ToUpper(to)) // as servers echo it
	}
	select {
	case <-m.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return m.captureMailer.SendMail(ctx, to, subject, body)
}

// TestResetMailsBoundedAndLogged: the answers do not wait for the mail
// server: the e-mails are queued after them and the outbox worker
// (RunMail, woken by each queueing) sends them once the server answers;
// a failed send is logged with the account's name, never the address,
// and kept for a retry without the address in its error either.
func TestResetMailsBoundedAndLogged(t *testing.T) {
	for _, failing := range []bool{false, true} {
		m := &blockingMailer{release: make(chan struct{})}
		if failing {
			m.err = errors.New("smtp: 451 try later")
		}
		var logs syncBuffer
		e := newEnvOn(t, "sqlite", func(o *web.Options) {
			o.Mailer = m
			o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		})
		const requests = 9 // within the log-in's 10 a minute
		for i := range requests {
			name := fmt.Sprintf("member%d", i)
			if _, err := e.Store.CreateAccount(context.Background(), models.NewAccount{Username: name, Email: name + "@example.org", Password: testPassword}); err != nil {
				t.Fatal(err)
			}
		}
		c := e.client()
		if failing {
			for i := range requests {
				if res := e.postForm(c, "/password/forgot", url.Values{"name_or_email": {fmt.Sprintf("member%d", i)}}); res.StatusCode != http.StatusSeeOther {
					t.Fatalf("request %d: %d", i, res.StatusCode)
				}
				// One at a time: nine posted together could overlap past
				// the bound of background jobs and have one dropped.
				e.Server.Wait()
			}
			if n := strings.Count(logs.String(), `msg="send e-mail"`); n != requests || !strings.Contains(logs.String(), "451 try later") {
				t.Errorf("failed sends logged %d times, want %d:\n%s", n, requests, logs.String())
			}
			// The account, not the address the server echoed.
			if strings.Contains(strings.ToLower(logs.String()), "@example.org") || !strings.Contains(logs.String(), "to @member0") {
				t.Errorf("the failure logs carry an address, or no account name:\n%s", logs.String())
			}
			var errs []string
			if err := e.Store.DB.NewSelect().Table("mail_outbox").Column("last_error").Scan(context.Background(), &errs); err != nil || len(errs) != requests {
				t.Fatalf("%d e-mails kept for a retry, want %d (%v)", len(errs), requests, err)
			}
			for _, msg := range errs {
				if strings.Contains(strings.ToLower(msg), "@example.org") {
					t.Errorf("the outbox keeps the address in the error %q", msg)
				}
			}
			continue
		}
		ctx, stop := context.WithCancel(context.Background())
		worker := make(chan struct{})
		go func() { e.Server.RunMail(ctx); close(worker) }()
		start := time.Now()
		const sent = 4 // within the bound of background jobs, posted together
		for i := range sent {
			if res := e.postForm(c, "/password/forgot", url.Values{"name_or_email": {fmt.Sprintf("member%d", i)}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("request %d: %d", i, res.StatusCode)
			}
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("the answers waited for the mail server: %v", d)
		}
		close(m.release)
		for deadline := time.Now().Add(10 * time.Second); len(m.mails()) < sent && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		stop()
		<-worker
		if n := len(m.mails()); n != sent {
			t.Errorf("%d e-mails sent by the worker, want %d", n, sent)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the background senders' logs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
