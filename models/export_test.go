package models_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// secretsOf lists what must never appear in an export: e-mails, password
// hashes, private keys, the ballot secret and the handle of a signer who
// did not choose public display.
func secretsOf(t *testing.T, d *openData) []string {
	t.Helper()
	ctx := context.Background()
	var secret string
	if err := d.s.DB.NewSelect().Table("debates").Column("ballot_secret").Where("id = ?", d.debate.ID).Scan(ctx, &secret); err != nil || secret == "" {
		t.Fatalf("ballot secret: %q %v", secret, err)
	}
	var hash string
	if err := d.s.DB.NewSelect().Table("accounts").Column("password_hash").Where("username = 'ann'").Scan(ctx, &hash); err != nil {
		t.Fatal(err)
	}
	return []string{"@mail.example", "$argon2id", hash, "PRIVATE KEY", secret, "cyd@town.example", "cyd"}
}

func TestExportRoundTrip(t *testing.T) {
	eachOpenData(t, func(t *testing.T, d *openData) {
		ctx := context.Background()
		e, err := d.s.Export(ctx, models.ExportQuery{Space: "town"})
		if err != nil {
			t.Fatal(err)
		}
		var js bytes.Buffer
		if err := e.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		var back models.Export
		if err := json.Unmarshal(js.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		checkAgainstDB(t, d, &back)

		// Every CSV table agrees with the JSON, row for row.
		csvCounts := map[string]int{"proposals": 2, "debates": 1, "debate_options": 2, "debate_instances": 2, "debate_receipts": 4,
			"petitions": 1, "petition_milestones": -1, "petition_signers": 1, "petition_updates": 1, "comments": 1}
		for _, table := range models.ExportTables {
			var buf bytes.Buffer
			if err := e.WriteCSV(&buf, table); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			if rows[0][len(rows[0])-1] != "licence" {
				t.Errorf("%s: last column %q, want licence", table, rows[0][len(rows[0])-1])
			}
			for _, r := range rows[1:] {
				if r[len(r)-1] != models.LicenceOuverte {
					t.Errorf("%s: licence cell %q", table, r[len(r)-1])
				}
			}
			if want := csvCounts[table]; want >= 0 && len(rows)-1 != want {
				t.Errorf("%s: %d rows, want %d", table, len(rows)-1, want)
			}
			if table == "proposals" {
				col := slices.Index(rows[0], "supports")
				if rows[1][col] != "3" || rows[2][col] != "0" {
					t.Errorf("supports column: %q %q", rows[1][col], rows[2][col])
				}
			}
			if table == "debate_options" {
				if rows[1][2] != "Saturday" || rows[1][3] != "3" || rows[2][3] != "1" {
					t.Errorf("debate options: %v", rows)
				}
			}
		}
		if err := e.WriteCSV(io.Discard, "accounts"); err == nil {
			t.Error("unknown table accepted")
		}

		// The ZIP holds the same JSON, every table and the licence.
		var zb bytes.Buffer
		if err := e.WriteZIP(&zb); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(zb.Bytes()), int64(zb.Len()))
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			files[f.Name] = string(b)
		}
		for _, want := range append([]string{"README.txt", "datapackage.json", "export.json"}, tableFiles()...) {
			if _, ok := files[want]; !ok {
				t.Errorf("zip lacks %s", want)
			}
		}
		if !strings.Contains(files["README.txt"], "Licence Ouverte") || !strings.Contains(files["datapackage.json"], models.LicenceOuverte) {
			t.Error("licence missing from README or datapackage")
		}
		var zipped models.Export
		if err := json.Unmarshal([]byte(files["export.json"]), &zipped); err != nil {
			t.Fatal(err)
		}
		checkAgainstDB(t, d, &zipped)

		// No personal data in any format.
		all := js.String() + zb.String()
		for _, f := range files {
			all += f
		}
		for _, secret := range secretsOf(t, d) {
			if strings.Contains(all, secret) {
				t.Errorf("export contains %q", secret)
			}
		}
	})
}

func tableFiles() []string {
	var out []string
	for _, t := range models.ExportTables {
		out = append(out, t+".csv")
	}
	return out
}

