package web

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// sentencesNotShown are the models sentences with a variable part that
// no page shows: they answer another server's activity, or the command
// line. The catalogs have the others, fixed or as errorPatterns.
var sentencesNotShown = map[string]string{
	"%s is not a copy from %s":                    "federation",
	"update %s is not from %s":                    "federation",
	"synthesis %s is not from %s":                 "federation",
	"synthesis %s was published by another actor": "federation",
	"%s cannot refuse a participation in %s":      "federation",
	"%s cannot delete %s":                         "federation",
	"%s is a local proposal":                      "federation",
	"%s is another actor's proposal":              "federation",
	"%s is a local id":                            "federation",
	"comment %s is not from %s":                   "federation",
	"%s is a local petition":                      "federation",
	"%s is another actor's petition":              "federation",
	"debate %s is not from %s":                    "federation",
	"table %s has rows":                           "odn migrate",
	// setPhase refuses a closed debate before, so only "open" is left:
	// "this debate is already open" is in the catalogs.
	"this debate is already %s": "fixed",
}

// TestModelsSentencesTranslated: every sentence that models put in an
// error, fmt.Errorf("%w: sentence", …) or a ValidationError's literal
// message, is in the catalogs, so that a French page shows it in French
// (errorDetail, formErrors) and not in English or not at all.
func TestModelsSentencesTranslated(t *testing.T) {
	locales, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	fr := locales["fr"]
	known := func(s string) bool {
		if fr.Has(s) {
			return true
		}
		for _, p := range errorPatterns {
			if p.key == s {
				return true
			}
		}
		return false
	}
	files, err := filepath.Glob("../models/*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			s, ok := modelsSentence(node)
			if !ok {
				return true
			}
			n++
			if _, skip := sentencesNotShown[s]; !skip && !known(s) {
				t.Errorf("%s: %q is in no catalog: add it to web/i18n/en.errors.json and fr.errors.json (or to errorPatterns when it names something)", fset.Position(node.Pos()), s)
			}
			return true
		})
	}
	if n < 50 {
		t.Fatalf("found only %d sentences in models: did the way errors are written change?", n)
	}
	// A consultation's refusals (*models.PhaseError), by action and phase.
	for _, action := range []string{models.ActionPropose, models.ActionComment, models.ActionVote, models.ActionWorkshop} {
		for _, phase := range append([]string{models.PhaseUpcoming}, models.PhaseNames...) {
			if key := "consultation.refused." + action + "." + phase; !models.PhaseAllows(phase, action) && !fr.Has(key) {
				t.Errorf("%q is in no catalog", key)
			}
		}
	}
	// Messages built from a list.
	for _, s := range []string{"must be one of " + strings.Join(models.Licences, ", ")} {
		if !known(s) {
			t.Errorf("%q is in no catalog", s)
		}
	}
}

// modelsSentence is the literal sentence of fmt.Errorf("%w: sentence", …),
// Invalid(field, "sentence") or v.Add(field, "sentence").
func modelsSentence(node ast.Node) (string, bool) {
	call, ok := node.(*ast.CallExpr)
	if !ok {
		return "", false
	}
	var name string
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		name = fn.Name
	case *ast.SelectorExpr:
		name = fn.Sel.Name
		if x, ok := fn.X.(*ast.Ident); ok && x.Name == "fmt" {
			name = "fmt." + name
		}
	}
	lit := func(i int) (string, bool) {
		if len(call.Args) <= i {
			return "", false
		}
		b, ok := call.Args[i].(*ast.BasicLit)
		if !ok || b.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(b.Value)
		return s, err == nil
	}
	switch name {
	case "fmt.Errorf":
		s, ok := lit(0)
		if !ok {
			return "", false
		}
		return strings.CutPrefix(s, "%w: ")
	case "Invalid", "Add":
		if field, ok := lit(0); !ok || strings.HasPrefix(field, "_") { // url.Values.Add("_pragma", …)
			return "", false
		}
		return lit(1)
	}
	return "", false
}

func TestErrorDetail(t *testing.T) {
	locales, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	en, fr := locales["en"], locales["fr"]
	cases := []struct {
		name   string
		err    error
		en, fr string
	}{
		{"sentence", fmt.Errorf("%w: this debate is closed; votes are no longer accepted", models.ErrClosed),
			"This debate is closed; votes are no longer accepted.", "Ce débat est clos ; les votes ne sont plus acceptés."},
		{"wrapped by an operation", fmt.Errorf("cast vote: %w", fmt.Errorf("%w: you already reported this", models.ErrDuplicate)),
			"You already reported this.", "Vous avez déjà signalé ceci."},
		{"a sentinel wrapping a sentinel", fmt.Errorf("tally: %w", models.ErrRemoteTally),
			"This debate is a copy of another instance’s debate; its instance of origin counts the votes.",
			"Ce débat est la copie d’un débat d’une autre instance ; c’est l’instance d’origine qui compte les votes."},
		{"a name", fmt.Errorf("%w: the report was already forwarded to %s", models.ErrConflict, "other.example"),
			"The report was already forwarded to other.example.", "Le signalement a déjà été transmis à other.example."},
		{"a number", fmt.Errorf("%w: a comment can be edited for %d minutes only", models.ErrClosed, 15),
			"A comment can be edited for 15 minutes only.", "Un commentaire ne peut être modifié que pendant 15 minutes."},
		{"a consultation's phase", fmt.Errorf("create proposal: %w", &models.PhaseError{Consultation: "Vélo", Phase: models.PhaseInformation, Action: models.ActionPropose}),
			"The consultation “Vélo” is in its information phase: new contributions are not accepted yet.",
			"La consultation « Vélo » est en phase d’information : les nouvelles contributions ne sont pas encore acceptées."},
		{"only its kind", fmt.Errorf("sign: %w", models.ErrDuplicate), "", ""},
		{"a bare kind", models.ErrForbidden, "", ""},
		{"not in the catalogs", fmt.Errorf("%w: a sentence nobody translated", models.ErrConflict), "a sentence nobody translated", ""},
		{"not a sentence", errors.New("boom"), "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := errorDetail(en, tc.err); got != tc.en {
				t.Errorf("en: %q, want %q", got, tc.en)
			}
			if got := errorDetail(fr, tc.err); got != tc.fr {
				t.Errorf("fr: %q, want %q", got, tc.fr)
			}
		})
	}
}
