package web_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web"
)

// scriptedMailer fails its first sends with errs, in order, then sends.
type scriptedMailer struct {
	captureMailer
	mu    sync.Mutex
	errs  []error
	calls int
}

func (m *scriptedMailer) SendMail(ctx context.Context, to, subject, body string) error {
	m.mu.Lock()
	m.calls++
	var err error
	if len(m.errs) > 0 {
		err, m.errs = m.errs[0], m.errs[1:]
	}
	m.mu.Unlock()
	if err != nil {
		return err
	}
	return m.captureMailer.SendMail(ctx, to, subject, body)
}

func (m *scriptedMailer) attempts() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

// TestResetMailRetried: a reset link's e-mail waits in the outbox until
// the mail server takes it: a temporary failure (a 4xx, a connection
// refused, an authentication failure, odn's own configuration) is tried
// again after its backoff, and the link then arrives and works; a
// permanent refusal (5xx) is not tried again; an e-mail still unsent
// when its link expires is dropped. Nothing of it is kept after.
func TestResetMailRetried(t *testing.T) {
	temp := &textproto.Error{Code: 451, Msg: "4.3.0 try later"}
	refused := errors.New("dial tcp 127.0.0.1:25: connect: connection refused")
	for _, tc := range []struct {
		name    string
		errs    []error
		waits   []time.Duration // clock moves before each Wait (the first's is 0)
		calls   int             // sends tried
		sent    bool
		wantLog string
	}{
		{"temporary, then sent", []error{temp, refused}, []time.Duration{0, 30 * time.Second, time.Minute}, 3, true, `msg="send e-mail"`},
		{"not due before its backoff", []error{temp}, []time.Duration{0, 29 * time.Second}, 1, false, "retry_in=30s"},
		{"authentication failed, retried", []error{&textproto.Error{Code: 535, Msg: "5.7.8 bad credentials"}}, []time.Duration{0, 30 * time.Second}, 2, true, "535"},
		{"recipient refused for good", []error{fmt.Errorf("%w: %w", web.ErrRecipientRefused, &textproto.Error{Code: 550, Msg: "5.1.1 user unknown"})},
			[]time.Duration{0, time.Minute, time.Hour}, 1, false, "refused, not retried"},
		{"sender refused: odn's setup, retried", []error{&textproto.Error{Code: 553, Msg: "5.7.1 sender not owned"}}, []time.Duration{0, 30 * time.Second}, 2, true, "553"},
		{"expired unsent", []error{temp}, []time.Duration{0, models.PasswordResetValidity}, 1, false, "expired unsent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &scriptedMailer{errs: tc.errs}
			var logs syncBuffer
			e := newEnvOn(t, "sqlite", func(o *web.Options) {
				o.Mailer = m
				o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			})
			ctx := context.Background()
			if _, err := e.Store.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "ann@example.org", Password: testPassword}); err != nil {
				t.Fatal(err)
			}
			c := e.client()
			asked := e.Now
			if res := e.postForm(c, "/password/forgot", url.Values{"name_or_email": {"ann"}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("forgot: %d", res.StatusCode)
			}
			for i, d := range tc.waits {
				if i > 0 { // after the first Wait: the request's job reads the clock
					e.Now = e.Now.Add(d)
				}
				e.Server.Wait()
				if i == 0 && len(tc.waits) > 1 && tc.calls > 1 {
					// Kept for a retry, no longer than the link works.
					var left []models.Mail
					if err := e.Store.DB.NewSelect().Model(&left).Scan(ctx); err != nil || len(left) != 1 ||
						!left[0].ExpiresAt.Equal(asked.Add(models.PasswordResetValidity).Truncate(time.Microsecond)) {
						t.Fatalf("after a temporary failure: %+v %v", left, err)
					}
				}
			}
			if got := m.attempts(); got != tc.calls {
				t.Errorf("%d sends tried, want %d", got, tc.calls)
			}
			mails := m.mails()
			if tc.sent != (len(mails) == 1) || len(mails) > 1 {
				t.Fatalf("%d e-mails arrived, want sent=%v", len(mails), tc.sent)
			}
			if !strings.Contains(logs.String(), tc.wantLog) || strings.Contains(logs.String(), "ann@example.org") {
				t.Errorf("logs lack %q, or name the address:\n%s", tc.wantLog, logs.String())
			}
			if n, err := e.Store.DB.NewSelect().Model((*models.Mail)(nil)).Count(ctx); err != nil || (n != 0) != (tc.name == "not due before its backoff") {
				t.Errorf("%d e-mails left in the outbox (%v)", n, err)
			}
			if !tc.sent {
				return
			}
			link := resetLinkRE.FindString(mails[0].body)
			if res := e.get(c, strings.TrimPrefix(link, e.URL)); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("the retried link: %d", res.StatusCode)
			}
			if res := e.get(c, "/password/reset"); res.StatusCode != http.StatusOK {
				t.Errorf("the retried link's form: %d", res.StatusCode)
			}
		})
	}
}

