package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNotificationKindsWorded: every notification kind models declare (a
// Notify… string constant) has its sentence "notification.KIND" in each
// catalog, so that the notifications page says what happened ("A reply to
// your comment: …") instead of notification.generic's "Something changed
// on “<the reply's text>”", or English on a French page.
func TestNotificationKindsWorded(t *testing.T) {
	locales, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../models/*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	kinds := map[string]string{} // kind → where it is declared
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			vs, ok := node.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, id := range vs.Names {
				if !strings.HasPrefix(id.Name, "Notify") || i >= len(vs.Values) {
					continue
				}
				if b, ok := vs.Values[i].(*ast.BasicLit); ok && b.Kind == token.STRING {
					if kind, err := strconv.Unquote(b.Value); err == nil {
						kinds[kind] = fset.Position(id.Pos()).String() + " " + id.Name
					}
				}
			}
			return true
		})
	}
	if len(kinds) < 8 {
		t.Fatalf("found only %d notification kinds in models (%v): are they still Notify… constants?", len(kinds), kinds)
	}
	for _, lang := range []string{"en", "fr"} {
		for kind, where := range kinds {
			if _, ok := locales[lang].msgs["notification."+kind]; !ok {
				t.Errorf("%s: %q is not in web/i18n/%s*.json", where, "notification."+kind, lang)
			}
		}
	}
}
