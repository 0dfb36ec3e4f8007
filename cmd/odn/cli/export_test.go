package cli

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// seedCLI creates a space with a proposal and a closed debate in the data
// directory dir, through the store as the server would.
func seedCLI(t *testing.T, dir string) (debateID int64) {
	t.Helper()
	ctx := context.Background()
	st, err := models.Open(ctx, "sqlite://"+filepath.Join(dir, "odn.db"), models.WithFastPasswordHashing(), models.WithKeyGenerator(dbtest.KeyGen()))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	admin, err := st.CreateAccount(ctx, models.NewAccount{Username: "alice", Email: "alice@mail.example", Password: "correct horse battery", Role: models.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := st.CreateSpace(ctx, nil, models.SpaceInput{Name: "town", Kind: models.KindCity})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateProposal(ctx, admin.Actor, "town", models.ProposalInput{Title: "Plant trees", Body: "Shade."}); err != nil {
		t.Fatal(err)
	}
	d, err := st.CreateDebate(ctx, admin, sp, models.DebateInput{Question: "Market day?", Options: []string{"Saturday", "Sunday"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.OpenDebate(ctx, admin, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CastVote(ctx, admin.Actor, d.ID, []string{"Sunday"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CloseDebate(ctx, admin, d.ID); err != nil {
		t.Fatal(err)
	}
	return d.ID
}

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	seedCLI(t, dir)

	code, out, errOut := runCLI(t, dir, "", "export", "town", "--format", "json")
	if code != 0 {
		t.Fatalf("json: %d %s", code, errOut)
	}
	var e models.Export
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Proposals) != 1 || len(e.Debates) != 1 || e.Licence.ID != models.LicenceODbL {
		t.Errorf("json export: %+v", e)
	}
	if strings.Contains(out, "alice@mail.example") {
		t.Error("e-mail in the export")
	}

	code, out, errOut = runCLI(t, dir, "", "export", "town", "--format", "csv", "--table", "debate_options")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) != 3 || rows[2][2] != "Sunday" || rows[2][3] != "1" || rows[2][4] != models.LicenceODbL {
		t.Errorf("csv: %d %v %q %s", code, err, rows, errOut)
	}

	zipPath := filepath.Join(dir, "town.zip")
	if code, _, errOut := runCLI(t, dir, "", "export", "town", "--format", "zip", "--out", zipPath); code != 0 {
		t.Fatalf("zip: %s", errOut)
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 3+len(models.ExportTables) {
		t.Errorf("zip has %d files", len(zr.File))
	}
	zr.Close()

	csvDir := filepath.Join(dir, "csv")
	if code, _, errOut := runCLI(t, dir, "", "export", "town", "--format", "csv", "--out", csvDir); code != 0 {
		t.Fatalf("csv dir: %s", errOut)
	}
	if files, _ := os.ReadDir(csvDir); len(files) != len(models.ExportTables) {
		t.Errorf("csv dir has %d files", len(files))
	}

	for _, bad := range [][]string{
		{"export", "town", "--format", "xml"},
		{"export", "town", "--format", "csv"},
		{"export", "town", "--format", "csv", "--table", "accounts"},
		{"export", "town", "--item", "user:1"},
		{"export"},
	} {
		if code, _, _ := runCLI(t, dir, "", bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	if code, _, errOut := runCLI(t, dir, "", "export", "nowhere"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("unknown space: %d %s", code, errOut)
	}
}

func TestRecountCommand(t *testing.T) {
	dir := t.TempDir()
	id := seedCLI(t, dir)
	ids := strconv.FormatInt(id, 10)
	if code, out, errOut := runCLI(t, dir, "", "recount", ids); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("clean recount: %d %s %s", code, out, errOut)
	}
	// A published file recounts offline, and an edited one does not add up.
	exportPath := filepath.Join(dir, "export.json")
	if code, _, errOut := runCLI(t, dir, "", "export", "town", "--out", exportPath); code != 0 {
		t.Fatal(errOut)
	}
	if code, out, _ := runCLI(t, dir, "", "recount", "--file", exportPath); code != 0 || !strings.Contains(out, "1 closed debate") {
		t.Errorf("file recount: %d %s", code, out)
	}
	raw, _ := os.ReadFile(exportPath)
	edited := strings.Replace(string(raw), `"count": 1`, `"count": 7`, 1)
	os.WriteFile(exportPath, []byte(edited), 0o600) //nolint:errcheck // checked by the recount below
	if code, out, _ := runCLI(t, dir, "", "recount", "--file", exportPath); code != 1 || !strings.Contains(out, "DIFFERENCE") {
		t.Errorf("edited file: %d %s", code, out)
	}

	// Tamper with the stored tally: recount finds it (exit 1), corrects it, then agrees.
	ctx := context.Background()
	st, err := models.Open(ctx, "sqlite://"+filepath.Join(dir, "odn.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.NewUpdate().Table("debates").Set("counts = ?", "[5,1]").Where("id = ?", id).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if code, out, _ := runCLI(t, dir, "", "recount", ids); code != 1 || !strings.Contains(out, `option "Saturday": cached 5, counted 0`) {
		t.Errorf("tampered recount: %d %s", code, out)
	}
	if code, _, _ := runCLI(t, dir, "", "recount", ids); code != 0 {
		t.Errorf("recount after correction: %d", code)
	}
	// A copy of another instance's debate: its origin counts it; say so
	// and leave its tally alone.
	st, err = models.Open(ctx, "sqlite://"+filepath.Join(dir, "odn.db"))
	if err != nil {
		t.Fatal(err)
	}
	origin, err := st.UpsertRemoteActor(ctx, &models.Actor{URI: "https://other.example/users/town", Type: models.ActorPerson, Username: "town",
		Host: "other.example", Inbox: "https://other.example/users/town/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	copied, err := st.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: "https://other.example/d/7", Question: "Shared?",
		Options: []string{"Yes", "No"}, Counts: []int{150, 51}, Voters: 201, Updated: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, errOut := runCLI(t, dir, "", "recount", strconv.FormatInt(copied.ID, 10))
	if code != 1 || !strings.Contains(errOut, "is a copy of https://other.example/d/7: its results are counted by other.example") || strings.Contains(out, "counted:") {
		t.Errorf("recount of a remote copy: %d %s %s", code, out, errOut)
	}
	if code, _, _ := runCLI(t, dir, "", "recount", "99999"); code != 1 {
		t.Errorf("unknown debate: %d", code)
	}
	if code, _, _ := runCLI(t, dir, "", "recount", "abc"); code != 2 {
		t.Errorf("bad id: %d", code)
	}
}

func TestMigrateStoreCommand(t *testing.T) {
	dir := t.TempDir()
	seedCLI(t, dir)
	pg := dbtest.PostgresDSN(t)
	from := "sqlite://" + filepath.Join(dir, "odn.db")
	code, out, errOut := runCLI(t, dir, "", "migrate-store", "--from", from, "--to", pg)
	if code != 0 || !strings.Contains(out, "proposals") || !strings.Contains(out, "moved ") {
		t.Fatalf("migrate-store: %d %s %s", code, out, errOut)
	}
	// The server's commands now work on PostgreSQL with the same data.
	code, out, errOut = runCLI(t, dir, "", "export", "town", "--db", pg)
	if code != 0 || !strings.Contains(out, "Plant trees") {
		t.Errorf("export from the target: %d %s", code, errOut)
	}
	code, _, errOut = runCLI(t, dir, "", "migrate-store", "--from", from, "--to", pg)
	if code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("second move: %d %s", code, errOut)
	}
	if code, _, _ := runCLI(t, dir, "", "migrate-store", "--from", from); code != 2 {
		t.Errorf("missing --to: %d", code)
	}
}

func TestAdminSetting(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, dir, "1. Be kind.\n2. Stay on topic.\n", "admin", "setting", "set", "rules", "--stdin"); code != 0 {
		t.Fatal(errOut)
	}
	if code, out, _ := runCLI(t, dir, "", "admin", "setting", "get", "rules"); code != 0 || !strings.Contains(out, "Stay on topic") {
		t.Errorf("get: %d %q", code, out)
	}
	if code, _, _ := runCLI(t, dir, "", "admin", "setting", "set", "registration", "sometimes"); code != 1 {
		t.Errorf("bad registration: %d", code)
	}
	if code, _, _ := runCLI(t, dir, "", "admin", "setting", "set", "rules"); code != 2 {
		t.Errorf("missing value: %d", code)
	}
}