// TestEmailChangeNoticeQueued: the notice to the address being replaced
// and the new address's confirmation link go through the outbox: with
// the mail server down they wait, the link for as long as it works (a
// day), the notice MailLifetime, and go once it answers.
func TestEmailChangeNoticeQueued(t *testing.T) {
	down := &textproto.Error{Code: 421, Msg: "4.3.2 service not available"}
	m := &scriptedMailer{errs: []error{down, down}}
	e := newEnvOn(t, "sqlite", func(o *web.Options) { o.Mailer = m })
	ctx := context.Background()
	if _, err := e.Store.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "ann@example.org", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	c := e.loggedIn("ann")
	if res := e.postForm(c, "/account/settings", url.Values{"email": {"ann@new.example"}, "locale": {""}, "email_current_password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d", res.StatusCode)
	}
	asked := e.Now.Truncate(time.Microsecond)
	e.Server.Wait()
	var left []models.Mail
	if err := e.Store.DB.NewSelect().Model(&left).Order("expires_at").Scan(ctx); err != nil || len(left) != 2 || len(m.mails()) != 0 ||
		!left[0].ExpiresAt.Equal(asked.Add(models.EmailConfirmationValidity)) || !left[1].ExpiresAt.Equal(asked.Add(models.MailLifetime)) {
		t.Fatalf("with the server down: %d sent, outbox %+v %v", len(m.mails()), left, err)
	}
	e.Now = e.Now.Add(30 * time.Second)
	e.Server.Wait()
	if mails := m.mails(); len(mails) != 2 || mailsTo(&m.captureMailer, "ann@example.org") == nil || mailsTo(&m.captureMailer, "ann@new.example") == nil {
		t.Errorf("once the server answers: %+v", mails)
	}
}

