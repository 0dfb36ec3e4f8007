package cli

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// runCLI runs one command against the data directory dir and returns its
// exit code, stdout and stderr.
func runCLI(t *testing.T, dir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Version: "test",
		Getenv: func(k string) string {
			if k == "ODN_DATA" {
				return dir
			}
			return ""
		}}
	code := Run(context.Background(), args, env)
	return code, out.String(), errb.String()
}

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	steps := []struct {
		args    []string
		stdin   string
		code    int
		out     string
		errPart string
	}{
		{args: []string{"admin", "user", "create", "alice", "--password-stdin", "--admin"}, stdin: "correct horse battery\n", code: 0, out: "created user alice (admin)"},
		{args: []string{"admin", "user", "create", "bob"}, code: 0, out: "password: "},
		{args: []string{"admin", "user", "create", "alice", "--password-stdin"}, stdin: "correct horse battery\n", code: 1, errPart: "already taken"},
		{args: []string{"admin", "user", "create", "admin", "--password-stdin"}, stdin: "correct horse battery\n", code: 1, errPart: "reserved"},
		{args: []string{"admin", "user", "create", "carol", "--password-stdin"}, stdin: "short\n", code: 1, errPart: "password"},
		{args: []string{"admin", "user", "create"}, code: 2, errPart: "exactly one user name"},
		{args: []string{"admin", "user", "list"}, code: 0, out: "alice"},
		{args: []string{"admin", "user", "promote", "bob", "--role", "moderator"}, code: 0, out: "bob is now moderator"},
		{args: []string{"admin", "user", "promote", "bob", "--role", "emperor"}, code: 1, errPart: "role"},
		{args: []string{"admin", "user", "promote", "nobody"}, code: 1, errPart: "not found"},
		{args: []string{"admin", "user", "decider", "bob"}, code: 0, out: "decider=true"},
		{args: []string{"admin", "user", "disable", "bob", "--reason", "spam"}, code: 0, out: "bob is disabled"},
		{args: []string{"admin", "user", "disable", "bob"}, code: 0, out: "bob is already disabled"},
		{args: []string{"admin", "user", "disable", "nobody"}, code: 1, errPart: "not found"},
		{args: []string{"admin", "space", "create", "lyon", "--kind", "city", "--title", "Lyon"}, code: 0, out: "created space lyon"},
		{args: []string{"admin", "space", "create", "lyon", "--kind", "city"}, code: 1, errPart: "already taken"},
		{args: []string{"admin", "space", "create", "alice", "--kind", "city"}, code: 1, errPart: "already taken"},
		{args: []string{"admin", "space", "create", "paris", "--kind", "kingdom"}, code: 1, errPart: "kind"},
		{args: []string{"admin", "space", "create", "api", "--kind", "city"}, code: 1, errPart: "reserved"},
		{args: []string{"admin", "space", "list"}, code: 0, out: "lyon"},
		{args: []string{"admin", "token", "create", "--user", "alice"}, code: 0, out: "odn_"},
		{args: []string{"admin", "token", "create", "--user", "ghost"}, code: 1, errPart: "not found"},
		{args: []string{"admin", "token", "create"}, code: 2, errPart: "--user is required"},
		{args: []string{"admin", "castle", "build"}, code: 2, errPart: "unknown admin group"},
		{args: []string{"migrate", "status"}, code: 0, out: "applied"},
		{args: []string{"migrate", "sideways"}, code: 2, errPart: "unknown migrate action"},
		{args: []string{"version"}, code: 0, out: "odn test"},
		{args: []string{"frobnicate"}, code: 2, errPart: "unknown command"},
	}
	for _, s := range steps {
		code, out, errOut := runCLI(t, dir, s.stdin, s.args...)
		if code != s.code {
			t.Fatalf("%v: exit %d, want %d (stderr %q)", s.args, code, s.code, errOut)
		}
		if s.out != "" && !strings.Contains(out, s.out) {
			t.Errorf("%v: stdout %q lacks %q", s.args, out, s.out)
		}
		if s.errPart != "" && (!strings.Contains(errOut, s.errPart) || strings.Count(strings.TrimSpace(errOut), "\n") != 0) {
			t.Errorf("%v: stderr %q should be one line containing %q", s.args, errOut, s.errPart)
		}
	}
	// Nothing was written by the failed commands.
	_, out, _ := runCLI(t, dir, "", "admin", "user", "list")
	if strings.Count(out, "\n") != 3 { // header + alice + bob
		t.Fatalf("unexpected accounts:\n%s", out)
	}
	_, out, _ = runCLI(t, dir, "", "admin", "space", "list")
	if strings.Count(out, "\n") != 2 {
		t.Fatalf("unexpected spaces:\n%s", out)
	}
}

