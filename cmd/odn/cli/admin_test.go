package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
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

// TestServeRefusesOtherMintedBaseURL: a database whose accounts were
// created under https://city.example is not served under another domain.
func TestServeRefusesOtherMintedBaseURL(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, dir, "correct horse battery\n", "admin", "user", "create", "alice", "--password-stdin", "--base-url", "https://city.example"); code != 0 {
		t.Fatal(errOut)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := Run(ctx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--base-url", "https://other.example"},
		Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != 2 || !strings.Contains(errb.String(), "minted under https://city.example") {
		t.Fatalf("exit %d %q", code, errb.String())
	}
}
