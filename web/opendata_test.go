package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web"
)

// openDataSite is a space with a visible and a hidden proposal, a closed
// debate and a petition with a public and a private signer.
type openDataSite struct {
	*testEnv
	space            *models.Space
	shown, hidden    *models.Proposal
	debate           *models.Debate
	petition         *models.Petition
	hiddenPetitionID int64
	admin, ann, bob  *models.Account
	secretSigner     *models.Account
}

func newOpenDataSite(t *testing.T, configure ...func(*web.Options)) *openDataSite {
	t.Helper()
	e := newEnvOn(t, "sqlite", configure...)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	o := &openDataSite{testEnv: e}
	o.admin = e.user("boss", models.RoleAdmin)
	o.ann, o.bob, o.secretSigner = e.user("ann", models.RoleMember), e.user("bob", models.RoleMember), e.user("cyd", models.RoleMember)
	mayor := e.user("mayor", models.RoleMember)
	must(e.Store.SetDecider(ctx, nil, mayor.Username, true))
	var err error
	o.space, err = e.Store.CreateSpace(ctx, nil, models.SpaceInput{Name: "town", Kind: models.KindCity, Title: "Our Town"})
	must(err)
	o.shown, err = e.Store.CreateProposal(ctx, o.ann.Actor, "town", models.ProposalInput{Title: "Plant trees on the square", Body: "Shade in summer."})
	must(err)
	_, err = e.Store.Support(ctx, o.bob.Actor, o.shown.ID)
	must(err)
	o.hidden, err = e.Store.CreateProposal(ctx, o.ann.Actor, "town", models.ProposalInput{Title: "Hidden rude proposal", Body: "Rude."})
	must(err)
	_, err = e.Store.DB.NewUpdate().Table("proposals").Set("hidden_at = ?", e.Now).Where("id = ?", o.hidden.ID).Exec(ctx)
	must(err)
	o.debate, err = e.Store.CreateDebate(ctx, o.admin, o.space, models.DebateInput{Question: "Which day for the market?", Options: []string{"Saturday", "Sunday"}})
	must(err)
	_, err = e.Store.OpenDebate(ctx, o.admin, o.debate.ID)
	must(err)
	for _, a := range []*models.Account{o.ann, o.bob} {
		_, err = e.Store.CastVote(ctx, a.Actor, o.debate.ID, []string{"Sunday"})
		must(err)
	}
	o.debate, err = e.Store.CloseDebate(ctx, o.admin, o.debate.ID)
	must(err)
	o.petition, err = e.Store.CreatePetition(ctx, o.ann.Actor, "town", models.PetitionInput{Title: "Save the cinema", Body: "History.", Addressee: "mayor", Goal: 10})
	must(err)
	_, _, err = e.Store.Sign(ctx, o.bob.Actor, o.petition.ID, true)
	must(err)
	_, _, err = e.Store.Sign(ctx, o.secretSigner.Actor, o.petition.ID, false)
	must(err)
	_, err = e.Store.PostPetitionUpdate(ctx, o.ann.Actor, o.petition.ID, "We reached 20 percent!")
	must(err)
	hp, err := e.Store.CreatePetition(ctx, o.ann.Actor, "town", models.PetitionInput{Title: "Hidden petition", Body: "x", Addressee: "mayor", Goal: 5})
	must(err)
	_, err = e.Store.DB.NewUpdate().Table("petitions").Set("hidden_at = ?", e.Now).Where("id = ?", hp.ID).Exec(ctx)
	must(err)
	o.hiddenPetitionID = hp.ID
	return o
}

