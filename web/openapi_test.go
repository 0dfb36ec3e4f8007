package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/opendemocracynow/odn/docs"
	"github.com/opendemocracynow/odn/web"
)

// apiRoutes walks the real router and returns every /api/v1 route as
// "METHOD /path" in OpenAPI form (the /api/v1 prefix removed).
func apiRoutes(t *testing.T, h http.Handler) []string {
	t.Helper()
	routes, ok := h.(chi.Routes)
	if !ok {
		t.Fatalf("Server.Handler() is %T, not a chi router", h)
	}
	var out []string
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if p, ok := strings.CutPrefix(route, "/api/v1"); ok && p != "/*" && p != "" {
			out = append(out, method+" "+strings.TrimSuffix(p, "/"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(docs.OpenAPI, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		t.Fatalf("docs/openapi.yaml: openapi %q, want 3.1.x", v)
	}
	return doc
}

// documentedRoutes lists "METHOD /path" for every operation of the spec.
func documentedRoutes(doc map[string]any) []string {
	var out []string
	paths, _ := doc["paths"].(map[string]any)
	for p, item := range paths {
		ops, _ := item.(map[string]any)
		for m := range ops {
			switch m {
			case "get", "post", "put", "patch", "delete":
				out = append(out, strings.ToUpper(m)+" "+p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// schemaCompiler compiles schemas out of the spec (OpenAPI 3.1 schemas
// are JSON Schema 2020-12).
func schemaCompiler(t *testing.T, doc map[string]any) *jsonschema.Compiler {
	t.Helper()
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("https://odn.example/openapi.json", inst); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOpenAPIListsRoutes(t *testing.T) {
	e := newEnv(t)
	srv, err := web.New(web.Options{Store: e.Store, BaseURL: e.URL, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	real := apiRoutes(t, srv.Handler())
	doc := loadOpenAPI(t)
	documented := documentedRoutes(doc)
	for _, r := range real {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in docs/openapi.yaml", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(real, d) {
			t.Errorf("docs/openapi.yaml documents %s, which the router does not serve", d)
		}
	}
	if t.Failed() {
		t.Logf("routes served:\n%s", strings.Join(real, "\n"))
	}
	// Every documented operation has an operationId and a response.
	paths := doc["paths"].(map[string]any)
	for p, item := range paths {
		for m, op := range item.(map[string]any) {
			o, ok := op.(map[string]any)
			if !ok || m == "parameters" {
				continue
			}
			if o["operationId"] == nil || o["responses"] == nil {
				t.Errorf("%s %s: missing operationId or responses", m, p)
			}
		}
	}
}

// TestOpenAPIResponsesMatchSchemas calls the API on a populated instance
// and validates each answer against the schema the spec declares for its
// operation and status.
func TestOpenAPIResponsesMatchSchemas(t *testing.T) {
	o := newOpenDataSite(t)
	doc := loadOpenAPI(t)
	c := schemaCompiler(t, doc)
	paths := doc["paths"].(map[string]any)
	tok := o.token("bob")
	var commentID string
	cases := []struct {
		method, template, path, token string
		body                          any
		status                        int
	}{
		{"GET", "/instance", "/instance", "", nil, 200},
		{"GET", "/spaces", "/spaces", "", nil, 200},
		{"GET", "/spaces/{name}", "/spaces/town", "", nil, 200},
		{"GET", "/spaces/{name}", "/spaces/nowhere", "", nil, 404},
		{"GET", "/spaces/{name}/proposals", "/spaces/town/proposals", "", nil, 200},
		{"GET", "/proposals/{id}", fmt.Sprintf("/proposals/%d", o.shown.ID), tok, nil, 200},
		{"GET", "/proposals/{id}", "/proposals/99999", "", nil, 404},
		{"GET", "/spaces/{name}/debates", "/spaces/town/debates", "", nil, 200},
		{"GET", "/debates/{id}", fmt.Sprintf("/debates/%d", o.debate.ID), tok, nil, 200},
		{"GET", "/debates/{id}/results", fmt.Sprintf("/debates/%d/results", o.debate.ID), "", nil, 200},
		{"GET", "/spaces/{name}/petitions", "/spaces/town/petitions", "", nil, 200},
		{"GET", "/petitions/{id}", fmt.Sprintf("/petitions/%d", o.petition.ID), "", nil, 200},
		{"POST", "/proposals/{id}/comments", fmt.Sprintf("/proposals/%d/comments", o.shown.ID), tok, map[string]string{"body": "Yes, with benches."}, 201},
		{"POST", "/proposals/{id}/comments", fmt.Sprintf("/proposals/%d/comments", o.shown.ID), tok, map[string]string{"body": ""}, 422},
		{"POST", "/proposals/{id}/comments", fmt.Sprintf("/proposals/%d/comments", o.shown.ID), "", map[string]string{"body": "anonymous"}, 401},
		{"GET", "/proposals/{id}/comments", fmt.Sprintf("/proposals/%d/comments", o.shown.ID), "", nil, 200},
		{"GET", "/debates/{id}/comments", fmt.Sprintf("/debates/%d/comments", o.debate.ID), "", nil, 200},
		{"GET", "/petitions/{id}/comments", fmt.Sprintf("/petitions/%d/comments", o.petition.ID), "", nil, 200},
		{"GET", "/comments/{id}", "COMMENT", "", nil, 200},
		{"POST", "/proposals/{id}/support", fmt.Sprintf("/proposals/%d/support", o.shown.ID), o.token("cyd"), nil, 200},
		{"DELETE", "/proposals/{id}/support", fmt.Sprintf("/proposals/%d/support", o.shown.ID), o.token("cyd"), nil, 200},
		{"POST", "/petitions/{id}/signatures", fmt.Sprintf("/petitions/%d/signatures", o.petition.ID), o.token("ann"), map[string]bool{"public": true}, 0},
		{"POST", "/debates/{id}/votes", fmt.Sprintf("/debates/%d/votes", o.debate.ID), tok, map[string][]string{"options": {"Sunday"}}, 409},
		{"GET", "/spaces/{name}/consultations", "/spaces/town/consultations", "", nil, 200},
		{"GET", "/spaces/{name}/news", "/spaces/town/news", "", nil, 200},
		{"GET", "/follows", "/follows", tok, nil, 200},
		{"GET", "/notifications", "/notifications", tok, nil, 200},
	}
	for _, tc := range cases {
		path := tc.path
		if path == "COMMENT" {
			path = "/comments/" + commentID
		}
		var got any
		res := o.api(tc.method, "/api/v1"+path, tc.token, tc.body, &got)
		if tc.status != 0 && res.StatusCode != tc.status {
			t.Errorf("%s %s: status %d, want %d: %s", tc.method, path, res.StatusCode, tc.status, readBody(res))
			continue
		}
		if tc.status == 201 && strings.HasSuffix(path, "/comments") {
			commentID, _ = got.(map[string]any)["id"].(string)
		}
		op, _ := paths[tc.template].(map[string]any)[strings.ToLower(tc.method)].(map[string]any)
		if op == nil {
			t.Errorf("%s %s: not documented", tc.method, tc.template)
			continue
		}
		ref := responseSchemaRef(t, doc, op, res.StatusCode)
		if ref == "" {
			t.Errorf("%s %s: status %d is not documented", tc.method, tc.template, res.StatusCode)
			continue
		}
		sch, err := c.Compile("https://odn.example/openapi.json" + ref)
		if err != nil {
			t.Fatalf("compile %s: %v", ref, err)
		}
		if err := sch.Validate(got); err != nil {
			t.Errorf("%s %s (%d) does not match %s: %v", tc.method, path, res.StatusCode, ref, err)
		}
	}
}

// responseSchemaRef returns the "#/components/schemas/…" reference of the
// JSON body of an operation's response for status.
func responseSchemaRef(t *testing.T, doc map[string]any, op map[string]any, status int) string {
	t.Helper()
	resp, _ := op["responses"].(map[string]any)[fmt.Sprint(status)].(map[string]any)
	if resp == nil {
		return ""
	}
	if ref, ok := resp["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/responses/")
		resp = doc["components"].(map[string]any)["responses"].(map[string]any)[name].(map[string]any)
	}
	content, _ := resp["content"].(map[string]any)
	js, _ := content["application/json"].(map[string]any)
	sch, _ := js["schema"].(map[string]any)
	ref, _ := sch["$ref"].(string)
	if ref == "" {
		t.Fatalf("response %d has no JSON schema $ref", status)
	}
	return ref
}
