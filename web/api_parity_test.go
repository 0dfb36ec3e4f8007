package web_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
)

// paritySite is an open data site with a moderator, a consultation with
// a map (and one without) and a proposal of ann's in each: what the API
// twins of the management and map pages act on.
type paritySite struct {
	*openDataSite
	mapped, unmapped *models.Consultation
	onMap, offMap    *models.Proposal
	// Tokens of the administrator, a moderator and two members.
	boss, moda, ann, bob string
}

func newParitySite(t *testing.T) *paritySite {
	t.Helper()
	o := newOpenDataSite(t)
	o.Store.SetDataDir(t.TempDir())
	ctx := context.Background()
	o.user("moda", models.RoleModerator)
	p := &paritySite{openDataSite: o, boss: o.token("boss"), moda: o.token("moda"), ann: o.token("ann"), bob: o.token("bob")}
	in := func(title string, withMap bool) models.ConsultationInput {
		return models.ConsultationInput{Title: title, Summary: "What should it become?", Body: "Tell us.", OpensAt: o.Now.Add(-48 * time.Hour),
			ContributionAt: o.Now.Add(-24 * time.Hour), SynthesisAt: o.Now.Add(24 * time.Hour), ClosesAt: o.Now.Add(48 * time.Hour), MapEnabled: withMap}
	}
	var err error
	if p.mapped, err = o.Store.CreateConsultation(ctx, o.admin, "town", in("The new square", true)); err != nil {
		t.Fatal(err)
	}
	if p.unmapped, err = o.Store.CreateConsultation(ctx, o.admin, "town", in("The budget", false)); err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		c   *models.Consultation
		out **models.Proposal
	}{{p.mapped, &p.onMap}, {p.unmapped, &p.offMap}} {
		if *x.out, err = o.Store.CreateProposal(ctx, o.ann.Actor, "town", models.ProposalInput{Title: "Benches for " + x.c.Title,
			Body: "In the shade.", Consultation: x.c.ID}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// decodeInto decodes the JSON text s into v.
func decodeInto(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
}

// apiError is an API error answer.
type apiError struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields"`
}

// call sends body to path with token; it wants status and, for a 422,
// an error naming field.
func (p *paritySite) call(t *testing.T, method, path, token string, body any, status int, field string) map[string]any {
	t.Helper()
	res := p.api(method, path, token, body, nil)
	if res.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, status, readBody(res))
	}
	var out map[string]any
	if res.StatusCode == 422 {
		var e apiError
		decodeInto(t, readBody(res), &e)
		if e.Fields[field] == "" {
			t.Errorf("%s %s: 422 without fields.%s: %+v", method, path, field, e)
		}
	} else if res.StatusCode != 204 {
		decodeInto(t, readBody(res), &out)
	}
	return out
}

var tinyPDF = []byte("%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n")

