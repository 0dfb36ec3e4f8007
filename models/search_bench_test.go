package models_test

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/fold"
)

// BenchmarkSearch searches 25,000 proposals and 25,000 comments on them
// (SQLite): every kind's preview for the start of the commonest word,
// for two common words and for a rarer one, and a kind's second page by
// relevance and the first newest first (docs/BENCHMARKS.md, Stop 27).
func BenchmarkSearch(b *testing.B) {
	s, sp := benchSpace(b)
	ctx := context.Background()
	const items = 25_000
	r := rand.New(rand.NewSource(27))
	// 5,000 pseudo-words of 2 to 4 syllables, drawn with Zipf's law (the
	// first is in most texts, the 100th in about one in ten).
	syllables := []string{"ba", "de", "ri", "mo", "tu", "la", "ve", "ni", "po", "su", "ca", "me", "ro", "ti", "gu", "fa"}
	vocab := make([]string, 5000)
	for i := range vocab {
		var w strings.Builder
		for n := i; w.Len() < 4 || n > 0; n /= len(syllables) {
			w.WriteString(syllables[n%len(syllables)])
		}
		vocab[i] = w.String()
	}
	zipf := rand.NewZipf(r, 1.07, 2, uint64(len(vocab)-1))
	words := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = vocab[zipf.Uint64()]
		}
		return strings.Join(w, " ")
	}
	now := time.Now().UTC()
	for from := 0; from < items; from += 1000 {
		props := make([]*models.Proposal, 1000)
		for i := range props {
			title, body := words(3+r.Intn(6)), words(40+r.Intn(80))
			uri := fmt.Sprintf("https://odn.example/p/bench%d", from+i)
			props[i] = &models.Proposal{URI: uri, URL: uri, Local: true, SpaceID: sp.ID, AuthorID: sp.ActorID, Title: title, Body: body,
				BodyHTML: "<p>" + body + "</p>", Search: fold.Text(title + "\n" + body), Status: models.ProposalOpen, CreatedAt: now, UpdatedAt: now}
		}
		if _, err := s.DB.NewInsert().Model(&props).Returning("id").Exec(ctx); err != nil {
			b.Fatal(err)
		}
		comments := make([]*models.Comment, 1000)
		for i := range comments {
			body := words(10 + r.Intn(40))
			uri := fmt.Sprintf("https://odn.example/c/bench%d", from+i)
			comments[i] = &models.Comment{URI: uri, URL: uri, ObjectType: models.ObjectTypeProposal, ObjectID: props[r.Intn(len(props))].ID,
				AuthorID: sp.ActorID, Body: body, BodyHTML: "<p>" + body + "</p>", Local: true, Search: fold.Text(body), CreatedAt: now, UpdatedAt: now}
		}
		if _, err := s.DB.NewInsert().Model(&comments).Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name string
		q    models.SearchQuery
	}{
		{"preview/common", models.SearchQuery{Text: "bab"}}, // the start of the commonest word
		{"preview/two", models.SearchQuery{Text: "rimo tuve"}},
		{"preview/rare", models.SearchQuery{Text: "pogumo"}},
		{"page2/relevance", models.SearchQuery{Text: "bab", Kind: models.SearchProposals, Offset: 20, Limit: 20}},
		{"page1/new", models.SearchQuery{Text: "bab", Kind: models.SearchProposals, Sort: models.SearchByNew, Limit: 20}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			res, err := s.Search(ctx, bc.q)
			if err != nil || res.Total() == 0 {
				b.Fatalf("%v: %v found (%v)", bc.q, res, err)
			}
			for b.Loop() {
				if _, err := s.Search(ctx, bc.q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(res.Total()), "hits")
		})
	}
}
