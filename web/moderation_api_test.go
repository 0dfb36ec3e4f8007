package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestModerationAPI: the report queue and the moderators' actions through
// the API, each answer checked against docs/openapi.yaml; members are
// refused before their input is read; disabling an account closes its
// reports as the queue page does.
func TestModerationAPI(t *testing.T) {
	e := newDebateEnv(t)
	doc := loadOpenAPI(t)
	schemas := schemaCompiler(t, doc)
	paths := doc["paths"].(map[string]any)
	bossTok := e.token("boss")
	debate := e.openDebate(t, map[string]any{"question": "Which colour?", "options": []string{"Red", "Blue"}})
	for _, in := range []map[string]any{
		{"object_type": "account", "object_id": "bob", "reason": "spam in every debate"},
		{"object_type": "debate", "object_id": debate, "reason": "off topic"},
	} {
		if res := e.api("POST", "/api/v1/reports", e.annTok, in, nil); res.StatusCode != http.StatusCreated {
			t.Fatalf("report %v: %d", in, res.StatusCode)
		}
	}
	type page struct {
		Items []struct {
			ID, Status, Reason, Reporter, Resolution string
			ObjectType                               string `json:"object_type"`
			ObjectID                                 string `json:"object_id"`
			Target                                   struct {
				Label    string
				Disabled bool
				Hidden   bool
			}
		}
		NextCursor string `json:"next_cursor"`
	}
	// call runs one request and validates its answer against the spec.
	call := func(method, template, path, token string, body any, want int, out any) {
		t.Helper()
		res := e.api(method, "/api/v1"+path, token, body, nil)
		var got any
		if raw := readBody(res); raw != "" {
			if err := json.Unmarshal([]byte(raw), &got); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
		}
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, readBody(res))
		}
		op, _ := paths[template].(map[string]any)[strings.ToLower(method)].(map[string]any)
		if op == nil {
			t.Fatalf("%s %s is not documented", method, template)
		}
		if res.StatusCode == http.StatusNoContent {
			if op["responses"].(map[string]any)["204"] == nil {
				t.Fatalf("%s %s: 204 is not documented", method, template)
			}
			return
		}
		ref := responseSchemaRef(t, doc, op, res.StatusCode)
		if ref == "" {
			t.Fatalf("%s %s: status %d is not documented", method, template, res.StatusCode)
		}
		sch, err := schemas.Compile("https://odn.example/openapi.json" + ref)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(got); err != nil {
			t.Fatalf("%s %s (%d) does not match %s: %v", method, path, res.StatusCode, ref, err)
		}
		if out != nil {
			if err := json.Unmarshal([]byte(readBody(res)), out); err != nil {
				t.Fatal(err)
			}
		}
	}

	call("GET", "/reports", "/reports", e.annTok, nil, http.StatusForbidden, nil)
	call("POST", "/moderation/hide", "/moderation/hide", e.annTok, nil, http.StatusForbidden, nil) // no body: refused before it is read
	call("GET", "/reports", "/reports?status=later", e.modTok, nil, http.StatusUnprocessableEntity, nil)
	call("GET", "/reports", "/reports?cursor=x", e.modTok, nil, http.StatusUnprocessableEntity, nil)
	var p1, p2 page
	call("GET", "/reports", "/reports?limit=1", e.modTok, nil, http.StatusOK, &p1)
	if len(p1.Items) != 1 || p1.NextCursor == "" || p1.Items[0].ObjectType != "debate" || p1.Items[0].Reporter == "" {
		t.Fatalf("first page %+v", p1)
	}
	call("GET", "/reports", "/reports?limit=1&cursor="+p1.NextCursor, e.modTok, nil, http.StatusOK, &p2)
	if len(p2.Items) != 1 || p2.Items[0].ObjectID != "bob" || p2.Items[0].Target.Label != "@bob" || p2.Items[0].Reason != "spam in every debate" {
		t.Fatalf("second page %+v", p2)
	}

	hide := map[string]any{"object_type": "debate", "object_id": debate, "reason": "off topic"}
	call("POST", "/moderation/hide", "/moderation/hide", e.modTok, hide, http.StatusNoContent, nil)
	call("POST", "/moderation/hide", "/moderation/hide", e.modTok, hide, http.StatusConflict, nil)
	call("POST", "/moderation/hide", "/moderation/hide", e.modTok, map[string]any{"object_type": "space", "object_id": "1"}, http.StatusNotFound, nil)
	call("POST", "/accounts/{name}/disable", "/accounts/boss/disable", e.modTok, nil, http.StatusForbidden, nil)
	call("POST", "/accounts/{name}/disable", "/accounts/modo/disable", e.modTok, nil, http.StatusUnprocessableEntity, nil)
	call("POST", "/accounts/{name}/disable", "/accounts/bob/disable", e.modTok, map[string]string{"reason": "spam"}, http.StatusNoContent, nil)
	call("POST", "/accounts/{name}/disable", "/accounts/bob/disable", e.modTok, nil, http.StatusConflict, nil)
	if _, err := e.Store.Authenticate(context.Background(), "bob", testPassword); err == nil {
		t.Error("bob logs in, disabled through the API")
	}
	var open, done page
	call("GET", "/reports", "/reports", e.modTok, nil, http.StatusOK, &open)
	call("GET", "/reports", "/reports?status=actioned", e.modTok, nil, http.StatusOK, &done)
	if len(open.Items) != 0 || len(done.Items) != 2 {
		t.Fatalf("after hiding and disabling: %d open, %d actioned, want 0 and 2", len(open.Items), len(done.Items))
	}
	for _, it := range done.Items {
		if it.Resolution == "" || (it.ObjectType == "account") != it.Target.Disabled || (it.ObjectType == "debate") != it.Target.Hidden {
			t.Errorf("actioned report %+v", it)
		}
	}
	call("POST", "/reports/{id}/dismiss", "/reports/"+done.Items[0].ID+"/dismiss", e.modTok, nil, http.StatusNotFound, nil) // closed already
	call("POST", "/moderation/restore", "/moderation/restore", e.modTok, hide, http.StatusNoContent, nil)
	// Modo disabled bob, so modo may re-enable him; an administrator's
	// disabling is not a moderator's to undo.
	call("POST", "/accounts/{name}/enable", "/accounts/bob/enable", e.modTok, nil, http.StatusNoContent, nil)
	call("POST", "/accounts/{name}/disable", "/accounts/bob/disable", bossTok, nil, http.StatusNoContent, nil)
	var refused struct{ Error string }
	call("POST", "/accounts/{name}/enable", "/accounts/bob/enable", e.modTok, nil, http.StatusForbidden, &refused)
	if !strings.Contains(refused.Error, "only an administrator can re-enable") {
		t.Errorf("a moderator refused re-enabling is told %q", refused.Error)
	}
	call("POST", "/accounts/{name}/enable", "/accounts/bob/enable", bossTok, nil, http.StatusNoContent, nil)

	// Dismissing an open report, with a note.
	e.user("cleo", models.RoleMember)
	if res := e.api("POST", "/api/v1/reports", e.token("cleo"), map[string]any{"object_type": "debate", "object_id": debate, "reason": "again"}, nil); res.StatusCode != http.StatusCreated {
		t.Fatalf("report again: %d", res.StatusCode)
	}
	call("GET", "/reports", "/reports", e.modTok, nil, http.StatusOK, &open)
	if len(open.Items) != 1 {
		t.Fatalf("%d open reports, want 1", len(open.Items))
	}
	call("POST", "/reports/{id}/dismiss", "/reports/"+open.Items[0].ID+"/dismiss", e.modTok, map[string]string{"note": "fine"}, http.StatusNoContent, nil)
	var dismissed page
	call("GET", "/reports", "/reports?status=dismissed", e.modTok, nil, http.StatusOK, &dismissed)
	if len(dismissed.Items) != 1 || dismissed.Items[0].Resolution != "fine" {
		t.Errorf("dismissed %+v", dismissed)
	}
}

