package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
	"github.com/opendemocracynow/odn/web"
)

// consWeb is a web test environment with a space "town", a moderator
// "modo" (token modTok) and a citizen "ana" (token anaTok), and a
// consultation created through the API whose phases start at T0:
// information [T0, T0+10d), contribution to T0+30d, synthesis to T0+40d.
type consWeb struct {
	*testEnv
	modTok, anaTok string
	id             string
	t0             time.Time
}

func newConsWeb(t *testing.T, dialect string) *consWeb {
	t.Helper()
	e := newEnvOn(t, dialect)
	e.Store.SetDataDir(t.TempDir())
	cw := &consWeb{testEnv: e, t0: time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)}
	e.Now = cw.t0.Add(-time.Hour)
	e.user("modo", models.RoleModerator)
	e.user("ana", models.RoleMember)
	if _, err := e.Store.CreateSpace(context.Background(), nil, models.SpaceInput{Name: "town", Kind: models.KindCity}); err != nil {
		t.Fatal(err)
	}
	cw.modTok, cw.anaTok = e.token("modo"), e.token("ana")
	d := 24 * time.Hour
	body := map[string]any{"title": "Rethink the market square", "summary": "Which square for 2030?", "body": "**Tell us.**", "map": true,
		"phases": []map[string]any{
			{"name": "information", "starts_at": cw.t0},
			{"name": "contribution", "starts_at": cw.t0.Add(10 * d)},
			{"name": "synthesis", "starts_at": cw.t0.Add(30 * d)},
			{"name": "closed", "starts_at": cw.t0.Add(40 * d)},
		}}
	var out struct {
		ID     string `json:"id"`
		Phases []struct {
			Name string `json:"name"`
		} `json:"phases"`
	}
	if res := e.api("POST", "/api/v1/spaces/town/consultations", cw.anaTok, body, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("citizen created a consultation: %d", res.StatusCode)
	}
	if res := e.api("POST", "/api/v1/spaces/town/consultations", cw.modTok, body, &out); res.StatusCode != http.StatusCreated || len(out.Phases) != 4 {
		t.Fatalf("create consultation: %d %+v", res.StatusCode, out)
	}
	cw.id = out.ID
	return cw
}

func (cw *consWeb) day(n int) { cw.Now = cw.t0.Add(time.Duration(n) * 24 * time.Hour) }

func TestConsultationPhaseRulesWebAndAPI(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			cw := newConsWeb(t, dialect)
			ana := cw.loggedIn("ana")
			proposal := map[string]any{"title": "Plant twenty trees", "body": "Shade!", "consultation": cw.id}
			form := url.Values{"title": {"Plant twenty trees"}, "body": {"Shade!"}, "consultation": {cw.id}}

			cw.day(3) // information: read only, on both doors
			var apiErr struct{ Error string }
			if res := cw.api("POST", "/api/v1/spaces/town/proposals", cw.anaTok, proposal, &apiErr); res.StatusCode != http.StatusConflict || !strings.Contains(apiErr.Error, "information phase") {
				t.Errorf("API proposal in the information phase: %d %q", res.StatusCode, apiErr.Error)
			}
			if res := cw.postForm(ana, "/s/town/proposals/new", form); res.StatusCode != http.StatusConflict || !strings.Contains(readBody(res), "information phase") {
				t.Errorf("web proposal in the information phase: %d", res.StatusCode)
			}
			cw.day(12) // contribution
			var p struct{ ID string }
			if res := cw.api("POST", "/api/v1/spaces/town/proposals", cw.anaTok, proposal, &p); res.StatusCode != http.StatusCreated {
				t.Fatalf("API proposal in the contribution phase: %d", res.StatusCode)
			}
			if res := cw.postForm(ana, "/s/town/proposals/new", form); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("web proposal in the contribution phase: %d %s", res.StatusCode, readBody(res))
			}
			cw.day(31) // synthesis: comments only
			if res := cw.api("POST", "/api/v1/spaces/town/proposals", cw.anaTok, proposal, nil); res.StatusCode != http.StatusConflict {
				t.Errorf("API proposal in the synthesis phase: %d", res.StatusCode)
			}
			if res := cw.api("POST", "/api/v1/proposals/"+p.ID+"/support", cw.modTok, nil, nil); res.StatusCode != http.StatusConflict {
				t.Errorf("API support in the synthesis phase: %d", res.StatusCode)
			}
			if res := cw.api("POST", "/api/v1/proposals/"+p.ID+"/comments", cw.modTok, map[string]any{"body": "Noted."}, nil); res.StatusCode != http.StatusCreated {
				t.Errorf("API comment in the synthesis phase: %d", res.StatusCode)
			}
			cw.day(41) // closed
			if res := cw.api("POST", "/api/v1/proposals/"+p.ID+"/comments", cw.modTok, map[string]any{"body": "Late."}, nil); res.StatusCode != http.StatusConflict {
				t.Errorf("API comment after the close: %d", res.StatusCode)
			}
			var c struct {
				Phase   string   `json:"phase"`
				Allowed []string `json:"allowed"`
			}
			if res := cw.api("GET", "/api/v1/consultations/"+cw.id, "", nil, &c); res.StatusCode != 200 || c.Phase != "closed" || len(c.Allowed) != 0 {
				t.Errorf("consultation after the close: %d %+v", res.StatusCode, c)
			}
		})
	}
}

