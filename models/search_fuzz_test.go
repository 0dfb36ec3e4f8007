package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// FuzzSearch: whatever a visitor types in the search box (it comes
// straight from a query string), the search answers hits or a validation
// error, never a database error: the words reach FTS5's MATCH, whose
// syntax (quotes, *, NEAR, AND, column filters) must not be open to them,
// and every hit holds the words it was found by.
func FuzzSearch(f *testing.F) {
	ctx := context.Background()
	s := dbtest.Open(f, "sqlite", models.WithFastPasswordHashing())
	acc, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Password: "correct horse battery", Role: models.RoleAdmin})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := s.CreateSpace(ctx, acc, models.SpaceInput{Name: "town", Kind: models.KindCity, Title: "Town", Licence: models.LicenceOuverte}); err != nil {
		f.Fatal(err)
	}
	p, err := s.CreateProposal(ctx, acc.Actor, "town", models.ProposalInput{Title: "Budget participatif : l’école", Body: "Des arbres NEAR the \"market\" * AND OR NOT ^title: 2027."})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := s.CreateComment(ctx, acc.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "D’accord pour l’école."}); err != nil {
		f.Fatal(err)
	}
	if res, err := s.Search(ctx, models.SearchQuery{Text: "budg"}); err != nil || res.Counts[models.SearchProposals] != 1 || res.Counts[models.SearchComments] != 0 {
		f.Fatalf("the seed is not found: %+v %v", res, err)
	}
	for _, q := range []string{"budg", "école", `"market"*`, "NEAR(arbres market)", "title:budget", "^budget", "a OR b", "AND",
		"ar* NOT", "l'", "-budget", "{title}: x", "\x00ab", "ǅz ǈy", "٣٤ 2027", "\u0301école", "ab\u200bcd"} {
		f.Add(q, "")
		f.Add(q, models.SearchProposals)
	}
	f.Fuzz(func(t *testing.T, text, kind string) {
		res, err := s.Search(ctx, models.SearchQuery{Text: text, Kind: kind})
		if _, invalid := errors.AsType[*models.ValidationError](err); invalid {
			return
		}
		if err != nil {
			t.Fatalf("Search(%q, %q): %v", text, kind, err)
		}
		for _, h := range res.Hits {
			if h.ID == 0 || h.Title == "" {
				t.Errorf("Search(%q): hit %+v", text, h)
			}
		}
	})
}