// TestReporterErased: once a member who filed a report deletes their
// account, the queue shows the report as by a deleted account (as
// docs/admin.md says), on the page and in the API, not their user name.
func TestReporterErased(t *testing.T) {
	e := newDebateEnv(t)
	debate := e.openDebate(t, map[string]any{"question": "Which colour?", "options": []string{"Red", "Blue"}})
	in := map[string]any{"object_type": "debate", "object_id": debate, "reason": "off topic"}
	if res := e.api("POST", "/api/v1/reports", e.annTok, in, nil); res.StatusCode != http.StatusCreated {
		t.Fatalf("report: %d", res.StatusCode)
	}
	if err := e.Store.DeleteAccount(context.Background(), e.ann); err != nil {
		t.Fatal(err)
	}
	page := readBody(e.get(e.loggedIn("modo"), "/moderation"))
	if !strings.Contains(page, "off topic") {
		t.Fatalf("the report is not in the queue")
	}
	if strings.Contains(page, "ann@") || !strings.Contains(page, "deleted account") {
		t.Errorf("the queue names the deleted reporter instead of a deleted account")
	}
	var out struct{ Items []map[string]any }
	if res := e.api("GET", "/api/v1/reports", e.token("boss"), nil, &out); res.StatusCode != http.StatusOK || len(out.Items) != 1 {
		t.Fatalf("reports: %d %v", res.StatusCode, out)
	}
	if r, ok := out.Items[0]["reporter"]; ok {
		t.Errorf("the API names the deleted reporter: %v", r)
	}
}