// checkAgainstDB compares an export with the database and the civic
// rules' own views of it.
func checkAgainstDB(t *testing.T, d *openData, e *models.Export) {
	t.Helper()
	ctx := context.Background()
	if e.Licence.ID != models.LicenceOuverte || e.Licence.URL == "" || e.Space.Name != "town" {
		t.Errorf("licence/space: %+v %+v", e.Licence, e.Space)
	}
	visible, err := d.s.DB.NewSelect().Table("proposals").Where("space_id = ? AND hidden_at IS NULL AND deleted_at IS NULL", d.space.ID).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(e.Proposals)) != visible || visible != 2 {
		t.Fatalf("proposals: %d exported, %d visible in the database", len(e.Proposals), visible)
	}
	for _, p := range e.Proposals {
		stored, err := d.s.ProposalByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		supports, err := d.s.DB.NewSelect().Table("supports").Where("proposal_id = ?", p.ID).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p.Supports != stored.SupportsCount || int64(p.Supports) != supports || p.Status != stored.Status || p.Author != "ann@town.example" {
			t.Errorf("proposal %d: %+v, stored %d supports (%d rows) %s", p.ID, p, stored.SupportsCount, supports, stored.Status)
		}
		if !slices.Equal(p.Tags, []string{"culture", "green"}) {
			t.Errorf("tags %v", p.Tags)
		}
	}
	if len(e.Debates) != 1 {
		t.Fatalf("debates: %d", len(e.Debates))
	}
	de := e.Debates[0]
	res, err := d.s.Results(ctx, d.debate.ID)
	if err != nil {
		t.Fatal(err)
	}
	if de.Voters != res.Voters || len(de.Receipts) != res.Voters || de.Phase != models.DebateClosed || !de.ResultsPublished {
		t.Errorf("debate: %+v vs %+v", de, res)
	}
	for i, o := range de.Options {
		if o.Name != res.Options[i].Name || o.Count != res.Options[i].Count {
			t.Errorf("option %d: %+v vs %+v", i, o, res.Options[i])
		}
	}
	if de.ByInstance["town.example"] != 3 || de.ByInstance["social.example"] != 1 {
		t.Errorf("by instance: %v", de.ByInstance)
	}
	for _, r := range de.Receipts {
		if r.Voter != "" || len(r.Receipt) < 8 || len(r.Options) != 1 {
			t.Errorf("receipt %+v", r)
		}
	}
	if len(e.Petitions) != 1 {
		t.Fatalf("petitions: %d", len(e.Petitions))
	}
	pe := e.Petitions[0]
	signatures, _ := d.s.DB.NewSelect().Table("signatures").Where("petition_id = ?", pe.ID).Count(ctx)
	if pe.Signatures != 2 || signatures != 2 || pe.Goal != 4 || pe.Addressee != "mayor@town.example" {
		t.Errorf("petition: %+v (%d rows)", pe, signatures)
	}
	if len(pe.PublicSigners) != 1 || pe.PublicSigners[0].Signer != "bob@town.example" {
		t.Errorf("public signers: %+v", pe.PublicSigners)
	}
	if len(pe.Milestones) == 0 || pe.Milestones[0].Percent != 25 {
		t.Errorf("milestones: %+v", pe.Milestones)
	}
	if len(pe.Updates) != 1 {
		t.Errorf("updates: %+v", pe.Updates)
	}
	if len(e.Comments) != 1 || e.Comments[0].Author != "dee@town.example" || e.Comments[0].ID != d.comments[0].ID {
		t.Errorf("comments: %+v", e.Comments)
	}
}