// TestAPIConsultationDocuments: POST /consultations/{id}/documents takes
// the management page's document form as multipart (moderators only,
// refused before the body is read), and DELETE removes one of that
// consultation's documents.
func TestAPIConsultationDocuments(t *testing.T) {
	p := newParitySite(t)
	docs := "/api/v1/consultations/" + strconv.FormatInt(p.mapped.ID, 10) + "/documents"
	sheet := map[string]string{"kind": "sheet", "title": "The square today", "body": "A car park.", "position": "3"}
	for _, tc := range []struct {
		name, path, token string
		body              any
		status            int
		field             string
	}{
		{"sheet by a moderator", docs, p.moda, multipartBody{fields: sheet}, 201, ""},
		{"file by an administrator", docs, p.boss, multipartBody{fields: map[string]string{"kind": "file", "title": "Plan"},
			file: multipartFile{"file", "plan.pdf", tinyPDF}}, 201, ""},
		{"member", docs, p.ann, multipartBody{fields: sheet}, 403, ""},
		{"member, body not read", docs, p.ann, map[string]string{"kind": "sheet"}, 403, ""},
		{"no token", docs, "", multipartBody{fields: sheet}, 401, ""},
		{"JSON body", docs, p.moda, map[string]string{"kind": "sheet", "title": "JSON", "body": "x"}, 422, "body"},
		{"file kind without a file", docs, p.moda, multipartBody{fields: map[string]string{"kind": "file", "title": "Plan"}}, 422, "file"},
		{"a text file", docs, p.moda, multipartBody{fields: map[string]string{"kind": "file", "title": "Notes"},
			file: multipartFile{"file", "notes.pdf", []byte("plain text")}}, 422, "file"},
		{"unknown kind", docs, p.moda, multipartBody{fields: map[string]string{"kind": "video", "title": "Film"}}, 422, "kind"},
		{"position not a number", docs, p.moda, multipartBody{fields: map[string]string{"kind": "faq", "title": "Who?", "body": "All.", "position": "first"}}, 422, "position"},
		{"no title", docs, p.moda, multipartBody{fields: map[string]string{"kind": "faq", "body": "All."}}, 422, "title"},
		{"position and title both wrong", docs, p.moda, multipartBody{fields: map[string]string{"kind": "faq", "body": "All.", "position": "x"}}, 422, "title"},
		{"unknown consultation", "/api/v1/consultations/9999/documents", p.moda, multipartBody{fields: sheet}, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := p.call(t, "POST", tc.path, tc.token, tc.body, tc.status, tc.field)
			if tc.status != 201 {
				return
			}
			file, _ := d["file"].(map[string]any)
			if d["kind"] == "file" && (file == nil || file["content_type"] != "application/pdf") || d["kind"] == "sheet" && (file != nil || d["position"] != 3.0) {
				t.Errorf("document %v", d)
			}
		})
	}
	ctx := context.Background()
	var listed struct{ Items []struct{ ID, Kind string } }
	if res := p.api("GET", docs, "", nil, &listed); res.StatusCode != 200 || len(listed.Items) != 2 || listed.Items[0].Kind != "file" || listed.Items[1].Kind != "sheet" {
		t.Fatalf("listed documents %d %+v, want the file and the sheet", res.StatusCode, listed.Items)
	}
	doc := docs + "/" + listed.Items[0].ID
	other := "/api/v1/consultations/" + strconv.FormatInt(p.unmapped.ID, 10) + "/documents/" + listed.Items[0].ID
	for _, tc := range []struct {
		name, path, token string
		status            int
	}{
		{"member", doc, p.ann, 403},
		{"another consultation's", other, p.moda, 404},
		{"not an id", docs + "/x", p.moda, 404},
		{"moderator", doc, p.moda, 204},
		{"again", doc, p.moda, 404},
	} {
		t.Run("delete/"+tc.name, func(t *testing.T) {
			p.call(t, "DELETE", tc.path, tc.token, nil, tc.status, "")
		})
	}
	if list, _ := p.Store.Documents(ctx, p.mapped.ID, ""); len(list) != 1 {
		t.Errorf("%d documents left, want 1", len(list))
	}
}

// TestAPIConsultationBanner: POST /consultations/{id}/banner sets the
// image and its text alternative as the management page does; DELETE
// removes it.
func TestAPIConsultationBanner(t *testing.T) {
	p := newParitySite(t)
	banner := "/api/v1/consultations/" + strconv.FormatInt(p.mapped.ID, 10) + "/banner"
	png := multipartFile{"banner", "square.png", imagemetatest.PNG()}
	alt := map[string]string{"banner_alt": "The square at dawn"}
	for _, tc := range []struct {
		name, method, token string
		body                any
		status              int
		field               string
		banner              bool // the answer has a banner
	}{
		{"member", "POST", p.ann, multipartBody{fields: alt, file: png}, 403, "", false},
		{"member, body not read", "POST", p.ann, alt, 403, "", false},
		{"no text alternative", "POST", p.moda, multipartBody{file: png}, 422, "banner_alt", false},
		{"no image", "POST", p.moda, multipartBody{fields: alt}, 422, "banner", false},
		{"a PDF", "POST", p.moda, multipartBody{fields: alt, file: multipartFile{"banner", "plan.pdf", tinyPDF}}, 422, "banner", false},
		{"JSON body", "POST", p.moda, alt, 422, "body", false},
		{"moderator", "POST", p.moda, multipartBody{fields: alt, file: png}, 200, "", true},
		{"member removes", "DELETE", p.ann, nil, 403, "", false},
		{"moderator removes", "DELETE", p.moda, nil, 200, "", false},
		{"removed again", "DELETE", p.moda, nil, 200, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := p.call(t, tc.method, banner, tc.token, tc.body, tc.status, tc.field)
			if tc.status != 200 {
				return
			}
			b, _ := c["banner"].(map[string]any)
			if (b != nil) != tc.banner || b != nil && b["alt"] != alt["banner_alt"] {
				t.Errorf("banner %v, want one: %v", c["banner"], tc.banner)
			}
			got, err := p.Store.ConsultationByID(context.Background(), p.mapped.ID)
			if err != nil || (got.BannerID != nil) != tc.banner {
				t.Errorf("stored banner %v (%v), want one: %v", got.BannerID, err, tc.banner)
			}
		})
	}
}

