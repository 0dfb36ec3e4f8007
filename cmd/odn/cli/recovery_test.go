package cli

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/VictoriaMetrics/metrics"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestAdminUserPassword: the operator sets a forgetful member's password,
// generated and printed or read from standard input; the member's
// sessions end, the wrong-password lock is lifted, the audit log says so;
// the usual rules apply.
func TestAdminUserPassword(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, dir, "correct horse battery\n", "admin", "user", "create", "alice", "--password-stdin"); code != 0 {
		t.Fatal(errOut)
	}
	ctx := context.Background()
	st, err := models.Open(ctx, "sqlite://"+filepath.Join(dir, "odn.db"), models.WithFastPasswordHashing())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	acc, err := st.AccountByUsername(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := st.CreateSession(ctx, acc, "Browser")
	if err != nil {
		t.Fatal(err)
	}
	for range models.MaxLoginFailures {
		st.Authenticate(ctx, "alice", "wrong guess") //nolint:errcheck // locking her out
	}

	code, out, errOut := runCLI(t, dir, "", "admin", "user", "password", "alice")
	generated := regexp.MustCompile(`(?m)^password: (\S+)$`).FindStringSubmatch(out)
	if code != 0 || generated == nil || !strings.Contains(out, "alice has a new password") {
		t.Fatalf("generated: exit %d, %q %q", code, out, errOut)
	}
	if _, err := st.Authenticate(ctx, "alice", generated[1]); err != nil {
		t.Errorf("the generated password (the lock lifted): %v", err)
	}
	if _, err := st.SessionAccount(ctx, sess); !errors.Is(err, models.ErrUnauthorized) {
		t.Errorf("a session from before: %v", err)
	}
	if code, out, errOut := runCLI(t, dir, "a chosen new password\n", "admin", "user", "password", "alice", "--password-stdin"); code != 0 ||
		strings.Contains(out, "password: ") {
		t.Fatalf("--password-stdin: exit %d, %q %q", code, out, errOut)
	}
	if _, err := st.Authenticate(ctx, "alice", "a chosen new password"); err != nil {
		t.Errorf("the chosen password: %v", err)
	}
	if log, err := st.AuditLog(ctx, 1); err != nil || len(log) != 1 || log[0].Action != "set_password" || log[0].TargetID != "alice" {
		t.Errorf("audit: %+v %v", log, err)
	}
	// A disabled account gets its password and is told to stay disabled.
	if code, out, errOut := runCLI(t, dir, "", "admin", "user", "disable", "alice"); code != 0 {
		t.Fatalf("disable: exit %d %q %q", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, dir, "", "admin", "user", "password", "alice"); code != 0 ||
		!strings.Contains(out, "alice stays disabled and cannot log in: odn admin user enable alice") {
		t.Errorf("password of a disabled account: exit %d, %q %q", code, out, errOut)
	}
	for _, tc := range []struct {
		stdin   string
		args    []string
		code    int
		errPart string
	}{
		{"short\n", []string{"alice", "--password-stdin"}, 1, "password"},
		{"", []string{"nobody"}, 1, "not found"},
		{"", nil, 2, "exactly one user name"},
	} {
		args := append([]string{"admin", "user", "password"}, tc.args...)
		if code, _, errOut := runCLI(t, dir, tc.stdin, args...); code != tc.code || !strings.Contains(errOut, tc.errPart) {
			t.Errorf("%v: exit %d %q, want %d %q", tc.args, code, errOut, tc.code, tc.errPart)
		}
	}
}

// TestResetMailThroughSMTP: with --smtp, the forgotten password form of
// the wired instance sends the link through the real mailer to a real
// SMTP server, in the account's language, with CRLF lines.
func TestResetMailThroughSMTP(t *testing.T) {
	ctx := context.Background()
	ms := newMailServer(t)
	st := dbtest.SQLite(t)
	if _, err := st.CreateAccount(ctx, models.NewAccount{Username: "ana", Email: "ana@example.org", Password: "long enough password", Locale: "fr"}); err != nil {
		t.Fatal(err)
	}
	cfg := &Config{SMTP: "smtp://u:p@" + ms.addr, BaseURL: "https://town.example", Data: t.TempDir()}
	a, err := newApp(ctx, cfg, Env{Version: "test"}, st, slog.New(slog.DiscardHandler), metrics.NewSet())
	if err != nil {
		t.Fatal(err)
	}
	post := func(name string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/password/forgot", strings.NewReader(url.Values{"name_or_email": {name}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, req)
		return rec
	}
	unknown, known := post("nobody"), post("ana")
	if unknown.Code != http.StatusSeeOther || unknown.Code != known.Code || unknown.Header().Get("Location") != known.Header().Get("Location") {
		t.Fatalf("answers: %d %q / %d %q", unknown.Code, unknown.Header().Get("Location"), known.Code, known.Header().Get("Location"))
	}
	a.mail(context.Background())
	got := ms.received()
	if len(got) != 1 {
		t.Fatalf("%d messages, want 1", len(got))
	}
	m := got[0]
	if m.to != "ana@example.org" || m.from != "odn@town.example" ||
		!strings.Contains(m.data, "Subject: Choisir un nouveau mot de passe sur ") ||
		!regexp.MustCompile(`\r\nhttps://town\.example/password/reset\?token=[A-Za-z0-9_-]{43}\r\n`).MatchString(m.data) ||
		!strings.Contains(m.data, "Bonjour ana,\r\n") || strings.Contains(strings.ReplaceAll(m.data, "\r\n", ""), "\n") {
		t.Errorf("message to %s from %s:\n%q", m.to, m.from, m.data)
	}
}
