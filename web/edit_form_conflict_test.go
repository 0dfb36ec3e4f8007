package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestEditFormsRefuseStaleSave: two edit forms opened on the same
// version; the first saved, the second is refused (409) instead of
// overwriting it, shown again with its text kept, an announced notice in
// the page's language linking to the current version, and the current
// version in its hidden field, so saving it again replaces the other
// edit deliberately.
func TestEditFormsRefuseStaleSave(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newDebateEnvOn(t, dialect)
			for _, x := range editablesEnv(t, e) {
				t.Run(x.name, func(t *testing.T) {
					first, second := openForm(t, e, x), openForm(t, e, x)
					if first.Get("version") == "" {
						t.Fatalf("the form has no version field: %v", first)
					}
					first.Set(x.field, "Saved by the first form.")
					if res := e.postForm(x.cl, x.form, first); res.StatusCode != http.StatusSeeOther {
						t.Fatalf("first save: %d %s", res.StatusCode, readBody(res))
					}
					second.Set(x.field, "Typed in the second form.")
					res := e.postForm(x.cl, x.form, second)
					page := readBody(res)
					if res.StatusCode != http.StatusConflict {
						t.Fatalf("second save: %d, want 409", res.StatusCode)
					}
					if got := x.text(); got != "Saved by the first form." {
						t.Fatalf("the second save overwrote the first: %q", got)
					}
					for _, want := range []string{"Typed in the second form.", `role="alert" id="edit-conflict"`,
						"Someone else changed this meanwhile", `href="` + html.EscapeString(x.view) + `"`} {
						if !strings.Contains(page, want) {
							t.Errorf("the form shown again lacks %q", want)
						}
					}
					again := formValues(t, page, x.form)
					if again.Get("version") == second.Get("version") {
						t.Errorf("the form shown again keeps the stale version %s", again.Get("version"))
					}
					if res := e.postForm(x.cl, x.form, again); res.StatusCode != http.StatusSeeOther {
						t.Fatalf("saving again after the notice: %d", res.StatusCode)
					}
					if got := x.text(); got != "Typed in the second form." {
						t.Errorf("after saving again: %q", got)
					}
				})
			}
		})
	}
}

// openForm GETs x's edit form and returns what it would post.
func openForm(t *testing.T, e *debateEnv, x editable) url.Values {
	t.Helper()
	res := e.get(x.cl, x.form)
	page := readBody(res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", x.form, res.StatusCode)
	}
	return formValues(t, page, x.form)
}

// formValues are the values the form of page posting to action sends as
// a browser would: its inputs (checked ones only for boxes and radios),
// textareas and selects.
func formValues(t *testing.T, page, action string) url.Values {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(n *html.Node, k string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val, true
			}
		}
		return "", false
	}
	var form *html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "form" {
			if a, _ := attr(n, "action"); a == action && form == nil {
				form = n
			}
		}
		for c := n.FirstChild; c != nil && form == nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	if form == nil {
		t.Fatalf("no form posting to %s", action)
	}
	v := url.Values{}
	var text func(*html.Node) string
	text = func(n *html.Node) string {
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			} else {
				b.WriteString(text(c))
			}
		}
		return b.String()
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			name, named := attr(n, "name")
			switch n.Data {
			case "input":
				typ, _ := attr(n, "type")
				_, checked := attr(n, "checked")
				val, _ := attr(n, "value")
				if named && typ != "submit" && typ != "file" && ((typ != "checkbox" && typ != "radio") || checked) {
					v.Add(name, val)
				}
			case "textarea":
				if named {
					v.Add(name, strings.TrimPrefix(text(n), "\n"))
				}
			case "select":
				first, chosen := "", ""
				for o := n.FirstChild; o != nil; o = o.NextSibling {
					if o.Type != html.ElementNode || o.Data != "option" {
						continue
					}
					val, ok := attr(o, "value")
					if !ok {
						val = text(o)
					}
					if first == "" {
						first = val
					}
					if _, sel := attr(o, "selected"); sel && chosen == "" {
						chosen = val
					}
				}
				if chosen == "" {
					chosen = first
				}
				if named {
					v.Add(name, chosen)
				}
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(form)
	return v
}