func TestConsultationWorkshopSynthesisStatsAPI(t *testing.T) {
	cw := newConsWeb(t, "sqlite")
	cw.day(12)
	var p struct{ ID string }
	cw.api("POST", "/api/v1/spaces/town/proposals", cw.anaTok, map[string]any{"title": "Plant twenty trees", "body": "Shade!", "consultation": cw.id}, &p)
	cw.day(14)
	ws := map[string]any{"title": "Town hall workshop", "body": "Benches and trees.", "held_at": cw.t0.Add(13 * 24 * time.Hour), "place": "Town hall", "participants": 17}
	if res := cw.api("POST", "/api/v1/consultations/"+cw.id+"/workshop-contributions", cw.anaTok, ws, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("citizen recorded a workshop: %d", res.StatusCode)
	}
	var w struct {
		ID       string `json:"id"`
		Workshop bool   `json:"workshop"`
	}
	if res := cw.api("POST", "/api/v1/consultations/"+cw.id+"/workshop-contributions", cw.modTok, ws, &w); res.StatusCode != http.StatusCreated || !w.Workshop {
		t.Fatalf("record workshop: %d %+v", res.StatusCode, w)
	}
	var st struct {
		Participants  int `json:"participants"`
		Contributions struct {
			Online   int `json:"online"`
			Workshop int `json:"workshop"`
		} `json:"contributions"`
		ByInstance map[string]int `json:"by_instance"`
		ByTheme    map[string]int `json:"by_theme"`
	}
	if res := cw.api("GET", "/api/v1/consultations/"+cw.id+"/stats", "", nil, &st); res.StatusCode != 200 {
		t.Fatalf("stats: %d", res.StatusCode)
	}
	host := strings.TrimPrefix(cw.URL, "http://")
	if st.Participants != 1+17 || st.Contributions.Online != 1 || st.Contributions.Workshop != 1 || st.ByInstance[host] != 1 || st.ByTheme["(no theme)"] != 2 {
		t.Errorf("stats %+v (host %s)", st, host)
	}
	if res := cw.api("POST", "/api/v1/consultations/"+cw.id+"/synthesis", cw.modTok, map[string]any{"body": "Trees."}, nil); res.StatusCode != http.StatusConflict {
		t.Errorf("synthesis during contributions: %d", res.StatusCode)
	}
	cw.day(31)
	for i := 0; i < 2; i++ {
		if res := cw.api("POST", "/api/v1/consultations/"+cw.id+"/synthesis", cw.modTok, map[string]any{"body": "Trees, see [the proposal](/p/" + p.ID + ")."}, nil); res.StatusCode != 200 {
			t.Fatalf("publish synthesis: %d %s", res.StatusCode, readBody(res))
		}
	}
	var notes struct {
		Items []struct {
			Kind string `json:"kind"`
		} `json:"items"`
	}
	cw.api("GET", "/api/v1/notifications", cw.anaTok, nil, &notes)
	n := 0
	for _, it := range notes.Items {
		if it.Kind == models.NotifySynthesisPublished {
			n++
		}
	}
	if n != 1 {
		t.Errorf("ana got %d synthesis notifications, want 1 (%+v)", n, notes)
	}
	page := readBody(cw.get(cw.client(), "/consultations/"+cw.id))
	for _, want := range []string{"Town hall workshop", "Plant twenty trees", `id="synthesis"`, "Workshop"} {
		if !strings.Contains(page, want) {
			t.Errorf("consultation page lacks %q", want)
		}
	}
	csv := readBody(cw.get(cw.client(), "/consultations/"+cw.id+"/stats.csv"))
	if !strings.Contains(csv, "summary,contributions_workshop,1") || !strings.Contains(csv, "summary,participants,18") {
		t.Errorf("stats.csv:\n%s", csv)
	}
}

