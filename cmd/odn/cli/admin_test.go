package cli

import (
	"strings"
	"testing"
)

// TestAdminCreateWarnsDefaultBaseURL: users and spaces created without the
// server's base URL get http://localhost:8080 ids for ever; say so.
func TestAdminCreateWarnsDefaultBaseURL(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"admin", "user", "create", "alice", "--password-stdin"},
		{"admin", "space", "create", "lyon", "--kind", "city", "--title", "Lyon"},
	} {
		code, _, errOut := runCLI(t, dir, "correct horse battery\n", args...)
		if code != 0 || !strings.Contains(errOut, "warning:") || !strings.Contains(errOut, "http://localhost:8080") || !strings.Contains(errOut, "--base-url") {
			t.Errorf("%v: exit %d stderr %q", args, code, errOut)
		}
	}
	for _, args := range [][]string{
		{"admin", "user", "create", "bob", "--password-stdin", "--base-url", "https://city.example"},
		{"admin", "space", "create", "paris", "--kind", "city", "--title", "Paris", "--base-url", "https://city.example"},
	} {
		if code, _, errOut := runCLI(t, dir, "correct horse battery\n", args...); code != 0 || errOut != "" {
			t.Errorf("%v: exit %d stderr %q", args, code, errOut)
		}
	}
}
