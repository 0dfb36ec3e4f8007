package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestSearch: every word must appear, folded (case and accents do not
// matter), in the title or text of public things only, newest first, in
// every space or one, by kind with pages; edits are found by their new
// words. On SQLite and PostgreSQL.
func TestSearch(t *testing.T) {
	eachOpenData(t, func(t *testing.T, d *openData) {
		ctx := context.Background()
		s, ann := d.s, d.users["ann"].Actor
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		other, err := s.CreateSpace(ctx, nil, models.SpaceInput{Name: "village", Kind: models.KindCity, Title: "Village", Licence: models.LicenceOuverte})
		must(err)
		var schools []int64
		for i, title := range []string{"Une ÉCOLE de musique", "Rénover l’école Jean Jaurès", "Cantine de l'Ecole verte"} {
			p, err := s.CreateProposal(ctx, ann, "town", models.ProposalInput{Title: title, Body: fmt.Sprintf("Proposition %d pour le quartier.", i)})
			must(err)
			schools = append(schools, p.ID)
			d.now = d.now.Add(time.Minute)
		}
		withdrawn, err := s.CreateProposal(ctx, ann, "town", models.ProposalInput{Title: "Fermer l'école le samedi", Body: "Retirée."})
		must(err)
		_, err = s.WithdrawProposal(ctx, ann, withdrawn.ID)
		must(err)
		hidden, err := s.CreateProposal(ctx, ann, "town", models.ProposalInput{Title: "École cachée", Body: "Masquée."})
		must(err)
		_, err = s.DB.NewUpdate().Table("proposals").Set("hidden_at = ?", d.now).Where("id = ?", hidden.ID).Exec(ctx)
		must(err)
		_, err = s.CreateProposal(ctx, ann, "village", models.ProposalInput{Title: "Une école au village", Body: "Ailleurs."})
		must(err)
		draft, err := s.CreateDebate(ctx, d.admin, d.space, models.DebateInput{Question: "Quelle école en brouillon ?", Options: []string{"A", "B"}})
		must(err)
		open, err := s.CreateDebate(ctx, d.admin, d.space, models.DebateInput{Question: "Horaires du marché", Description: "Et la sortie de l’école ?", Options: []string{"8h", "9h"}})
		must(err)
		_, err = s.OpenDebate(ctx, d.admin, open.ID)
		must(err)
		_, err = s.CreatePetition(ctx, ann, "town", models.PetitionInput{Title: "Sauvons l'école", Body: "Elle ferme.", Addressee: "mayor", Goal: 10})
		must(err)
		opens := d.now.Add(24 * time.Hour)
		_, err = s.CreateConsultation(ctx, d.admin, "town", models.ConsultationInput{Title: "Avenir du quartier", Summary: "Écoles, parcs et rues.",
			Body: "Donnez votre avis.", OpensAt: opens, ContributionAt: opens.Add(24 * time.Hour), SynthesisAt: opens.Add(48 * time.Hour), ClosesAt: opens.Add(72 * time.Hour)})
		must(err)
		news, err := s.PublishNews(ctx, d.admin, "town", models.NewsInput{Title: "Rentrée", Body: "Les écoles rouvrent lundi."})
		must(err)

		kinds := func(r *models.SearchResults) map[string]int { return r.Counts }
		res, err := s.Search(ctx, models.SearchQuery{Text: "ecole", Sort: models.SearchByNew})
		must(err)
		want := map[string]int{models.SearchProposals: 4, models.SearchDebates: 1, models.SearchPetitions: 1, models.SearchConsultations: 1, models.SearchNews: 1, models.SearchComments: 0}
		if fmt.Sprint(kinds(res)) != fmt.Sprint(want) {
			t.Fatalf("counts %v, want %v (no hidden, withdrawn or draft)", res.Counts, want)
		}
		if res.Total() != 8 {
			t.Fatalf("total %d, want 8", res.Total())
		}
		var props []*models.SearchHit
		for _, h := range res.Hits {
			if h.Kind == models.SearchProposals {
				props = append(props, h)
			}
			if h.ID == draft.ID && h.Kind == models.SearchDebates {
				t.Fatal("a draft debate was found")
			}
		}
		if len(props) != models.SearchPreview {
			t.Fatalf("%d proposals previewed, want %d", len(props), models.SearchPreview)
		}
		if props[0].Space == nil || props[0].Space.Name != "village" || props[1].ID != schools[2] {
			t.Fatalf("newest first across spaces: got %+v, %+v", props[0], props[1])
		}

		// Every word must match; a space narrows.
		res, err = s.Search(ctx, models.SearchQuery{Text: "ÉCOLE   musique"})
		must(err)
		if res.Total() != 1 || res.Hits[0].ID != schools[0] || res.Hits[0].Title != "Une ÉCOLE de musique" {
			t.Fatalf("two words: %+v", res.Hits)
		}
		res, err = s.Search(ctx, models.SearchQuery{Text: "école", Space: "village"})
		must(err)
		if res.Total() != 1 || res.Space == nil || res.Space.ID != other.ID {
			t.Fatalf("one space: counts %v", res.Counts)
		}

		// A kind's pages.
		var seen []int64
		before := int64(0)
		for range 5 {
			res, err = s.Search(ctx, models.SearchQuery{Text: "ecole", Kind: models.SearchProposals, Sort: models.SearchByNew, Limit: 3, Before: before})
			must(err)
			for _, h := range res.Hits {
				seen = append(seen, h.ID)
			}
			if before = res.Next; before == 0 {
				break
			}
		}
		if len(seen) != 4 || seen[0] < seen[3] {
			t.Fatalf("pages of proposals gave %v, want the 4 newest first", seen)
		}

		// Edits are searched by their new words, old ones forgotten.
		_, err = s.UpdateNews(ctx, d.admin, news.ID, models.NewsInput{Title: "Rentrée", Body: "Les crèches rouvrent lundi."})
		must(err)
		res, err = s.Search(ctx, models.SearchQuery{Text: "creches"})
		must(err)
		if res.Counts[models.SearchNews] != 1 {
			t.Fatalf("edited news not found by its new text: %v", res.Counts)
		}
		res, err = s.Search(ctx, models.SearchQuery{Text: "ecoles rouvrent"})
		must(err)
		if res.Total() != 0 {
			t.Fatalf("edited news still found by its old text: %v", res.Counts)
		}
	})
}

func TestSearchRefusals(t *testing.T) {
	eachOpenData(t, func(t *testing.T, d *openData) {
		ctx := context.Background()
		for _, tc := range []struct {
			q     models.SearchQuery
			field string
		}{
			{models.SearchQuery{Text: ""}, "q"},
			{models.SearchQuery{Text: "   "}, "q"},
			{models.SearchQuery{Text: "é"}, "q"},
			{models.SearchQuery{Text: "%_ !?"}, "q"}, // no letters: no words
			{models.SearchQuery{Text: "trees", Sort: "popular"}, "sort"},
			{models.SearchQuery{Text: "trees", Kind: models.SearchDebates, Sort: models.SearchByRelevance, Before: 3}, "before"},
			{models.SearchQuery{Text: "trees", Kind: models.SearchDebates, Sort: models.SearchByNew, Offset: 20}, "offset"},
			{models.SearchQuery{Text: "trees", Kind: models.SearchDebates, Offset: -1}, "offset"},
			{models.SearchQuery{Text: "trees", Kind: models.SearchDebates, Offset: models.MaxSearchOffset + 1}, "offset"},
			{models.SearchQuery{Text: strings.Repeat("a", 65)}, "q"},
			{models.SearchQuery{Text: strings.Repeat("ab ", 67)}, "q"},
			{models.SearchQuery{Text: strings.Repeat("a", 60000)}, "q"},
			{models.SearchQuery{Text: "trees", Kind: "users"}, "kind"},
			{models.SearchQuery{Text: "trees", Kind: models.SearchDebates, Before: -1}, "before"},
		} {
			_, err := d.s.Search(ctx, tc.q)
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Fields[tc.field] == "" {
				t.Errorf("%+v: got %v, want a problem with %q", tc.q, err, tc.field)
			}
		}
		// The lists' search has the same bounds: SQLite refuses LIKE
		// patterns past 50,000 bytes, which was a 500.
		_, err := d.s.ListProposals(ctx, models.ProposalQuery{Space: "town", Search: strings.Repeat("a", 60000)})
		if ve, ok := errors.AsType[*models.ValidationError](err); !ok || ve.Fields["q"] == "" {
			t.Errorf("a proposal list searching 60,000 letters: %v, want a problem with q", err)
		}
		_, err = d.s.ListPetitions(ctx, models.PetitionQuery{Space: "town", Search: strings.Repeat("a", 65)})
		if ve, ok := errors.AsType[*models.ValidationError](err); !ok || ve.Fields["q"] == "" {
			t.Errorf("a petition list searching a 65-letter word: %v, want a problem with q", err)
		}
		if _, err := d.s.Search(ctx, models.SearchQuery{Text: "trees", Space: "nowhere"}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown space: got %v, want ErrNotFound", err)
		}
	})
}
