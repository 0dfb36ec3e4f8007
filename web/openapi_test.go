package web_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
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
// are JSON Schema 2020-12), closed by closeSchemas and with formats
// (date-time, uri) asserted.
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
	closeSchemas(inst.(map[string]any))
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(specURL, inst); err != nil {
		t.Fatal(err)
	}
	return c
}

const specURL = "https://odn.example/openapi.json"

// closeSchemas makes a copy of the spec strict for validation: JSON
// Schema lets an object hold properties its schema does not name, so a
// field the API returns but the spec does not declare would pass. Every
// place where a schema describes a value of its own (a property, an
// array item, a map value) gets unevaluatedProperties: false, which sees
// through $ref, allOf and oneOf; the named schemas stay open, since
// others extend them with allOf or $ref, and "x-closed" holds a closed
// entry point for each (the root of an answer).
func closeSchemas(doc map[string]any) {
	components, _ := doc["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	closed := map[string]any{}
	for name, s := range schemas {
		closeWithin(s)
		closed[name] = map[string]any{"$ref": "#/components/schemas/" + name, "unevaluatedProperties": false}
	}
	doc["x-closed"] = closed
}

// closeWithin closes the schemas of the values inside s's value.
func closeWithin(v any) {
	s, ok := v.(map[string]any)
	if !ok {
		return
	}
	closeValue := func(v any) {
		if sub, ok := v.(map[string]any); ok {
			_, open := sub["additionalProperties"]
			if _, set := sub["unevaluatedProperties"]; !open && !set {
				sub["unevaluatedProperties"] = false
			}
			closeWithin(sub)
		}
	}
	for _, k := range []string{"properties", "patternProperties"} {
		props, _ := s[k].(map[string]any)
		for _, p := range props {
			closeValue(p)
		}
	}
	closeValue(s["items"])
	closeValue(s["additionalProperties"])
	for _, k := range []string{"allOf", "anyOf", "oneOf", "prefixItems"} {
		list, _ := s[k].([]any)
		for _, sub := range list {
			if k == "prefixItems" {
				closeValue(sub)
			} else {
				closeWithin(sub) // the same value: stays open, as a named schema
			}
		}
	}
	closeWithin(s["not"])
}

// checkBody validates the JSON body got of op's answer with status
// against the schema the spec declares for them, closed: a field it does
// not declare fails as a wrong type or a missing required field does.
func checkBody(t *testing.T, c *jsonschema.Compiler, doc, op map[string]any, status int, got any) error {
	t.Helper()
	ref := responseSchemaRef(t, doc, op, status)
	name, ok := strings.CutPrefix(ref, "#/components/schemas/")
	if !ok {
		t.Fatalf("response %d: schema %s is not a named schema", status, ref)
	}
	sch, err := c.Compile(specURL + "#/x-closed/" + name)
	if err != nil {
		t.Fatalf("compile %s: %v", ref, err)
	}
	if err := sch.Validate(got); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return fmt.Errorf("does not match %s: %w", ref, err)
		}
		return fmt.Errorf("does not match %s:%s", ref, schemaErrors(ve))
	}
	return nil
}

// schemaErrors lists the failures of a validation once per field (array
// indices as *). When a field fails, its object's declared fields count
// as undeclared too (JSON Schema drops the annotations of a failing
// schema), so the undeclared ones come last.
func schemaErrors(ve *jsonschema.ValidationError) string {
	var wrong, undeclared []string
	p := message.NewPrinter(language.English)
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		for _, c := range e.Causes {
			walk(c)
		}
		if len(e.Causes) > 0 {
			return
		}
		loc := make([]string, len(e.InstanceLocation))
		for i, part := range e.InstanceLocation {
			if _, err := strconv.Atoi(part); err == nil {
				part = "*"
			}
			loc[i] = part
		}
		at := "/" + strings.Join(loc, "/")
		if _, ok := e.ErrorKind.(*kind.FalseSchema); ok {
			undeclared = append(undeclared, "\n\t"+at+": not declared")
		} else {
			wrong = append(wrong, "\n\t"+at+": "+e.ErrorKind.LocalizedString(p))
		}
	}
	walk(ve)
	slices.Sort(wrong)
	slices.Sort(undeclared)
	return strings.Join(slices.Compact(wrong), "") + strings.Join(slices.Compact(undeclared), "")
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

// TestAPICORSAllowsEveryMethod: a browser's preflight of any API route
// is told every method the API serves, so a page on another origin may
// send each of them (with a token) and not only GET, POST and DELETE.
func TestAPICORSAllowsEveryMethod(t *testing.T) {
	e := newEnv(t)
	srv, err := web.New(web.Options{Store: e.Store, BaseURL: e.URL, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodOptions, "/api/v1/debates/1", nil)
	req.Header.Set("Origin", "https://elsewhere.example")
	req.Header.Set("Access-Control-Request-Method", http.MethodPatch)
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	allowed := strings.Split(strings.ReplaceAll(rec.Header().Get("Access-Control-Allow-Methods"), " ", ""), ",")
	if rec.Code != http.StatusNoContent {
		t.Fatalf("preflight: %d", rec.Code)
	}
	for _, route := range apiRoutes(t, srv.Handler()) {
		if method, _, _ := strings.Cut(route, " "); !slices.Contains(allowed, method) {
			t.Errorf("%s: its method is not in Access-Control-Allow-Methods %v", route, allowed)
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
