package models_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestSearchIndex: the full-text search matches every word as the start
// of a word (as one types), ranks a title above a text and follows every
// write: edit, hide, delete, a remote Update and Delete, an erased
// author's comment (kept, as its thread keeps it). On SQLite and
// PostgreSQL.
func TestSearchIndex(t *testing.T) {
	eachOpenData(t, func(t *testing.T, d *openData) {
		ctx := context.Background()
		s, ann := d.s, d.users["ann"].Actor
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		propose := func(title, body string) int64 {
			t.Helper()
			d.now = d.now.Add(time.Minute)
			p, err := s.CreateProposal(ctx, ann, "town", models.ProposalInput{Title: title, Body: body})
			must(err)
			return p.ID
		}
		inBody := propose("Des arbres", "Un budget participatif pour planter, budget voté en mars, au budget de la ville.")
		inTitle := propose("Budget participatif des écoles", "Des jardins.")
		tabac := propose("Le tabac du marché", "Une vitrine.")
		toHide := propose("Quartier Zéphyr", "Masquer ensuite.")
		toEdit := propose("Une fontaine", "Près de l’église Saint-Éloi.")
		remote, err := s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://social.example/p/1", Title: "Kiosque lointain",
			ContentHTML: "<p>Venu d’ailleurs</p>", AuthorID: d.remote.ID, SpaceID: d.space.ID})
		must(err)
		comment, err := s.CreateComment(ctx, d.users["eve"].Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal,
			ObjectID: inTitle, Body: "Un xylophone pour la cour"})
		must(err)
		remoteComment, err := s.CreateRemoteComment(ctx, d.remote, models.RemoteComment{URI: "https://social.example/notes/7",
			InReplyToURI: "https://social.example/p/1", ContentHTML: "<p>Un séquoia</p>"})
		must(err)

		find := func(text string) []int64 {
			t.Helper()
			res, err := s.Search(ctx, models.SearchQuery{Text: text, Kind: models.SearchProposals})
			must(err)
			var out []int64
			for _, h := range res.Hits {
				out = append(out, h.ID)
			}
			if len(out) != res.Counts[models.SearchProposals] {
				t.Fatalf("%q: %d hits, count %d", text, len(out), res.Counts[models.SearchProposals])
			}
			return out
		}
		comments := func(text string) int {
			t.Helper()
			res, err := s.Search(ctx, models.SearchQuery{Text: text, Kind: models.SearchComments})
			must(err)
			return res.Counts[models.SearchComments]
		}
		check := func(name, text string, want ...int64) {
			t.Helper()
			if got := find(text); !slices.Equal(got, want) {
				t.Errorf("%s: %q found %v, want %v", name, text, got, want)
			}
		}

		check("a word's start, title first", "budg", inTitle, inBody)
		check("every word, each a start", "BUDG part ecol", inTitle)
		check("a missing word", "budget zebre")
		check("not inside a word", "ab")
		check("a whole word", "tabac", tabac)
		check("accents and apostrophes", "l'eglise saint-eloi", toEdit)
		check("a remote copy", "kiosq", remote.ID)

		must(s.HideObject(ctx, d.admin, models.ObjectTypeProposal, toHide, "test"))
		check("hidden", "zephyr")

		_, err = s.UpdateProposal(ctx, ann, toEdit, models.ProposalInput{Title: "Une fontaine", Body: "Place du marché."})
		must(err)
		check("the edit's old words", "eglise")
		check("the edit's new words", "place march", toEdit)

		_, err = s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://social.example/p/1", Title: "Kiosque à musique",
			ContentHTML: "<p>Revenu</p>", AuthorID: d.remote.ID, SpaceID: d.space.ID, Updated: d.now.Add(time.Hour)})
		must(err)
		check("a remote Update's old words", "ailleurs")
		check("a remote Update's new words", "musique", remote.ID)
		_, err = s.UpdateRemoteComment(ctx, d.remote, remoteComment.URI, "<p>Un platane</p>")
		must(err)
		if n, m := comments("sequoia"), comments("platane"); n != 0 || m != 1 {
			t.Errorf("a remote comment's Update: %d found by the old word, %d by the new", n, m)
		}
		must(s.DeleteRemoteCopy(ctx, d.remote, "https://social.example/p/1"))
		check("a remote Delete", "kiosque")
		if n := comments("platane"); n != 0 {
			t.Errorf("a comment on a deleted copy: %d found", n)
		}
		if n := comments("xylo"); n != 1 {
			t.Fatalf("a comment by its word's start: %d found", n)
		}
		must(s.DeleteAccount(ctx, d.users["eve"]))
		if n := comments("xylo"); n != 1 {
			t.Errorf("an erased author's comment: %d found, want 1 (its thread shows it)", n)
		}
		must(s.DeleteComment(ctx, d.admin, comment.ID))
		if n := comments("xylo"); n != 0 {
			t.Errorf("a deleted comment: %d found", n)
		}
	})
}