// TestAPIContributionLocation: POST /{kind}/{id}/location places an
// attached contribution on its consultation's map, for its author or a
// moderator, as the map page does; DELETE takes it off.
func TestAPIContributionLocation(t *testing.T) {
	p := newParitySite(t)
	loc := func(id int64) string { return "/api/v1/proposals/" + strconv.FormatInt(id, 10) + "/location" }
	here := map[string]any{"lat": 48.85, "lon": 2.35}
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		status                    int
		field                     string
		placed                    bool // on the map afterwards
	}{
		{"no token", "POST", loc(p.onMap.ID), "", here, 401, "", false},
		{"another member", "POST", loc(p.onMap.ID), p.bob, here, 403, "", false},
		{"latitude out of range", "POST", loc(p.onMap.ID), p.ann, map[string]any{"lat": 91, "lon": 2.35}, 422, "lat", false},
		{"no longitude", "POST", loc(p.onMap.ID), p.ann, map[string]any{"lat": 48.85}, 422, "lon", false},
		{"coordinates as text", "POST", loc(p.onMap.ID), p.ann, map[string]any{"lat": "48.85", "lon": "2.35"}, 422, "body", false},
		{"consultation without a map", "POST", loc(p.offMap.ID), p.ann, here, 422, "lat", false},
		{"contribution to no consultation", "POST", loc(p.shown.ID), p.ann, here, 422, "kind", false},
		{"unknown proposal", "POST", loc(9999), p.ann, here, 404, "", false},
		{"its author", "POST", loc(p.onMap.ID), p.ann, here, 204, "", true},
		{"another member takes it off", "DELETE", loc(p.onMap.ID), p.bob, nil, 403, "", true},
		{"its author takes it off", "DELETE", loc(p.onMap.ID), p.ann, nil, 204, "", false},
		{"a moderator", "POST", loc(p.onMap.ID), p.moda, map[string]any{"lat": -33.9, "lon": 151.2}, 204, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.call(t, tc.method, tc.path, tc.token, tc.body, tc.status, tc.field)
			pts, err := p.Store.MapPoints(context.Background(), p.mapped.ID)
			if err != nil {
				t.Fatal(err)
			}
			if placed := len(pts) == 1 && pts[0].ID == p.onMap.ID; placed != tc.placed || len(pts) > 1 {
				t.Errorf("map points %+v, want the proposal placed: %v", pts, tc.placed)
			}
		})
	}
	// The debate and petition routes reach the same rule.
	for _, kind := range []string{"debates", "petitions"} {
		p.call(t, "POST", "/api/v1/"+kind+"/9999/location", p.ann, here, 404, "")
	}
}

