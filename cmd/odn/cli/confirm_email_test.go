package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestAdminUserConfirmEmail: the operator confirms a member's address
// awaiting its link (an instance without e-mail), which then becomes the
// account's, written to the audit log; a member without one, or an
// unknown name, is an error.
func TestAdminUserConfirmEmail(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, dir, "correct horse battery\n", "admin", "user", "create", "alice", "--email", "alice@example.org", "--password-stdin"); code != 0 {
		t.Fatal(errOut)
	}
	ctx := context.Background()
	st, err := models.Open(ctx, "sqlite://"+filepath.Join(dir, "odn.db"), models.WithFastPasswordHashing())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if alice, err := st.AccountByUsername(ctx, "alice"); err != nil || alice.Email != "alice@example.org" || alice.PendingEmail != "" {
		t.Fatalf("an operator's account's address is taken as confirmed: %+v %v", alice, err)
	}
	if _, err := st.SignUp(ctx, models.NewAccount{Username: "bob", Email: "bob@example.org", Password: "correct horse battery"}, ""); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, dir, "", "admin", "user", "confirm-email", "bob")
	if code != 0 || !strings.Contains(out, "bob's e-mail address bob@example.org is confirmed") {
		t.Fatalf("confirm: exit %d, %q %q", code, out, errOut)
	}
	if bob, err := st.AccountByUsername(ctx, "bob"); err != nil || bob.Email != "bob@example.org" || bob.PendingEmail != "" {
		t.Errorf("confirmed: %+v %v", bob, err)
	}
	log, err := st.AuditLog(ctx, 1)
	if err != nil || len(log) != 1 || log[0].Action != "confirm_email" || log[0].TargetID != "bob" || log[0].AccountID != nil {
		t.Errorf("audit: %+v %v", log, err)
	}
	for _, name := range []string{"bob", "nobody"} {
		if code, _, errOut := runCLI(t, dir, "", "admin", "user", "confirm-email", name); code == 0 || !strings.Contains(errOut, name) {
			t.Errorf("confirm %s: exit %d, %q", name, code, errOut)
		}
	}
}