// TestSearchOrders: by relevance, a kind's pages hold every match once
// in rank order (ties newest first), however the pages are cut; newest
// first with sort=new, and with a page link from before relevance
// (before= without sort). On SQLite and PostgreSQL.
func TestSearchOrders(t *testing.T) {
	eachOpenData(t, func(t *testing.T, d *openData) {
		ctx := context.Background()
		s, ann := d.s, d.users["ann"].Actor
		var ids []int64
		for i := range 11 {
			title, body := fmt.Sprintf("Idée %d", i), "Des vélos."
			switch i % 3 {
			case 0:
				title = fmt.Sprintf("Vélos %d", i) // in the title: first
			case 1:
				body = "Des vélos, des vélos, encore des vélos."
			}
			d.now = d.now.Add(time.Minute)
			p, err := s.CreateProposal(ctx, ann, "town", models.ProposalInput{Title: title, Body: body})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
		}
		pages := func(q models.SearchQuery) []int64 {
			t.Helper()
			var out []int64
			for range 20 {
				res, err := s.Search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range res.Hits {
					out = append(out, h.ID)
				}
				if q.Before, q.Offset = res.Next, res.NextOffset; res.Next == 0 && res.NextOffset == 0 {
					return out
				}
			}
			t.Fatal("pages without end")
			return nil
		}
		all := pages(models.SearchQuery{Text: "velo", Kind: models.SearchProposals, Limit: 100})
		if len(all) != 11 {
			t.Fatalf("found %v, want 11", all)
		}
		titled := []int64{ids[9], ids[6], ids[3], ids[0]} // newest first among equals
		if !slices.Equal(all[:4], titled) {
			t.Errorf("by relevance: %v, want the titles first, newest first: %v", all, titled)
		}
		for _, limit := range []int{1, 3, 4} {
			if got := pages(models.SearchQuery{Text: "velo", Kind: models.SearchProposals, Limit: limit}); !slices.Equal(got, all) {
				t.Errorf("pages of %d: %v, want %v", limit, got, all)
			}
		}
		newest := slices.Clone(ids)
		slices.Reverse(newest)
		for name, q := range map[string]models.SearchQuery{
			"sort=new":          {Text: "velo", Kind: models.SearchProposals, Sort: models.SearchByNew, Limit: 4},
			"sort=newest":       {Text: "velo", Kind: models.SearchProposals, Sort: models.SortNewest, Limit: 4},
			"an old page link":  {Text: "velo", Kind: models.SearchProposals, Before: ids[10] + 1, Limit: 4},
			"one page, no kind": {Text: "velo", Kind: models.SearchProposals, Sort: models.SearchByNew, Limit: 100},
		} {
			if got := pages(q); !slices.Equal(got, newest) {
				t.Errorf("%s: %v, want %v", name, got, newest)
			}
		}
		res, err := s.Search(ctx, models.SearchQuery{Text: "velo"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Sort != models.SearchByRelevance || len(res.Hits) != models.SearchPreview || !slices.Equal([]int64{res.Hits[0].ID, res.Hits[1].ID, res.Hits[2].ID}, titled[:3]) {
			t.Errorf("the preview of every kind: %s %+v, want the first 3 by relevance", res.Sort, res.Hits)
		}
	})
}
