package models_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestSearchComments: comments are found as a kind of their own, local
// and remote, named by their item, only where a thread shows them to
// everyone (not deleted, hidden or below a hidden comment) on an item the
// search itself finds (not hidden, withdrawn, a draft debate); every write
// (local edit, remote Update, deletion) keeps what they are found by. On
// SQLite and PostgreSQL.
func TestSearchComments(t *testing.T) {
	eachOpenData(t, func(t *testing.T, d *openData) {
		ctx := context.Background()
		s, ann, bob := d.s, d.users["ann"].Actor, d.users["bob"].Actor
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		comment := func(by *models.Actor, typ string, id, parent int64, stance, body string) *models.Comment {
			t.Helper()
			d.now = d.now.Add(time.Minute)
			c, err := s.CreateComment(ctx, by, models.CommentInput{ObjectType: typ, ObjectID: id, ParentID: parent, Stance: stance, Body: body})
			must(err)
			return c
		}
		_, err := s.CreateSpace(ctx, nil, models.SpaceInput{Name: "village", Kind: models.KindCity, Title: "Village", Licence: models.LicenceOuverte})
		must(err)
		prop, err := s.CreateProposal(ctx, ann, "town", models.ProposalInput{Title: "Des pistes cyclables", Body: "Partout."})
		must(err)
		elsewhere, err := s.CreateProposal(ctx, ann, "village", models.ProposalInput{Title: "Un parking", Body: "Au village."})
		must(err)
		debate, err := s.CreateDebate(ctx, d.admin, d.space, models.DebateInput{Question: "Fermer la rue ?", Options: []string{"Oui", "Non"}})
		must(err)
		draft, err := s.CreateDebate(ctx, d.admin, d.space, models.DebateInput{Question: "Brouillon", Options: []string{"Oui", "Non"}})
		must(err)
		_, err = s.OpenDebate(ctx, d.admin, debate.ID)
		must(err)
		withdrawn, err := s.CreateProposal(ctx, ann, "town", models.ProposalInput{Title: "Retirée", Body: "Bientôt retirée."})
		must(err)
		hiddenProp, err := s.CreateProposal(ctx, ann, "town", models.ProposalInput{Title: "Masquée", Body: "Bientôt masquée."})
		must(err)

		found := map[string]*models.Comment{
			"local":    comment(bob, models.ObjectTypeProposal, prop.ID, 0, "", "Un **VÉLO** pour chacun"),
			"argument": comment(bob, models.ObjectTypeDebate, debate.ID, 0, models.StanceFor, "Moins de voitures, plus de vélos"),
			"village":  comment(bob, models.ObjectTypeProposal, elsewhere.ID, 0, "", "Et des arceaux à vélo"),
		}
		remote, err := s.CreateRemoteComment(ctx, d.remote, models.RemoteComment{URI: "https://social.example/notes/1",
			InReplyToURI: prop.URI, ContentHTML: "<p>Mon <b>vélo</b> dit merci&nbsp;!</p>"})
		must(err)
		found["remote"] = remote
		hidden := comment(bob, models.ObjectTypeProposal, prop.ID, 0, "", "Vélo caché")
		below := comment(ann, models.ObjectTypeProposal, prop.ID, hidden.ID, "", "Réponse vélo sous un commentaire caché")
		deeper := comment(bob, models.ObjectTypeProposal, prop.ID, below.ID, "", "Encore plus bas, vélo")
		deleted := comment(bob, models.ObjectTypeProposal, prop.ID, 0, "", "Vélo supprimé")
		onWithdrawn := comment(bob, models.ObjectTypeProposal, withdrawn.ID, 0, "", "Vélo retiré")
		onHidden := comment(bob, models.ObjectTypeProposal, hiddenProp.ID, 0, "", "Vélo masqué")
		onDraft := comment(d.admin.Actor, models.ObjectTypeDebate, draft.ID, 0, "", "Vélo en brouillon")
		must(s.HideObject(ctx, d.admin, models.ObjectTypeComment, hidden.ID, "test"))
		must(s.DeleteComment(ctx, d.users["bob"], deleted.ID))
		_, err = s.WithdrawProposal(ctx, ann, withdrawn.ID)
		must(err)
		must(s.HideObject(ctx, d.admin, models.ObjectTypeProposal, hiddenProp.ID, "test"))

		ids := func(q models.SearchQuery) []int64 {
			t.Helper()
			q.Kind = models.SearchComments
			res, err := s.Search(ctx, q)
			must(err)
			var out []int64
			for _, h := range res.Hits {
				out = append(out, h.ID)
			}
			if len(out) != res.Counts[models.SearchComments] {
				t.Fatalf("%d hits, count %d", len(out), res.Counts[models.SearchComments])
			}
			return out
		}
		got := ids(models.SearchQuery{Text: "velo", Sort: models.SearchByNew})
		want := []int64{found["remote"].ID, found["village"].ID, found["argument"].ID, found["local"].ID}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("found %v, want %v (newest first; never %v)", got, want,
				[]int64{hidden.ID, below.ID, deeper.ID, deleted.ID, onWithdrawn.ID, onHidden.ID, onDraft.ID})
		}
		if got := ids(models.SearchQuery{Text: "velo", Space: "village"}); !slices.Equal(got, []int64{found["village"].ID}) {
			t.Fatalf("in the village: %v", got)
		}

		// A hit names its item and carries the argument's stance.
		res, err := s.Search(ctx, models.SearchQuery{Text: "voitures"})
		must(err)
		if res.Counts[models.SearchComments] != 1 || len(res.Hits) != 1 {
			t.Fatalf("every kind: counts %v hits %d", res.Counts, len(res.Hits))
		}
		h := res.Hits[0]
		if h.Kind != models.SearchComments || h.On == nil || h.On.Kind != models.SearchDebates || h.On.ID != debate.ID ||
			h.Title != "Fermer la rue ?" || h.Stance != models.StanceFor || h.Space == nil || h.Space.Name != "town" ||
			h.Excerpt != "Moins de voitures, plus de vélos" {
			t.Fatalf("argument hit %+v on %+v", h, h.On)
		}
		res, err = s.Search(ctx, models.SearchQuery{Text: "merci", Kind: models.SearchComments})
		must(err)
		if len(res.Hits) != 1 || res.Hits[0].Excerpt != "Mon vélo dit merci !" || res.Hits[0].On.Kind != models.SearchProposals ||
			res.Hits[0].Title != prop.Title {
			t.Fatalf("remote hit %+v", res.Hits)
		}

		// Edits, local and remote, are found by their new words only;
		// a deleted comment is not found at all.
		_, err = s.EditComment(ctx, bob, found["local"].ID, "Une trottinette pour chacun", 0)
		must(err)
		_, err = s.UpdateRemoteComment(ctx, d.remote, remote.URI, "<p>Ma trottinette dit merci</p>")
		must(err)
		must(s.DeleteComment(ctx, d.users["bob"], found["village"].ID))
		if got := ids(models.SearchQuery{Text: "trottinette"}); !slices.Equal(got, []int64{remote.ID, found["local"].ID}) {
			t.Fatalf("edited comments found by their new words: %v", got)
		}
		if got := ids(models.SearchQuery{Text: "velo"}); !slices.Equal(got, []int64{found["argument"].ID}) {
			t.Fatalf("old words or a deleted comment still found: %v", got)
		}
		if got := ids(models.SearchQuery{Text: "arceaux"}); len(got) != 0 {
			t.Fatalf("a deleted comment found: %v", got)
		}
	})
}