func TestExportItem(t *testing.T) {
	eachOpenData(t, func(t *testing.T, d *openData) {
		ctx := context.Background()
		e, err := d.s.Export(ctx, models.ExportQuery{Space: "town", Kind: models.ObjectTypeProposal, ID: d.props[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Proposals) != 1 || len(e.Debates)+len(e.Petitions) != 0 || len(e.Comments) != 1 {
			t.Errorf("item export: %d %d %d %d", len(e.Proposals), len(e.Debates), len(e.Petitions), len(e.Comments))
		}
		e, err = d.s.Export(ctx, models.ExportQuery{Space: "town", Kind: models.ObjectTypeDebate, ID: d.debate.ID})
		if err != nil || len(e.Debates) != 1 || len(e.Proposals) != 0 {
			t.Fatalf("debate item: %v", err)
		}
		for _, q := range []models.ExportQuery{
			{Space: "town", Kind: models.ObjectTypeProposal, ID: d.props[2].ID}, // hidden
			{Space: "town", Kind: models.ObjectTypePetition, ID: d.props[0].ID + 1000},
			{Space: "town", Kind: "account", ID: 1},
			{Space: "nowhere"},
		} {
			if _, err := d.s.Export(ctx, q); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%+v: %v, want not found", q, err)
			}
		}
	})
}

func TestRecountDetectsTampering(t *testing.T) {
	eachOpenData(t, func(t *testing.T, d *openData) {
		ctx := context.Background()
		rep, err := d.s.Recount(ctx, nil, d.debate.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Differences) != 0 || rep.Corrected {
			t.Fatalf("clean debate: %+v", rep)
		}
		e, _ := d.s.Export(ctx, models.ExportQuery{Space: "town"})
		if n, diffs := models.RecountExport(e); n != 1 || len(diffs) != 0 {
			t.Fatalf("clean export: %d %v", n, diffs)
		}

		// Someone with database access changes the published tally.
		if _, err := d.s.DB.NewUpdate().Table("debates").Set("counts = ?", "[1,3]").Where("id = ?", d.debate.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		tampered, _ := d.s.Export(ctx, models.ExportQuery{Space: "town"})
		if tampered.Debates[0].Options[0].Count != 1 {
			t.Fatalf("tampered export shows %+v", tampered.Debates[0].Options)
		}
		// Anyone holding the published file sees it…
		if _, diffs := models.RecountExport(tampered); len(diffs) != 2 {
			t.Errorf("export recount found %v", diffs)
		}
		// …and the instance's recount finds and corrects it.
		rep, err = d.s.Recount(ctx, nil, d.debate.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Differences) == 0 || !rep.Corrected || !slices.Equal(rep.Counted, []int{3, 1}) {
			t.Errorf("recount: %+v", rep)
		}
		fixed, _ := d.s.Export(ctx, models.ExportQuery{Space: "town"})
		if _, diffs := models.RecountExport(fixed); len(diffs) != 0 {
			t.Errorf("after recount: %v", diffs)
		}

		// A receipt changed in a published file is caught too.
		for i, r := range fixed.Debates[0].Receipts {
			if r.Options[0] == "Saturday" {
				fixed.Debates[0].Receipts[i].Options = []string{"Sunday"}
				break
			}
		}
		if _, diffs := models.RecountExport(fixed); len(diffs) != 2 {
			t.Errorf("edited receipt: %v", diffs)
		}
	})
}

// TestExportPublishesOnlyWhatPagesShow adds to the open data what pages
// keep from the public (a draft debate and a moderator's comment on it,
// the live counts of a debate whose results wait for its close, a reply
// below a hidden comment, a deleted comment, a hidden petition's update)
// and an erased member who commented, signed in public and voted in a
// public ballot; no export format nor feed holds any of it, and the
// erased member's contributions are there without their name.
func TestExportPublishesOnlyWhatPagesShow(t *testing.T) {
	eachOpenData(t, func(t *testing.T, d *openData) {
		ctx := context.Background()
		s, eve := d.s, d.users["eve"]
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		draft, err := s.CreateDebate(ctx, d.admin, d.space, models.DebateInput{Question: "A draft nobody may see?", Options: []string{"Yes", "No"}})
		must(err)
		_, err = s.CreateComment(ctx, d.admin.Actor, models.CommentInput{ObjectType: models.ObjectTypeDebate, ObjectID: draft.ID, Body: "Moderators' note on a draft."})
		must(err)
		secret, err := s.CreateDebate(ctx, d.admin, d.space, models.DebateInput{Question: "Results after the close?", Options: []string{"Yes", "No"},
			ResultsVisibility: models.ResultsAfterClose})
		must(err)
		_, err = s.OpenDebate(ctx, d.admin, secret.ID)
		must(err)
		_, err = s.CastVote(ctx, d.users["dee"].Actor, secret.ID, []string{"No"})
		must(err)
		parent, err := s.CreateComment(ctx, d.users["dee"].Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: d.props[0].ID,
			Body: "Words moderated away."})
		must(err)
		_, err = s.CreateComment(ctx, d.users["bob"].Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: d.props[0].ID,
			ParentID: parent.ID, Body: "A reply below a hidden comment."})
		must(err)
		must(s.HideObject(ctx, d.admin, models.ObjectTypeComment, parent.ID, "rude"))
		gone, err := s.CreateComment(ctx, d.users["bob"].Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: d.props[0].ID,
			Body: "Deleted by its author."})
		must(err)
		must(s.DeleteComment(ctx, d.users["bob"], gone.ID))
		hiddenPetition, err := s.CreatePetition(ctx, d.users["ann"].Actor, "town", models.PetitionInput{Title: "A petition moderated away",
			Body: "x", Addressee: "mayor", Goal: 4})
		must(err)
		_, err = s.PostPetitionUpdate(ctx, d.users["ann"].Actor, hiddenPetition.ID, "An update of a hidden petition.")
		must(err)
		must(s.HideObject(ctx, d.admin, models.ObjectTypePetition, hiddenPetition.ID, "off topic"))

		public, err := s.CreateDebate(ctx, d.admin, d.space, models.DebateInput{Question: "Show of hands?", Options: []string{"Yes", "No"}, PublicBallot: true})
		must(err)
		_, err = s.OpenDebate(ctx, d.admin, public.ID)
		must(err)
		for _, a := range []*models.Account{eve, d.users["dee"]} {
			_, err = s.CastVote(ctx, a.Actor, public.ID, []string{"Yes"})
			must(err)
		}
		_, err = s.CloseDebate(ctx, d.admin, public.ID)
		must(err)
		_, _, err = s.Sign(ctx, eve.Actor, d.petition.ID, true)
		must(err)
		said, err := s.CreateComment(ctx, eve.Actor, models.CommentInput{ObjectType: models.ObjectTypePetition, ObjectID: d.petition.ID, Body: "Signed, gladly."})
		must(err)
		must(s.DeleteAccount(ctx, eve))

		e, err := s.Export(ctx, models.ExportQuery{Space: "town"})
		must(err)
		var js, zb bytes.Buffer
		must(e.WriteJSON(&js))
		must(e.WriteZIP(&zb))
		zr, err := zip.NewReader(bytes.NewReader(zb.Bytes()), int64(zb.Len()))
		must(err)
		all := js.String()
		for _, f := range zr.File {
			rc, err := f.Open()
			must(err)
			b, err := io.ReadAll(rc)
			must(err)
			all += string(b)
		}
		for _, kind := range []string{"", models.ObjectTypeDebate, models.ObjectTypePetition} {
			feed, err := s.SpaceFeed(ctx, "town", kind)
			must(err)
			for _, en := range feed.Entries {
				all += en.Title + en.HTML + en.Author
			}
		}
		for _, never := range []string{"A draft nobody may see?", "Moderators' note on a draft.", "Words moderated away.", "A reply below a hidden comment.",
			"Deleted by its author.", "A petition moderated away", "An update of a hidden petition.", "eve@town.example", "eve@mail.example"} {
			if strings.Contains(all, never) {
				t.Errorf("open data holds %q", never)
			}
		}
		var found bool
		for _, c := range e.Comments {
			if c.ID == said.ID {
				found = true
				if c.Author != "" {
					t.Errorf("an erased member's comment is signed %q", c.Author)
				}
			}
		}
		if !found {
			t.Error("an erased member's public comment left the open data")
		}
		for _, de := range e.Debates {
			switch de.ID {
			case secret.ID:
				if de.ResultsPublished || de.Voters != 0 || len(de.ByInstance) != 0 || len(de.Receipts) != 0 || de.Options[1].Count != 0 {
					t.Errorf("results kept for the close are published: %+v", de)
				}
			case public.ID:
				if len(de.Receipts) != 2 {
					t.Fatalf("public ballot receipts: %+v", de.Receipts)
				}
				var named []string
				for _, r := range de.Receipts {
					if r.Voter != "" {
						named = append(named, r.Voter)
					}
				}
				if !slices.Equal(named, []string{"dee@town.example"}) {
					t.Errorf("public ballot names %v, want dee only (eve is erased)", named)
				}
			}
		}
	})
}