// multipartForm builds a multipart body with fields and one file.
func multipartForm(t *testing.T, fields map[string]string, fileField, fileName string, content []byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if fileField != "" {
		fw, _ := mw.CreateFormFile(fileField, fileName)
		fw.Write(content)
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

func (cw *consWeb) postMultipart(c *http.Client, path, ct string, body *bytes.Buffer) *http.Response {
	cw.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, cw.URL+path, body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Origin", cw.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return cw.do(c, req)
}

func TestConsultationUploadsWeb(t *testing.T) {
	cw := newConsWeb(t, "sqlite")
	dir := t.TempDir()
	cw.Store.SetDataDir(dir)
	mod := cw.loggedIn("modo")
	ana := cw.loggedIn("ana")
	pdf := []byte("%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n")
	png := imagemetatest.PNG()
	path := "/consultations/" + cw.id + "/documents"

	attacks := []struct {
		name, file string
		content    []byte
		by         *http.Client
		status     int
	}{
		{"svg", "plan.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), mod, 422},
		{"html as pdf", "plan.pdf", []byte("<html><body><script>alert(1)</script></body></html>"), mod, 422},
		{"oversize", "big.pdf", append(pdf, make([]byte, models.MaxUploadSize)...), mod, 422},
		{"citizen", "plan.pdf", pdf, ana, 403},
	}
	for _, a := range attacks {
		ct, body := multipartForm(t, map[string]string{"kind": "file", "title": "Plan"}, "file", a.file, a.content)
		if res := cw.postMultipart(a.by, path, ct, body); res.StatusCode != a.status {
			t.Errorf("%s: status %d, want %d", a.name, res.StatusCode, a.status)
		}
	}
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 0 {
		t.Fatalf("refused uploads left files: %v", files)
	}

	ct, body := multipartForm(t, map[string]string{"kind": "file", "title": "Plan of the square"}, "file", `..\..\..\etc\plan final.PDF`, pdf)
	if res := cw.postMultipart(mod, path, ct, body); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload pdf: %d %s", res.StatusCode, readBody(res))
	}
	ct, body = multipartForm(t, map[string]string{"banner_alt": "The square seen from the town hall"}, "banner", "square.png", png)
	if res := cw.postMultipart(mod, "/consultations/"+cw.id+"/banner", ct, body); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload banner: %d %s", res.StatusCode, readBody(res))
	}
	var c struct {
		Banner struct{ URL, Alt string } `json:"banner"`
	}
	cw.api("GET", "/api/v1/consultations/"+cw.id, "", nil, &c)
	if c.Banner.Alt == "" || !strings.Contains(c.Banner.URL, "/media/") {
		t.Fatalf("banner %+v", c.Banner)
	}
	res := cw.get(cw.client(), strings.TrimPrefix(c.Banner.URL, cw.URL))
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || res.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "inline") {
		t.Errorf("banner served with %d %v", res.StatusCode, res.Header)
	}
	page := readBody(cw.get(cw.client(), "/consultations/"+cw.id))
	i := strings.Index(page, `href="/media/`)
	if i < 0 {
		t.Fatal("no file link on the consultation page")
	}
	link := page[i+6 : i+6+strings.Index(page[i+6:], `"`)]
	res = cw.get(cw.client(), link)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "plan final.pdf") || !strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("pdf served with %d %v", res.StatusCode, res.Header)
	}
	for _, bad := range []string{"/media/..%2F..%2Fetc%2Fpasswd", "/media/" + strings.Repeat("0", 32), "/media/../../go.mod"} {
		if res := cw.get(cw.client(), bad); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", bad, res.StatusCode)
		}
	}
}