// TestAPIDeadDeliveries: administrators list the dead letters and queue
// one again, as on /admin/federation; moderators and members get 403.
func TestAPIDeadDeliveries(t *testing.T) {
	p := newParitySite(t)
	ctx := context.Background()
	const activity = "https://example.org/activities/lost"
	if _, err := p.Store.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: activity, Body: []byte("{}"), SignerID: p.admin.Actor.ID,
		Inboxes: []string{"https://gone.example/inbox"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Store.DB.NewUpdate().Model((*models.Delivery)(nil)).Set("state = ?", models.DeliveryDead).Set("last_status = 410").
		Where("activity_id = ?", activity).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	jobs, err := p.Store.DeliveriesFor(ctx, activity)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("deliveries: %v %d", err, len(jobs))
	}
	retry := "/api/v1/deliveries/" + strconv.FormatInt(jobs[0].ID, 10) + "/retry"
	for _, tc := range []struct {
		name, method, path, token string
		status                    int
		dead                      int // dead letters listed (GET)
	}{
		{"member lists", "GET", "/api/v1/deliveries/dead", p.ann, 403, 0},
		{"moderator lists", "GET", "/api/v1/deliveries/dead", p.moda, 403, 0},
		{"administrator lists", "GET", "/api/v1/deliveries/dead", p.boss, 200, 1},
		{"moderator retries", "POST", retry, p.moda, 403, 0},
		{"not an id", "POST", "/api/v1/deliveries/x/retry", p.boss, 404, 0},
		{"administrator retries", "POST", retry, p.boss, 204, 0},
		{"not dead any more", "POST", retry, p.boss, 404, 0},
		{"none left", "GET", "/api/v1/deliveries/dead", p.boss, 200, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := p.call(t, tc.method, tc.path, tc.token, nil, tc.status, "")
			if tc.method == "GET" && tc.status == 200 {
				items, _ := out["items"].([]any)
				if len(items) != tc.dead {
					t.Fatalf("dead letters %v, want %d", out, tc.dead)
				}
				if tc.dead == 1 && (items[0].(map[string]any)["host"] != "gone.example" || items[0].(map[string]any)["last_status"] != 410.0) {
					t.Errorf("dead letter %v", items[0])
				}
			}
		})
	}
	if jobs, _ := p.Store.DeliveriesFor(ctx, activity); jobs[0].State != models.DeliveryPending || jobs[0].Attempts != 0 {
		t.Errorf("retried delivery %s after %d attempts, want pending, 0", jobs[0].State, jobs[0].Attempts)
	}
}

// TestAPIAccountExportAndDeletion: GET /account/export answers the
// account page's download, and DELETE /account erases the caller's own
// account once its user name is typed again, as on the account page, and
// its password given: a token alone is not enough.
func TestAPIAccountExportAndDeletion(t *testing.T) {
	p := newParitySite(t)
	export := p.call(t, "GET", "/api/v1/account/export", p.ann, nil, 200, "")
	tables, _ := export["tables"].(map[string]any)
	if rows, _ := tables["accounts"].([]any); len(rows) != 1 || rows[0].(map[string]any)["username"] != "ann" {
		t.Errorf("export's accounts %v, want ann's row", tables["accounts"])
	}
	if _, ok := tables["proposals"]; !ok {
		t.Errorf("export without ann's proposals: %v", export)
	}
	p.call(t, "GET", "/api/v1/account/export", "", nil, 401, "")
	for _, tc := range []struct {
		name, token string
		body        any
		status      int
		field       string
	}{
		{"no token", "", map[string]string{"confirm": "bob", "current_password": testPassword}, 401, ""},
		{"no body", p.bob, nil, 422, "body"},
		{"another's name", p.bob, map[string]string{"confirm": "ann", "current_password": testPassword}, 422, "confirm"},
		{"name in other case", p.bob, map[string]string{"confirm": "BOB", "current_password": testPassword}, 422, "confirm"},
		{"unknown field", p.bob, map[string]string{"confirm": "bob", "password": "x"}, 422, "body"},
		{"token alone, no password", p.bob, map[string]string{"confirm": "bob"}, 422, "current_password"},
		{"wrong password", p.bob, map[string]string{"confirm": "bob", "current_password": "a wrong guess"}, 422, "current_password"},
		{"own name and password", p.bob, map[string]string{"confirm": "bob", "current_password": testPassword}, 204, ""},
		{"token of the erased account", p.bob, map[string]string{"confirm": "bob", "current_password": testPassword}, 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.call(t, "DELETE", "/api/v1/account", tc.token, tc.body, tc.status, tc.field)
		})
	}
	if _, err := p.Store.AccountByUsername(context.Background(), "ann"); err != nil {
		t.Errorf("ann's account: %v", err)
	}
}
