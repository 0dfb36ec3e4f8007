package webtest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{
		"TestX/sub case":   "TestX_sub_case",
		"../../etc/passwd": "_.._etc_passwd",
		"":                 "page",
		"é":                "_",
	} {
		if got := fileName(in); got != want {
			t.Errorf("fileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFindIn(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "browser")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if got := findIn([]string{"/nonexistent/chrome", plain, "nothing-here", exe}); got != exe {
		t.Errorf("findIn = %q, want %q", got, exe)
	}
	if got := findIn([]string{"/nonexistent/chrome", "nothing-here"}); got != "" {
		t.Errorf("findIn = %q, want none", got)
	}
	if got := findIn([]string{"browser"}); got != exe {
		t.Errorf("findIn on PATH = %q, want %q", got, exe)
	}
}

func TestTailBuffer(t *testing.T) {
	var b tailBuffer
	big := make([]byte, tailMax+10)
	for i := range big {
		big[i] = 'a'
	}
	b.Write(big)
	b.Write([]byte("end"))
	if s := b.String(); len(s) != tailMax || s[len(s)-3:] != "end" {
		t.Errorf("tail of %d bytes ending %q", len(s), s[len(s)-3:])
	}
}
