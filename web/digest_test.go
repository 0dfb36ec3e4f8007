package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web"
)

// TestNotificationDigestMails: signers who turned the digest on in their
// settings receive, through the outbox, one e-mail in their language
// naming the petition's update with its absolute link and how to stop
// it; a signer who did not receives nothing; nothing more the same day,
// nor once the notifications are read; the settings page shows the box,
// explains it away without a confirmed address, and turns it off.
func TestNotificationDigestMails(t *testing.T) {
	m := &captureMailer{}
	e := newEnvOn(t, "sqlite", func(o *web.Options) { o.Mailer = m })
	ctx := context.Background()
	if _, err := e.Store.CreateSpace(ctx, nil, models.SpaceInput{Name: "ville", Kind: models.KindCity}); err != nil {
		t.Fatal(err)
	}
	author := e.user("autrice", models.RoleMember)
	if _, err := e.Store.CreateAccount(ctx, models.NewAccount{Username: "maire", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SetDecider(ctx, nil, "maire", true); err != nil {
		t.Fatal(err)
	}
	pe, err := e.Store.CreatePetition(ctx, author.Actor, "ville", models.PetitionInput{Title: "Un banc\ndevant l’école",
		Body: "Pour attendre.", Addressee: "maire", Goal: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct{ name, locale string }{{"ana", "fr"}, {"ben", "en"}, {"cyd", "fr"}} {
		acc, err := e.Store.CreateAccount(ctx, models.NewAccount{Username: s.name, Password: testPassword, Email: s.name + "@example.org", Locale: s.locale})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.Store.Sign(ctx, acc.Actor, pe.ID, false); err != nil {
			t.Fatal(err)
		}
	}
	// ana turns it on on the settings page, ben through the API; cyd not.
	ana := e.loggedIn("ana")
	page := body(t, e.get(ana, "/account"))
	if box := digestBoxRE.FindString(page); box == "" || strings.Contains(box, "checked") || strings.Contains(box, "disabled") ||
		!strings.Contains(page, `name="email_digest_shown"`) {
		t.Fatalf("settings page: the digest box is missing, ticked or unusable")
	}
	settings := url.Values{"email": {"ana@example.org"}, "email_shown": {"ana@example.org"}, "locale": {"fr"}, "email_digest_shown": {"1"}, "email_digest": {"true"}}
	if res := e.postForm(ana, "/account/settings", settings); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d", res.StatusCode)
	}
	if box := digestBoxRE.FindString(body(t, e.get(ana, "/account"))); !strings.Contains(box, "checked") {
		t.Errorf("the digest box is not ticked after turning it on")
	}
	if res := e.api("PATCH", "/api/v1/account", e.token("ben"), map[string]any{"email_digest": true}, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH email_digest: %d", res.StatusCode)
	}

	e.Now = e.Now.Add(time.Minute)
	if _, err := e.Store.PostPetitionUpdate(ctx, author.Actor, pe.ID, "Le conseil en parle jeudi."); err != nil {
		t.Fatal(err)
	}
	e.Now = e.Now.Add(time.Minute)
	e.Server.Wait()
	link := e.URL + "/pe/" + strconv.FormatInt(pe.ID, 10) + "\n"
	for _, w := range []struct{ to, subject, hello, line string }{
		{"ana@example.org", "1 nouvelle notification sur ", "Bonjour ana,", "- Des nouvelles de l’auteur·rice de la pétition « Un banc devant l’école »."},
		{"ben@example.org", "1 new notification on ", "Hello ben,", "- News from the author of the petition “Un banc devant l’école”."},
	} {
		got := mailsTo(m, w.to)
		if len(got) != 1 {
			t.Errorf("%d digests to %s, want 1", len(got), w.to)
			continue
		}
		b := got[0].body
		if !strings.HasPrefix(got[0].subject, w.subject) || !strings.HasPrefix(b, w.hello) ||
			!strings.Contains(strings.ReplaceAll(b, "\u00a0", " "), w.line+"\n  "+link) || !strings.Contains(b, e.URL+"/account#settings-title") {
			t.Errorf("digest to %s:\n%s\n%s", w.to, got[0].subject, b)
		}
	}
	if got := mailsTo(m, "cyd@example.org"); len(got) != 0 {
		t.Errorf("cyd did not ask and got %d e-mails", len(got))
	}

	// The same day, nothing more; the next day, nothing when all is read.
	e.Now = e.Now.Add(time.Hour)
	if _, err := e.Store.PostPetitionUpdate(ctx, author.Actor, pe.ID, "Reporté."); err != nil {
		t.Fatal(err)
	}
	e.Server.Wait()
	if res := e.postForm(ana, "/notifications/read", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("mark read: %d", res.StatusCode)
	}
	e.Now = e.Now.Add(24 * time.Hour)
	e.Server.Wait()
	if n := len(mailsTo(m, "ana@example.org")); n != 1 {
		t.Errorf("ana got %d digests, want still 1", n)
	}
	if n := len(mailsTo(m, "ben@example.org")); n != 2 {
		t.Errorf("ben got %d digests, want 2 (the unread update the next day)", n)
	}

	// Turned off on the page: the box comes back unticked.
	delete(settings, "email_digest")
	if res := e.postForm(ana, "/account/settings", settings); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d", res.StatusCode)
	}
	if acc, err := e.Store.AccountByUsername(ctx, "ana"); err != nil || acc.EmailDigest {
		t.Errorf("digest still on after unticking: %v", err)
	}
	// Without a confirmed address the box is unusable and says why; a
	// form without the box leaves the choice alone.
	if _, err := e.Store.DB.NewRaw("UPDATE accounts SET email = '', pending_email = 'cyd@example.org' WHERE username = 'cyd'").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	page = body(t, e.get(e.loggedIn("cyd"), "/account"))
	if box := digestBoxRE.FindString(page); strings.Contains(page, `name="email_digest_shown"`) || !strings.Contains(box, " disabled") ||
		!strings.Contains(page, "confirmez-la") {
		t.Errorf("the box is usable without a confirmed address: %s", box)
	}
}

var digestBoxRE = regexp.MustCompile(`<input type="checkbox" id="f-email_digest"[^>]*>`)

// TestDigestBoxWithoutMailer: on an instance that sends no e-mail the
// digest box is unusable and says why, even with a confirmed address.
func TestDigestBoxWithoutMailer(t *testing.T) {
	e := newEnv(t)
	if _, err := e.Store.CreateAccount(context.Background(), models.NewAccount{Username: "ann", Password: testPassword, Email: "ann@example.org"}); err != nil {
		t.Fatal(err)
	}
	page := body(t, e.get(e.loggedIn("ann"), "/account"))
	if box := digestBoxRE.FindString(page); !strings.Contains(box, " disabled") || strings.Contains(page, `name="email_digest_shown"`) ||
		!strings.Contains(page, "cannot send you your notifications") {
		t.Errorf("the digest box is usable without a mailer: %s", box)
	}
}

// body reads a response's body.
func body(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
