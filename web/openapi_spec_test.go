package web_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIIsStrictlyValid decodes docs/openapi.yaml into the OpenAPI
// 3.1 objects with known keys only, then checks what a decoder cannot:
// no null where an object is expected, status codes as keys of
// responses, descriptions where they are required, JSON Schema type
// names, and every local $ref pointing at something.
func TestOpenAPIIsStrictlyValid(t *testing.T) {
	raw := loadOpenAPI(t)
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	var doc oasDocument
	if err := decodeStrict(b, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml is not a valid OpenAPI 3.1 document: %v", err)
	}
	checkOpenAPIDocument(t, &doc)
	checkRefs(t, raw, raw, "#")
}

var statusKey = regexp.MustCompile(`^(default|[1-5]([0-9][0-9]|XX))$`)

func checkOpenAPIDocument(t *testing.T, doc *oasDocument) {
	t.Helper()
	if doc.Info.Title == "" || doc.Info.Version == "" {
		t.Error("info needs a title and a version")
	}
	for p, item := range doc.Paths {
		if item == nil {
			t.Errorf("paths[%s] is null", p)
			continue
		}
		checkParameters(t, "paths["+p+"]", item.Parameters)
		for m, op := range item.operations() {
			where := m + " " + p
			if len(op.Responses) == 0 {
				t.Errorf("%s: no responses", where)
			}
			checkParameters(t, where, op.Parameters)
			if op.RequestBody != nil {
				checkContent(t, where+" requestBody", op.RequestBody.Content)
			}
			for code, r := range op.Responses {
				if !statusKey.MatchString(code) {
					t.Errorf("%s: response key %q is no status code", where, code)
				}
				checkResponse(t, where+" "+code, r)
			}
		}
	}
	c := doc.Components
	for name, r := range c.Responses {
		checkResponse(t, "components.responses."+name, r)
	}
	for name, p := range c.Parameters {
		checkParameters(t, "components.parameters."+name, []*oasParameter{p})
	}
	for name, s := range c.Schemas {
		checkSchema(t, "components.schemas."+name, s)
	}
}

func checkParameters(t *testing.T, where string, params []*oasParameter) {
	t.Helper()
	for i, p := range params {
		switch {
		case p == nil:
			t.Errorf("%s: parameter %d is null", where, i)
		case p.Ref != "":
		case p.Name == "" || !slices.Contains([]string{"query", "header", "path", "cookie"}, p.In):
			t.Errorf("%s: parameter %d needs a name and in (query, header, path or cookie)", where, i)
		case (p.Schema == nil) == (p.Content == nil):
			t.Errorf("%s: parameter %s needs a schema or a content, not both", where, p.Name)
		case p.In == "path" && !p.Required:
			t.Errorf("%s: path parameter %s must be required", where, p.Name)
		default:
			checkSchema(t, where+" parameter "+p.Name, p.Schema)
		}
	}
}

func checkResponse(t *testing.T, where string, r *oasResponse) {
	t.Helper()
	switch {
	case r == nil:
		t.Errorf("%s: null response", where)
	case r.Ref != "":
	case r.Description == "":
		t.Errorf("%s: a response needs a description", where)
	default:
		checkContent(t, where, r.Content)
		for name, h := range r.Headers {
			if h == nil {
				t.Errorf("%s: header %s is null", where, name)
			} else if h.Schema != nil {
				checkSchema(t, where+" header "+name, h.Schema)
			}
		}
	}
}

func checkContent(t *testing.T, where string, content map[string]*oasMediaType) {
	t.Helper()
	for mt, m := range content {
		if m == nil || m.Schema == nil {
			t.Errorf("%s: %s has no schema", where, mt)
			continue
		}
		checkSchema(t, where+" "+mt, m.Schema)
	}
}

var jsonTypes = []string{"null", "boolean", "object", "array", "number", "string", "integer"}

// checkSchema walks a schema: every subschema present, types named as
// JSON Schema names them.
func checkSchema(t *testing.T, where string, s *oasSchema) {
	t.Helper()
	if s == nil {
		t.Errorf("%s: null schema (a key without a value?)", where)
		return
	}
	if s.Bool != nil {
		return
	}
	var types []any
	switch v := s.Type.(type) {
	case nil:
	case string:
		types = []any{v}
	case []any:
		types = v
	default:
		t.Errorf("%s: type %v is neither a name nor a list", where, v)
	}
	for _, ty := range types {
		if name, _ := ty.(string); !slices.Contains(jsonTypes, name) {
			t.Errorf("%s: type %v is not a JSON Schema type", where, ty)
		}
	}
	for name, sub := range s.Properties {
		checkSchema(t, where+"."+name, sub)
	}
	for i, list := range [][]*oasSchema{s.AllOf, s.AnyOf, s.OneOf, s.PrefixItems} {
		for j, sub := range list {
			checkSchema(t, fmt.Sprintf("%s[%s %d]", where, []string{"allOf", "anyOf", "oneOf", "prefixItems"}[i], j), sub)
		}
	}
	for name, sub := range map[string]*oasSchema{"items": s.Items, "additionalProperties": s.AdditionalProperties,
		"not": s.Not, "contains": s.Contains, "unevaluatedProperties": s.UnevaluatedProperties} {
		if sub != nil {
			checkSchema(t, where+"."+name, sub)
		}
	}
}

// checkRefs reports every local $ref of v that points at nothing in doc.
func checkRefs(t *testing.T, doc, v any, at string) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, sub := range v {
			if ref, ok := sub.(string); ok && k == "$ref" {
				if strings.HasPrefix(ref, "#") && resolvePointer(doc, ref) == nil {
					t.Errorf("%s: $ref %s points at nothing", at, ref)
				}
				continue
			}
			checkRefs(t, doc, sub, at+"/"+k)
		}
	case []any:
		for i, sub := range v {
			checkRefs(t, doc, sub, fmt.Sprintf("%s/%d", at, i))
		}
	}
}

// resolvePointer follows a "#/a/b" JSON pointer in doc (nil if absent).
func resolvePointer(doc any, ref string) any {
	cur := doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[part]; !ok {
			return nil
		}
	}
	return cur
}
