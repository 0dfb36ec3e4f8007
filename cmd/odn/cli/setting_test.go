package cli

import (
	"strings"
	"testing"
)

// TestAdminSettingKnownKeys: a typo is refused with the known keys, and a
// known key without a stored value prints its effective default.
func TestAdminSettingKnownKeys(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, dir, "", "admin", "setting", "set", "registraton", "closed")
	if code != 1 || strings.Contains(out, "set") || !strings.Contains(errOut, "registration, instance_name, rules") {
		t.Fatalf("typo: exit %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, dir, "", "admin", "setting", "get", "registraton"); code != 1 || !strings.Contains(errOut, "unknown setting") {
		t.Fatalf("get typo: exit %d %q", code, errOut)
	}
	for key, want := range map[string]string{"registration": "open\n", "instance_name": "localhost\n", "rules": "\n"} {
		if code, out, errOut := runCLI(t, dir, "", "admin", "setting", "get", key); code != 0 || out != want {
			t.Errorf("get %s: exit %d %q %q, want %q", key, code, out, errOut, want)
		}
	}
	if code, out, errOut := runCLI(t, dir, "", "admin", "setting", "set", "registration", "closed"); code != 0 || !strings.Contains(out, "registration set") {
		t.Fatalf("set: exit %d %q %q", code, out, errOut)
	}
	if code, out, _ := runCLI(t, dir, "", "admin", "setting", "get", "registration"); code != 0 || out != "closed\n" {
		t.Fatalf("get after set: %q", out)
	}
}