// TestAdminSeesMailOutbox: the administration page counts the e-mails
// waiting, and those among them that failed and wait for a retry; an
// instance without a mailer shows no such section.
func TestAdminSeesMailOutbox(t *testing.T) {
	m := &scriptedMailer{errs: []error{&textproto.Error{Code: 451, Msg: "4.3.0 try later"}}}
	e := newEnvOn(t, "sqlite", func(o *web.Options) { o.Mailer = m })
	ctx := context.Background()
	e.user("boss", models.RoleAdmin)
	for _, name := range []string{"ann", "bob"} {
		if _, err := e.Store.CreateAccount(ctx, models.NewAccount{Username: name, Email: name + "@example.org", Password: testPassword}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.client()
	e.postForm(c, "/password/forgot", url.Values{"name_or_email": {"ann"}})
	e.Server.Wait() // ann's fails: to retry
	e.postForm(c, "/password/forgot", url.Values{"name_or_email": {"bob"}})
	e.Server.Wait() // bob's is sent
	if err := e.Store.QueueMail(ctx, models.Mail{AccountID: 1, Username: "boss", Kind: "test", Address: "boss@example.org"}); err != nil {
		t.Fatal(err)
	}
	body := readBody(e.get(e.loggedIn("boss"), "/admin"))
	want := "<dt>Waiting to be sent (links expire unsent after an hour or a day, notices after three days)</dt><dd>2</dd>" +
		"<dt>Of which failed at least once, to be retried</dt><dd>1</dd>"
	if !strings.Contains(body, want) {
		t.Errorf("the admin page lacks the outbox's counts:\n%s", body)
	}
	plain := newEnvOn(t, "sqlite")
	plain.user("boss", models.RoleAdmin)
	if body := readBody(plain.get(plain.loggedIn("boss"), "/admin")); strings.Contains(body, `id="mail"`) {
		t.Error("an instance without a mailer shows the mail outbox")
	}
}

// TestSynthesisMailsThroughOutbox: when a consultation's synthesis is
// published, each contributor with an address is told once, in their
// language, with a link to the synthesis, through the outbox: a mail
// server answering a temporary error delays one, it loses none, and
// nobody is told twice.
func TestSynthesisMailsThroughOutbox(t *testing.T) {
	m := &scriptedMailer{errs: []error{&textproto.Error{Code: 451, Msg: "4.3.0 try later"}}}
	e := newEnvOn(t, "sqlite", func(o *web.Options) { o.Mailer = m })
	ctx := context.Background()
	mod, err := e.Store.CreateAccount(ctx, models.NewAccount{Username: "modo", Password: testPassword, Role: models.RoleModerator})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.CreateSpace(ctx, nil, models.SpaceInput{Name: "town", Kind: models.KindCity}); err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	c, err := e.Store.CreateConsultation(ctx, mod, "town", models.ConsultationInput{Title: "La place\ndu marché", Summary: "Quelle place ?",
		OpensAt: e.Now.Add(-2 * day), ContributionAt: e.Now.Add(-day), SynthesisAt: e.Now.Add(day), ClosesAt: e.Now.Add(10 * day)})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct{ name, locale string }{{"ana", "fr"}, {"ben", "en"}} {
		acc, err := e.Store.CreateAccount(ctx, models.NewAccount{Username: n.name, Password: testPassword, Email: n.name + "@example.org", Locale: n.locale})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Store.CreateProposal(ctx, acc.Actor, "town", models.ProposalInput{Title: "Des arbres " + n.name, Body: "De l’ombre.", Consultation: c.ID}); err != nil {
			t.Fatal(err)
		}
	}
	e.Now = e.Now.Add(2 * day) // the synthesis phase
	if _, err := e.Store.PublishSynthesis(ctx, mod, c.ID, "Des arbres, partout."); err != nil {
		t.Fatal(err)
	}
	e.Server.Wait()
	if got := len(m.mails()); got != 1 || m.attempts() != 2 {
		t.Fatalf("first round: %d sent of %d tried, want 1 of 2 (one refused for now)", got, m.attempts())
	}
	e.Now = e.Now.Add(time.Minute)
	e.Server.Wait()
	e.Server.Wait() // nothing left: nobody is told twice
	link := e.URL + "/consultations/" + strconv.FormatInt(c.ID, 10) + "#synthesis"
	for _, w := range []struct{ to, subject, hello string }{
		{"ana@example.org", "Synthèse publiée\u00a0: La place du marché", "Bonjour ana,"},
		{"ben@example.org", "Synthesis published: La place du marché", "Hello ben,"},
	} {
		got := mailsTo(&m.captureMailer, w.to)
		if len(got) != 1 || got[0].subject != w.subject || !strings.HasPrefix(got[0].body, w.hello) || !strings.Contains(got[0].body, link+"\n") {
			t.Errorf("to %s: %+v", w.to, got)
		}
	}
	if pending, err := e.Store.PendingSynthesisEmails(ctx, 100); err != nil || len(pending) != 0 {
		t.Errorf("still pending: %d %v", len(pending), err)
	}
	if n, err := e.Store.DB.NewSelect().Model((*models.Mail)(nil)).Count(ctx); err != nil || n != 0 {
		t.Errorf("%d e-mails left in the outbox (%v)", n, err)
	}
}

// TestQueuedLinkHoldsNoToken: a reset link's e-mail waits in the outbox
// without a usable token (a copy of the database gives no way into the
// account): its body holds models.LinkToken, and the token is minted as
// the e-mail is sent, each attempt replacing the one before. An e-mail
// whose link was used or expired meanwhile is dropped, not sent.
func TestQueuedLinkHoldsNoToken(t *testing.T) {
	down := &textproto.Error{Code: 421, Msg: "4.3.2 service not available"}
	for _, used := range []bool{false, true} {
		m := &scriptedMailer{errs: []error{down}}
		var logs syncBuffer
		e := newEnvOn(t, "sqlite", func(o *web.Options) { o.Mailer = m; o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
		ctx := context.Background()
		if _, err := e.Store.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "ann@example.org", Password: testPassword}); err != nil {
			t.Fatal(err)
		}
		c := e.client()
		if res := e.postForm(c, "/password/forgot", url.Values{"name_or_email": {"ann"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("forgot: %d", res.StatusCode)
		}
		e.Server.Wait() // refused for now: it waits
		var left []models.Mail
		if err := e.Store.DB.NewSelect().Model(&left).Scan(ctx); err != nil || len(left) != 1 {
			t.Fatalf("outbox: %+v %v", left, err)
		}
		if !strings.Contains(left[0].Body, "/password/reset?token="+models.LinkToken+"\n") || left[0].LinkKind != models.LinkReset || left[0].LinkID == 0 {
			t.Fatalf("queued body holds no placeholder, or no link: %+v", left[0])
		}
		if used {
			if _, err := e.Store.DB.NewUpdate().Table("password_resets").Set("used_at = ?", e.Now).Where("id = ?", left[0].LinkID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		e.Now = e.Now.Add(time.Minute)
		e.Server.Wait()
		mails := m.mails()
		if used {
			if len(mails) != 0 || !strings.Contains(logs.String(), "its link is no longer valid") {
				t.Errorf("a used link's e-mail: %d sent; logs:\n%s", len(mails), logs.String())
			}
		} else {
			link := resetLinkRE.FindString(mails[0].body)
			if len(mails) != 1 || strings.Contains(mails[0].body, models.LinkToken) || link == "" {
				t.Fatalf("sent: %+v", mails)
			}
			if res := e.get(c, strings.TrimPrefix(link, e.URL)); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("the minted link: %d", res.StatusCode)
			}
			if res := e.get(c, "/password/reset"); res.StatusCode != http.StatusOK {
				t.Errorf("the minted link's form: %d", res.StatusCode)
			}
		}
		if n, _ := e.Store.DB.NewSelect().Model((*models.Mail)(nil)).Count(ctx); n != 0 {
			t.Errorf("%d e-mails left", n)
		}
	}
}

// silentMailer is a mail server that never answers: SendMail returns
// when its context ends.
type silentMailer struct{}

func (silentMailer) SendMail(ctx context.Context, _, _, _ string) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestDrainGivesBackAtShutdown: at shutdown the server tries the due
// e-mails for its grace only (Drain): past it, the e-mail being sent is
// cut short and given back, neither leased to the stopped process nor
// counted as an attempt, so the next start sends it at once.
func TestDrainGivesBackAtShutdown(t *testing.T) {
	e := newEnvOn(t, "sqlite", func(o *web.Options) { o.Mailer = silentMailer{} })
	ctx := context.Background()
	if _, err := e.Store.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "ann@example.org", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	if res := e.postForm(e.client(), "/password/forgot", url.Values{"name_or_email": {"ann"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("forgot: %d", res.StatusCode)
	}
	grace, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	e.Server.Drain(grace)
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("Drain took %s past its grace", took)
	}
	var left []models.Mail
	if err := e.Store.DB.NewSelect().Model(&left).Scan(ctx); err != nil || len(left) != 1 {
		t.Fatalf("outbox: %+v %v", left, err)
	}
	if m := left[0]; m.LockedBy != "" || m.Attempts != 0 || m.NextAttemptAt.After(e.Now) {
		t.Errorf("after the grace: locked by %q, %d attempts, next at %s (now %s); want given back", m.LockedBy, m.Attempts, m.NextAttemptAt, e.Now)
	}
}
