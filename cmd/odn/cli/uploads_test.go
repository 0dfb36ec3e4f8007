package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
)

// TestAdminUploadsStrip: `odn admin uploads strip` removes in place the
// metadata of an image stored as sent by an older version, says what it
// did, and changes nothing on a second run; an image it cannot strip is
// named and the exit code is 1.
func TestAdminUploadsStrip(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := models.Open(ctx, "sqlite://"+filepath.Join(dir, "odn.db"), models.WithFastPasswordHashing(), models.WithDataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	mod, err := st.CreateAccount(ctx, models.NewAccount{Username: "modo", Password: "long enough password", Role: models.RoleModerator})
	if err != nil {
		t.Fatal(err)
	}
	sent, stripped := imagemetatest.JPEGWithMetadata(6)
	u, err := st.SaveUpload(ctx, mod, 1, "photo.jpg", bytes.NewReader(stripped))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	path := filepath.Join(dir, "uploads", u.Key[:2], u.Key)
	if err := os.WriteFile(path, sent, 0o640); err != nil { // as an older version stored it
		t.Fatal(err)
	}

	code, out, errOut := runCLI(t, dir, "", "admin", "uploads", "strip")
	if code != 0 || !strings.Contains(out, "1 images checked, 1 stripped") {
		t.Fatalf("strip: exit %d, %q %q", code, out, errOut)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, stripped) {
		t.Error("the stored image still holds its metadata")
	}
	if code, out, _ := runCLI(t, dir, "", "admin", "uploads", "strip"); code != 0 || !strings.Contains(out, "0 stripped") {
		t.Errorf("second run: exit %d, %q", code, out)
	}
	if err := os.WriteFile(path, sent[:len(sent)/2], 0o640); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, dir, "", "admin", "uploads", "strip"); code != 1 || !strings.Contains(errOut, "photo.jpg") {
		t.Errorf("a broken image: exit %d, %q; want 1 naming it", code, errOut)
	}
	if code, _, _ := runCLI(t, dir, "", "admin", "uploads", "strip", "extra"); code != 2 {
		t.Errorf("an argument: exit %d, want 2 (usage)", code)
	}
}