func TestAtomFeeds(t *testing.T) {
	o := newOpenDataSite(t)
	c := o.client()
	parse := func(path string) *gofeed.Feed {
		t.Helper()
		res := o.get(c, path)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		f, err := gofeed.NewParser().ParseString(readBody(res))
		if err != nil {
			t.Fatalf("%s: not a valid feed: %v", path, err)
		}
		if f.FeedType != "atom" || f.Title == "" || f.UpdatedParsed == nil || f.FeedLink != o.URL+path {
			t.Errorf("%s: feed %q type %s updated %v self %q", path, f.Title, f.FeedType, f.UpdatedParsed, f.FeedLink)
		}
		for _, it := range f.Items {
			if it.GUID == "" || it.Title == "" || it.Link == "" || it.UpdatedParsed == nil || len(it.Authors) == 0 {
				t.Errorf("%s: incomplete entry %+v", path, it)
			}
		}
		return f
	}
	all := parse("/s/town/feed.atom")
	titles := ""
	for _, it := range all.Items {
		titles += it.Title + "|"
	}
	for _, want := range []string{"Plant trees on the square", "Which day for the market?", "Save the cinema"} {
		if !strings.Contains(titles, want) {
			t.Errorf("space feed lacks %q: %s", want, titles)
		}
	}
	if strings.Contains(titles, "Hidden") || len(all.Items) != 3 {
		t.Errorf("space feed: %s", titles)
	}
	if f := parse("/s/town/proposals.atom"); len(f.Items) != 1 || f.Items[0].Link != o.shown.URL || f.Items[0].GUID != o.shown.URI {
		t.Errorf("proposals feed: %+v", f.Items)
	}
	if f := parse("/s/town/debates.atom"); len(f.Items) != 1 {
		t.Errorf("debates feed: %d items", len(f.Items))
	}
	if f := parse(fmt.Sprintf("/pe/%d/updates.atom", o.petition.ID)); len(f.Items) != 1 || !strings.Contains(f.Items[0].Content, "20 percent") {
		t.Errorf("petition updates feed: %+v", f.Items)
	}
	for _, path := range []string{"/s/nowhere/feed.atom", fmt.Sprintf("/pe/%d/updates.atom", o.hiddenPetitionID), "/pe/999/updates.atom"} {
		if res := o.get(c, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
	// Pages advertise their feeds.
	page := readBody(o.get(c, "/s/town"))
	if !strings.Contains(page, `<link rel="alternate" type="application/atom+xml"`) || !strings.Contains(page, `href="/s/town/feed.atom"`) {
		t.Error("space page does not link its feed")
	}
	if page := readBody(o.get(c, fmt.Sprintf("/pe/%d", o.petition.ID))); !strings.Contains(page, "/updates.atom") {
		t.Error("petition page does not link its updates feed")
	}
}

func TestExportDownloads(t *testing.T) {
	o := newOpenDataSite(t)
	c := o.client()
	res := o.get(c, "/s/town/export.json")
	if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(res.Header.Get("Link"), `rel="license"`) || !strings.Contains(res.Header.Get("Content-Disposition"), "town-") {
		t.Fatalf("json: %d %v", res.StatusCode, res.Header)
	}
	var e models.Export
	if err := json.Unmarshal([]byte(readBody(res)), &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Proposals) != 1 || e.Proposals[0].Supports != 1 || len(e.Debates) != 1 || len(e.Petitions) != 1 || e.Licence.ID != models.LicenceODbL {
		t.Errorf("export: %d proposals, %d debates, %d petitions, licence %s", len(e.Proposals), len(e.Debates), len(e.Petitions), e.Licence.ID)
	}
	body := readBody(res)
	for _, never := range []string{"cyd@", "$argon2id", "ballot_secret", "Hidden rude proposal", "Hidden petition"} {
		if strings.Contains(body, never) {
			t.Errorf("export contains %q", never)
		}
	}

	res = o.get(c, "/s/town/export/petition_signers.csv")
	rows, err := csv.NewReader(strings.NewReader(readBody(res))).ReadAll()
	if err != nil || res.StatusCode != http.StatusOK || len(rows) != 2 || !strings.HasPrefix(rows[1][1], "bob@") {
		t.Errorf("signers csv: %d %v %v", res.StatusCode, rows, err)
	}
	res = o.get(c, "/s/town/export.zip")
	zr, err := zip.NewReader(bytes.NewReader([]byte(readBody(res))), int64(len(readBody(res))))
	if err != nil || len(zr.File) != 3+len(models.ExportTables) {
		t.Errorf("zip: %v", err)
	}
	res = o.get(c, fmt.Sprintf("/export/debate/%d.json", o.debate.ID))
	var one models.Export
	if err := json.Unmarshal([]byte(readBody(res)), &one); err != nil || len(one.Debates) != 1 || len(one.Debates[0].Receipts) != 2 {
		t.Errorf("debate export: %d %v", res.StatusCode, err)
	}
	if res := o.get(c, fmt.Sprintf("/export/debate/%d/debate_receipts.csv", o.debate.ID)); res.StatusCode != http.StatusOK {
		t.Errorf("receipts csv: %d", res.StatusCode)
	}
	for _, path := range []string{"/s/town/export.xml", "/s/town/export/accounts.csv", fmt.Sprintf("/export/proposal/%d.json", o.hidden.ID),
		"/export/account/1.json", "/s/nowhere/export.json"} {
		if res := o.get(c, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
	page := readBody(o.get(c, "/s/town/data"))
	for _, want := range []string{"/s/town/export.zip", "proposals.csv", "ODbL", "/embed/petitions/ID"} {
		if !strings.Contains(page, want) {
			t.Errorf("data page lacks %q", want)
		}
	}
	if page := readBody(o.get(c, "/s/town")); !strings.Contains(page, "/s/town/data") || !strings.Contains(page, "opendatacommons.org") {
		t.Errorf("space page lacks the open data section: %s", page)
	}
}

func TestAboutAndPrivacy(t *testing.T) {
	o := newOpenDataSite(t)
	o.user("modo", models.RoleModerator)
	for _, lang := range []string{"en", "fr"} {
		req, _ := http.NewRequest(http.MethodGet, o.URL+"/about", nil)
		req.Header.Set("Accept-Language", lang)
		res := o.do(o.client(), req)
		body := readBody(res)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "@boss") || !strings.Contains(body, "@modo") ||
			!strings.Contains(body, "Open Database License") || !strings.Contains(body, "/.well-known/nodeinfo") || !strings.Contains(body, "test") {
			t.Errorf("about (%s): %d", lang, res.StatusCode)
		}
		req, _ = http.NewRequest(http.MethodGet, o.URL+"/privacy", nil)
		req.Header.Set("Accept-Language", lang)
		res = o.do(o.client(), req)
		body = readBody(res)
		want := map[string]string{"en": "How long", "fr": "Combien de temps"}[lang]
		if res.StatusCode != http.StatusOK || !strings.Contains(body, want) || !strings.Contains(body, "argon2id") {
			t.Errorf("privacy (%s): %d", lang, res.StatusCode)
		}
		if uploads := map[string]string{"en": "are stored without their metadata", "fr": "sont enregistrées sans leurs métadonnées"}[lang]; !strings.Contains(body, uploads) {
			t.Errorf("privacy (%s) does not say what uploads keep", lang)
		}
	}
	res := o.api(http.MethodGet, "/api/v1/openapi.yaml", "", nil, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(readBody(res), "openapi: 3.1") {
		t.Errorf("openapi.yaml: %d", res.StatusCode)
	}
}

func TestAccountDataDownload(t *testing.T) {
	o := newOpenDataSite(t)
	if res := o.get(o.client(), "/account/export"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("anonymous: %d", res.StatusCode)
	}
	c := o.loggedIn("bob")
	res := o.get(c, "/account/export")
	body := readBody(res)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %v", res.StatusCode, res.Header)
	}
	var data models.AccountData
	if err := json.Unmarshal([]byte(body), &data); err != nil {
		t.Fatal(err)
	}
	if len(data.Tables["signatures"]) != 1 || len(data.Tables["supports"]) != 1 || len(data.Tables["sessions"]) != 1 || len(data.Tables["debate_votes"]) != 1 {
		t.Errorf("tables: %v", data.Tables)
	}
	for _, never := range []string{"$argon2id", "PRIVATE KEY", "\"ann\"", "cyd"} {
		if strings.Contains(body, never) {
			t.Errorf("download contains %q", never)
		}
	}
}

func TestEmbeds(t *testing.T) {
	o := newOpenDataSite(t)
	c := o.client()
	res := o.get(c, fmt.Sprintf("/embed/petitions/%d", o.petition.ID))
	body := readBody(res)
	if res.StatusCode != http.StatusOK || res.Header.Get("X-Frame-Options") != "" ||
		!strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors *") {
		t.Fatalf("petition embed: %d %v", res.StatusCode, res.Header)
	}
	if !strings.Contains(body, "Save the cinema") || !strings.Contains(body, "<strong>2</strong>") || !strings.Contains(body, `value="20"`) ||
		strings.Contains(body, "<nav") || strings.Contains(body, "<form") || strings.Contains(body, "<script") {
		t.Errorf("petition embed body: %s", body)
	}
	res = o.get(c, fmt.Sprintf("/embed/debates/%d", o.debate.ID))
	body = readBody(res)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Sunday") || !strings.Contains(body, "<td>2</td>") || !strings.Contains(body, "<caption>") {
		t.Errorf("debate embed: %d %s", res.StatusCode, body)
	}
	for _, path := range []string{fmt.Sprintf("/embed/petitions/%d", o.hiddenPetitionID), "/embed/debates/999", "/embed/petitions/x"} {
		if res := o.get(c, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
	// Ordinary pages still refuse to be framed.
	if res := o.get(c, "/s/town"); res.Header.Get("X-Frame-Options") != "DENY" {
		t.Error("space page may be framed")
	}
}

// TestItemPagesLinkTheirOpenData: a proposal, a debate and a petition
// page link their own downloads, and every link answers.
func TestItemPagesLinkTheirOpenData(t *testing.T) {
	o := newOpenDataSite(t)
	c := o.client()
	for _, tc := range []struct {
		page string
		want []string
	}{
		{fmt.Sprintf("/p/%d", o.shown.ID), []string{fmt.Sprintf("/export/proposal/%d.json", o.shown.ID), fmt.Sprintf("/export/proposal/%d.zip", o.shown.ID)}},
		{fmt.Sprintf("/d/%d", o.debate.ID), []string{fmt.Sprintf("/export/debate/%d.json", o.debate.ID), fmt.Sprintf("/export/debate/%d/debate_receipts.csv", o.debate.ID), fmt.Sprintf("/embed/debates/%d", o.debate.ID)}},
		{fmt.Sprintf("/pe/%d", o.petition.ID), []string{fmt.Sprintf("/export/petition/%d.zip", o.petition.ID), fmt.Sprintf("/pe/%d/updates.atom", o.petition.ID), fmt.Sprintf("/embed/petitions/%d", o.petition.ID)}},
	} {
		res := o.get(c, tc.page)
		body := readBody(res)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", tc.page, res.StatusCode)
		}
		for _, link := range tc.want {
			if !strings.Contains(body, `href="`+link+`"`) {
				t.Errorf("%s does not link %s", tc.page, link)
				continue
			}
			if res := o.get(c, link); res.StatusCode != http.StatusOK {
				t.Errorf("%s links %s, which answers %d", tc.page, link, res.StatusCode)
			}
		}
	}
}

// TestExportCSVDefusesFormulas: a text that a spreadsheet would run as a
// formula (= + - @ first; titles are trimmed, so not tab or CR) leaves in
// the CSV export behind an apostrophe, and unchanged in the JSON export.
func TestExportCSVDefusesFormulas(t *testing.T) {
	o := newOpenDataSite(t)
	cases := []struct{ title, csv string }{
		{`=HYPERLINK("https://evil.example","Click")`, `'=HYPERLINK("https://evil.example","Click")`},
		{"+1+cmd|' /C calc'!A0 plan", "'+1+cmd|' /C calc'!A0 plan"},
		{"-2+3 more benches", "'-2+3 more benches"},
		{"@SUM(1+1) of trees", "'@SUM(1+1) of trees"},
		{"A plain title, = inside", "A plain title, = inside"},
	}
	for _, tc := range cases {
		if _, err := o.Store.CreateProposal(context.Background(), o.ann.Actor, "town", models.ProposalInput{Title: tc.title, Body: tc.title}); err != nil {
			t.Fatalf("%q: %v", tc.title, err)
		}
	}
	c := o.client()
	rows, err := csv.NewReader(strings.NewReader(readBody(o.get(c, "/s/town/export/proposals.csv")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string]bool{}
	for _, row := range rows {
		for _, cell := range row {
			cells[cell] = true
		}
	}
	js := readBody(o.get(c, "/s/town/export.json"))
	for _, tc := range cases {
		if !cells[tc.csv] {
			t.Errorf("CSV lacks %q", tc.csv)
		}
		if b, _ := json.Marshal(tc.title); !strings.Contains(js, string(b)) {
			t.Errorf("JSON lacks the exact title %s", b)
		}
	}
}
