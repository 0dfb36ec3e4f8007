package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// apiOp is one operation of docs/openapi.yaml.
type apiOp struct {
	method, template string
	spec             map[string]any
}

// apiOps lists the operations of the spec, sorted (every method the
// router serves: documentedRoutes' list).
func apiOps(doc map[string]any) []apiOp {
	var ops []apiOp
	for p, item := range doc["paths"].(map[string]any) {
		for m, op := range item.(map[string]any) {
			switch m {
			case "get", "post", "put", "patch", "delete":
				ops = append(ops, apiOp{strings.ToUpper(m), p, op.(map[string]any)})
			}
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].template+ops[i].method < ops[j].template+ops[j].method })
	return ops
}

func (op apiOp) declares(status int) bool {
	_, ok := op.spec["responses"].(map[string]any)[fmt.Sprint(status)]
	return ok
}

// TestOpenAPIDeclaresStatuses: the answers an operation gives whatever
// its handler does are in docs/openapi.yaml: 400 for a NUL byte or
// invalid UTF-8 in the path or query (refuseBadText, before any route),
// 422 for a JSON body that is not JSON (decodeJSON), and 429 with
// Retry-After on every write (apiWriteLimit). Every operation is called
// with such requests; whatever status it answers must be declared, with
// a body that matches the declared schema.
func TestOpenAPIDeclaresStatuses(t *testing.T) {
	o := newOpenDataSite(t)
	doc := loadOpenAPI(t)
	c := schemaCompiler(t, doc)
	ops := apiOps(doc)
	components := doc["components"].(map[string]any)["responses"].(map[string]any)
	if h, _ := components["TooManyRequests"].(map[string]any)["headers"].(map[string]any); h["Retry-After"] == nil {
		t.Error("the TooManyRequests response declares no Retry-After header")
	}
	// call sends one request and checks that its status is declared,
	// with a matching body.
	call := func(op apiOp, query, token, body string) *http.Response {
		t.Helper()
		path := strings.NewReplacer("{name}", "town", "{id}", fmt.Sprint(o.debate.ID)).Replace(op.template)
		req, _ := http.NewRequest(op.method, o.URL+"/api/v1"+path+query, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res := o.do(http.DefaultClient, req)
		if !op.declares(res.StatusCode) {
			t.Errorf("%s %s%s: %d is not declared: %s", op.method, op.template, query, res.StatusCode, readBody(res))
			return res
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			return res // 204, or the YAML document itself
		}
		var got any
		if err := json.Unmarshal([]byte(readBody(res)), &got); err != nil {
			t.Fatalf("%s %s: %v", op.method, path, err)
		}
		if err := checkBody(t, c, doc, op.spec, res.StatusCode, got); err != nil {
			t.Errorf("%s %s (%d) %v", op.method, path, res.StatusCode, err)
		}
		return res
	}
	boss := o.token("boss")
	for _, op := range ops {
		for _, q := range []string{"?q=%00", "?q=%ff", "?q=\xff"} {
			if res := call(op, q, "", ""); res.StatusCode != http.StatusBadRequest {
				t.Errorf("%s %s%q: %d, want 400", op.method, op.template, q, res.StatusCode)
			}
		}
		if op.method != http.MethodGet {
			call(op, "", boss, "{")
		}
		// A token that is no token is refused before any route, on every
		// operation, with what it should be told (WWW-Authenticate).
		if res := call(op, "", "not-a-token", ""); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s with an unknown token: %d, want 401", op.method, op.template, res.StatusCode)
		}
		// A cursor no page gave is refused, not read as the first page
		// (a client would page in a loop); /spaces pages by name, where
		// any text is a place in the list.
		if takesCursor(op) && op.template != "/spaces" {
			if res := call(op, "?cursor=zz", boss, ""); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s %s?cursor=zz: %d, want 422", op.method, op.template, res.StatusCode)
			}
		}
		if _, ok := op.spec["requestBody"]; ok && !op.declares(http.StatusUnprocessableEntity) {
			t.Errorf("%s %s takes a JSON body but declares no 422", op.method, op.template)
		}
		if op.method != http.MethodGet && !op.declares(http.StatusTooManyRequests) {
			t.Errorf("%s %s is a write but declares no 429", op.method, op.template)
		}
	}
	// One token past its budget of writes.
	report := apiOp{"POST", "/reports", nil}
	for _, op := range ops {
		if op.method == report.method && op.template == report.template {
			report = op
		}
	}
	ann := o.token("ann")
	var res *http.Response
	for range 61 {
		res = call(report, "", ann, "{")
	}
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("61st write in a minute: %d, Retry-After %q; want 429 with it", res.StatusCode, res.Header.Get("Retry-After"))
	}
}

// takesCursor reports whether op's parameters include the list cursor.
func takesCursor(op apiOp) bool {
	params, _ := op.spec["parameters"].([]any)
	for _, p := range params {
		if m, _ := p.(map[string]any); m["$ref"] == "#/components/parameters/cursor" {
			return true
		}
	}
	return false
}