func TestConsultationPagesRender(t *testing.T) {
	cw := newConsWeb(t, "sqlite")
	cw.Now = time.Now().UTC()
	if err := cw.Store.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	sp, _ := cw.Store.SpaceByName(context.Background(), "ville")
	cs, _ := cw.Store.ListConsultations(context.Background(), sp.ID, models.ConsultationFilter{})
	mod := cw.loggedIn("modo")
	space := readBody(cw.get(cw.client(), "/s/ville"))
	if !strings.Contains(space, "Réaménager la place du Marché") || !strings.Contains(space, "Budget participatif 2027") {
		t.Error("the space page does not show the current consultations and news")
	}
	for _, c := range cs {
		id := fmt.Sprint(c.ID)
		for _, p := range []string{"", "/stats", "/print", "/map"} {
			if p == "/map" && !c.MapEnabled {
				continue
			}
			for _, client := range []*http.Client{cw.client(), mod} {
				if res := cw.get(client, "/consultations/"+id+p); res.StatusCode != 200 {
					t.Errorf("/consultations/%s%s: %d %s", id, p, res.StatusCode, readBody(res))
				}
			}
		}
		for _, p := range []string{"/manage", "/workshop", "/synthesis", "/edit"} {
			if res := cw.get(mod, "/consultations/"+id+p); res.StatusCode != 200 {
				t.Errorf("/consultations/%s%s: %d", id, p, res.StatusCode)
			}
		}
		var st map[string]any
		if res := cw.get(cw.client(), "/consultations/"+id+"/stats.json"); res.StatusCode != 200 || json.Unmarshal([]byte(readBody(res)), &st) != nil {
			t.Errorf("stats.json: %d", res.StatusCode)
		}
	}
	for _, p := range []string{"/s/ville/consultations", "/s/ville/news", "/s/ville/consultations/new", "/s/ville/news/new"} {
		if res := cw.get(mod, p); res.StatusCode != 200 {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
	res := cw.get(cw.client(), "/s/ville/news.atom")
	var feed struct {
		Entries []struct {
			Title string `xml:"title"`
		} `xml:"entry"`
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/atom+xml") || xml.Unmarshal([]byte(readBody(res)), &feed) != nil || len(feed.Entries) != 2 {
		t.Errorf("news.atom: %d %d entries", res.StatusCode, len(feed.Entries))
	}
	if h := res.Header; !slices.Contains(h.Values("Vary"), "Accept-Language, Cookie") || h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Cache-Control") == "" {
		t.Errorf("news.atom headers %v, want those of the other feeds", h)
	}
	// French
	req, _ := http.NewRequest("GET", cw.URL+"/consultations/"+fmt.Sprint(cs[len(cs)-1].ID), nil)
	req.Header.Set("Accept-Language", "fr")
	if body := readBody(cw.do(cw.client(), req)); !strings.Contains(body, "Synthèse") {
		t.Error("French consultation page lacks « Synthèse »")
	}
}

func TestConsultationMapTilesAndListFallback(t *testing.T) {
	for _, tiles := range []string{"", "https://tiles.example.org/{z}/{x}/{y}.png"} {
		t.Run(fmt.Sprintf("tiles=%q", tiles), func(t *testing.T) {
			now := time.Now().UTC()
			ts := httptest.NewUnstartedServer(nil)
			base := "http://" + ts.Listener.Addr().String()
			st := dbtest.Open(t, "sqlite", models.WithClock(func() time.Time { return now }), models.WithBaseURL(base))
			srv, err := web.New(web.Options{Store: st, BaseURL: base, Version: "test", MapTiles: tiles, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			ts.Config.Handler = srv.Handler()
			ts.Start()
			t.Cleanup(ts.Close)
			if err := st.SeedDemo(context.Background()); err != nil {
				t.Fatal(err)
			}
			sp, _ := st.SpaceByName(context.Background(), "ville")
			cs, _ := st.ListConsultations(context.Background(), sp.ID, models.ConsultationFilter{})
			var id int64
			for _, c := range cs {
				if c.MapEnabled {
					id = c.ID
				}
			}
			res, err := http.Get(fmt.Sprintf("%s/consultations/%d/map", base, id))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			page, csp := string(b), res.Header.Get("Content-Security-Policy")
			if res.StatusCode != 200 || !strings.Contains(page, "Atelier en mairie") || !strings.Contains(page, `class="cons-map-list"`) {
				t.Fatalf("map page %d without the list", res.StatusCode)
			}
			if tiles == "" {
				if strings.Contains(page, "<svg") && strings.Contains(page, "<image") || strings.Contains(csp, "tiles.example.org") {
					t.Error("a map was drawn without tiles")
				}
				return
			}
			if !strings.Contains(page, `<image href="https://tiles.example.org/`) || !strings.Contains(csp, "img-src 'self' data: https://tiles.example.org") {
				t.Errorf("tiles not drawn or not allowed by the CSP: %s", csp)
			}
		})
	}
}

// TestObjectPagesNameTheirConsultation: the page of a proposal, debate or
// petition of a consultation says, under its title, which consultation
// it belongs to, linked, and in which phase; an object of none says
// nothing of it. Before, only a refusal notice named the consultation.
func TestObjectPagesNameTheirConsultation(t *testing.T) {
	cw, mod, cid, _ := themedConsWeb(t)
	ctx := context.Background()
	ana, err := cw.Store.AccountByUsername(ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	p, err := cw.Store.CreateProposal(ctx, ana.Actor, "town", models.ProposalInput{Title: "Trees", Body: "Shade.", Consultation: cid})
	if err != nil {
		t.Fatal(err)
	}
	none, err := cw.Store.CreateProposal(ctx, ana.Actor, "town", models.ProposalInput{Title: "Benches", Body: "Rest."})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := cw.Store.SpaceByName(ctx, "town")
	if err != nil {
		t.Fatal(err)
	}
	d, err := cw.Store.CreateDebate(ctx, mod, sp, models.DebateInput{Question: "Which trees?", Options: []string{"Oaks", "Limes"}, ConsultationID: cid})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cw.Store.OpenDebate(ctx, mod, d.ID); err != nil {
		t.Fatal(err)
	}
	pe, err := cw.Store.CreatePetition(ctx, ana.Actor, "town", models.PetitionInput{Title: "Keep the kiosk", Body: "x", Addressee: "maire", Goal: 10, Consultation: cid})
	if err != nil {
		t.Fatal(err)
	}
	link := `<a href="/consultations/` + cw.id + `">`
	for _, path := range []string{fmt.Sprintf("/p/%d", p.ID), fmt.Sprintf("/d/%d", d.ID), fmt.Sprintf("/pe/%d", pe.ID)} {
		body := readBody(cw.get(cw.client(), path))
		if !strings.Contains(body, `class="meta consultation-context"`) || !strings.Contains(body, link) ||
			!strings.Contains(body, "cons-phase-contribution") {
			t.Errorf("%s does not name its consultation and phase", path)
		}
	}
	if body := readBody(cw.get(cw.client(), fmt.Sprintf("/p/%d", none.ID))); strings.Contains(body, "consultation-context") {
		t.Error("a proposal of no consultation names one")
	}
	// Withdrawn: named, not linked (its page is gone), said withdrawn.
	if err := cw.Store.DeleteConsultation(ctx, mod, cid); err != nil {
		t.Fatal(err)
	}
	body := readBody(cw.get(cw.client(), fmt.Sprintf("/p/%d", p.ID)))
	if !strings.Contains(body, `class="meta consultation-context"`) || strings.Contains(body, link) || !strings.Contains(body, "cons-phase-withdrawn") {
		i := strings.Index(body, "consultation-context")
		t.Errorf("a proposal of a withdrawn consultation links its gone page or does not say it is withdrawn: %s", body[max(i-100, 0):min(i+600, len(body))])
	}
}