func TestInvalidConfiguration(t *testing.T) {
	dir := t.TempDir()
	cases := [][]string{
		{"serve", "--db", "mysql://x"},
		{"serve", "--db", "sqlite://"},
		{"serve", "--addr", "bogus"},
		{"serve", "--addr", ":99999"},
		{"serve", "--addr", "127.0.0.1:http"},
		{"serve", "--addr", ""},
		{"serve", "extra"},
		{"serve", "--addr", ":8080", "now"},
		{"serve", "--db", "sqlite:"},
		{"admin", "user", "list", "--db", "sqlite://"},
		{"admin", "space", "create", "lyon", "--kind", "city", "--db", "sqlite://?_pragma=foo"},
		{"migrate", "up", "--db", "sqlite://"},
		{"serve", "--base-url", "ftp://x"},
		{"serve", "--base-url", "http://city.example"},
		{"serve", "--base-url", "https://city.example/path"},
		{"serve", "--log-level", "loud"},
		{"serve", "--no-such-flag"},
		{"serve", "--trusted-proxies", "10.0.0.0/8,proxy.example"},
	}
	for _, args := range cases {
		code, _, errOut := runCLI(t, dir, "", args...)
		if code != 2 || errOut == "" {
			t.Errorf("%v: exit %d stderr %q, want 2 and a message", args, code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "odn.db")); err == nil {
		t.Error("a refused configuration opened (and migrated) the database")
	}
	var out, errb bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		return map[string]string{"ODN_DATA": dir, "ODN_DEMO": "perhaps"}[k]
	}}
	if code := Run(context.Background(), []string{"serve"}, env); code != 2 || !strings.Contains(errb.String(), "ODN_DEMO") {
		t.Fatalf("bad env twin: exit %d %q", code, errb.String())
	}
}

// TestServeStartsFastAndStops starts a real instance on an empty SQLite
// database, checks /readyz, then stops it gracefully.
func TestServeStartsFastAndStops(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	start := time.Now()
	var errb bytes.Buffer
	go func() {
		done <- Run(ctx, []string{"serve", "--data", dir, "--base-url", "http://" + ln.Addr().String()},
			Env{Stdout: &bytes.Buffer{}, Stderr: &errb, Listener: ln, Ready: func(a string) { ready <- a }})
	}()
	select {
	case <-ready:
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, errb.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	elapsed := time.Since(start)
	t.Logf("cold start on an empty SQLite database: %v", elapsed)
	res, err := http.Get("http://" + ln.Addr().String() + "/readyz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", err, res)
	}
	res.Body.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := filepath.Glob(filepath.Join(dir, "odn.db")); err != nil {
		t.Fatal(err)
	}
}

// TestUnlockLogin: the operator lets a throttled name log in at once.
func TestUnlockLogin(t *testing.T) {
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
	for range models.MaxLoginFailures {
		st.Authenticate(ctx, "alice", "wrong guess") //nolint:errcheck // counted
	}
	if _, err := st.Authenticate(ctx, "alice", "correct horse battery"); !errors.Is(err, models.ErrThrottled) {
		t.Fatalf("not throttled: %v", err)
	}
	for _, want := range []string{"alice may log in again", "alice had no failed log-ins counted"} {
		if code, out, errOut := runCLI(t, dir, "", "admin", "user", "unlock", "alice"); code != 0 || !strings.Contains(out, want) {
			t.Fatalf("unlock: exit %d, %q %q; want %q", code, out, errOut, want)
		}
	}
	if _, err := st.Authenticate(ctx, "alice", "correct horse battery"); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	if code, _, errOut := runCLI(t, dir, "", "admin", "user", "unlock"); code != 2 || !strings.Contains(errOut, "exactly one user name") {
		t.Fatalf("no name: exit %d %q", code, errOut)
	}
}

// TestParseProxies: --trusted-proxies takes CIDRs and bare addresses,
// separated by commas or spaces.
func TestParseProxies(t *testing.T) {
	cases := []struct {
		in   string
		want string // the prefixes, comma-separated; "error" when refused
	}{
		{"", ""},
		{"127.0.0.1", "127.0.0.1/32"},
		{"10.1.2.3/8, ::1", "10.0.0.0/8,::1/128"},
		{"::ffff:192.0.2.1 fd00::/8", "192.0.2.1/32,fd00::/8"},
		{"proxy.example", "error"},
		{"10.0.0.0/33", "error"},
	}
	for _, tc := range cases {
		got, err := parseProxies(tc.in)
		s := make([]string, len(got))
		for i, p := range got {
			s[i] = p.String()
		}
		if err != nil {
			s = []string{"error"}
		}
		if strings.Join(s, ",") != tc.want {
			t.Errorf("parseProxies(%q) = %v, want %s", tc.in, s, tc.want)
		}
	}
}
