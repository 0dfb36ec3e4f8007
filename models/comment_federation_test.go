package models_test

import (
	"context"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// commentScene is a space with a moderator, citizens and a remote author.
type commentScene struct {
	s      *models.Store
	mod    *models.Account
	people []*models.Account
	remote *models.Actor
}

func newCommentScene(t *testing.T, s *models.Store) *commentScene {
	t.Helper()
	ctx := context.Background()
	if _, err := s.CreateSpace(ctx, nil, models.SpaceInput{Name: "ville", Kind: models.KindCity}); err != nil {
		t.Fatal(err)
	}
	sc := &commentScene{s: s}
	var err error
	if sc.mod, err = s.CreateAccount(ctx, models.NewAccount{Username: "modo", Password: "correct horse battery", Role: models.RoleModerator}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ana", "ben"} {
		acc, err := s.CreateAccount(ctx, models.NewAccount{Username: name, Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		sc.people = append(sc.people, acc)
	}
	sc.remote, err = s.UpsertRemoteActor(ctx, &models.Actor{URI: "https://masto.example/users/bo", Type: "Person", Username: "bo",
		Host: "masto.example", Inbox: "https://masto.example/users/bo/inbox", PublicKeyID: "https://masto.example/users/bo#main-key", PublicKeyPEM: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func (sc *commentScene) say(t *testing.T, by *models.Actor, typ string, id, parent int64) *models.Comment {
	t.Helper()
	c, err := sc.s.CreateComment(context.Background(), by, models.CommentInput{ObjectType: typ, ObjectID: id, ParentID: parent, Body: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLocalCommentsUnder: the local comments below a proposal or a
// comment, however deep, with their authors and the authors they
// answer; not remote ones, nor those deleted or hidden themselves (the
// replies below a hidden one are listed), nor those of another object.
func TestLocalCommentsUnder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		sc := newCommentScene(t, s)
		ana, ben := sc.people[0], sc.people[1]
		p, err := s.CreateProposal(ctx, ana.Actor, "ville", models.ProposalInput{Title: "Des bancs", Body: "Oui."})
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.CreateProposal(ctx, ana.Actor, "ville", models.ProposalInput{Title: "Des arbres", Body: "Oui."})
		if err != nil {
			t.Fatal(err)
		}
		top := sc.say(t, ben.Actor, "proposal", p.ID, 0)
		theirs, err := s.CreateRemoteComment(ctx, sc.remote, models.RemoteComment{URI: "https://masto.example/users/bo/statuses/1",
			InReplyToURI: top.URI, ContentHTML: "<p>Non.</p>"})
		if err != nil {
			t.Fatal(err)
		}
		toTheirs := sc.say(t, ana.Actor, "proposal", p.ID, theirs.ID)
		hidden := sc.say(t, ana.Actor, "proposal", p.ID, top.ID)
		belowHidden := sc.say(t, ben.Actor, "proposal", p.ID, hidden.ID)
		deleted := sc.say(t, ben.Actor, "proposal", p.ID, 0)
		sc.say(t, ben.Actor, "proposal", other.ID, 0)
		if err := s.HideObject(ctx, sc.mod, models.ObjectTypeComment, hidden.ID, "rude"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteComment(ctx, ben, deleted.ID); err != nil {
			t.Fatal(err)
		}
		got, err := s.LocalCommentsUnder(ctx, models.ObjectTypeProposal, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			c            *models.Comment
			author       *models.Actor
			parentAuthor *models.Actor
		}{{top, ben.Actor, nil}, {toTheirs, ana.Actor, sc.remote}, {belowHidden, ben.Actor, ana.Actor}}
		if len(got) != len(want) {
			t.Fatalf("got %d comments, want %d: %+v", len(got), len(want), got)
		}
		for i, w := range want {
			g := got[i]
			if g.ID != w.c.ID || g.URI != w.c.URI || g.Author == nil || g.Author.ID != w.author.ID {
				t.Errorf("#%d: %d %s by %+v, want %d %s by %s", i, g.ID, g.URI, g.Author, w.c.ID, w.c.URI, w.author.URI)
			}
			if (g.ParentAuthor == nil) != (w.parentAuthor == nil) || (g.ParentAuthor != nil && g.ParentAuthor.ID != w.parentAuthor.ID) {
				t.Errorf("#%d: answers %+v, want %+v", i, g.ParentAuthor, w.parentAuthor)
			}
		}
		got, err = s.LocalCommentsUnder(ctx, models.ObjectTypeComment, top.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != toTheirs.ID || got[1].ID != belowHidden.ID {
			t.Errorf("below the top comment: %+v, want %d and %d", got, toTheirs.ID, belowHidden.ID)
		}
	})
}

// TestDraftComments: the comments staff wrote on a debate before it
// opened, shown ones only (not hidden, below a hidden one, deleted), in
// order; not those written after, nor any while it is still a draft.
func TestDraftComments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		sc := newCommentScene(t, s)
		sp, err := s.SpaceByName(ctx, "ville")
		if err != nil {
			t.Fatal(err)
		}
		d, err := s.CreateDebate(ctx, sc.mod, sp, models.DebateInput{Question: "Piétonniser ?", Options: []string{"Oui", "Non"}})
		if err != nil {
			t.Fatal(err)
		}
		top := sc.say(t, sc.mod.Actor, "debate", d.ID, 0)
		reply := sc.say(t, sc.mod.Actor, "debate", d.ID, top.ID)
		hidden := sc.say(t, sc.mod.Actor, "debate", d.ID, 0)
		sc.say(t, sc.mod.Actor, "debate", d.ID, hidden.ID)
		deleted := sc.say(t, sc.mod.Actor, "debate", d.ID, 0)
		if err := s.HideObject(ctx, sc.mod, models.ObjectTypeComment, hidden.ID, "x"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteComment(ctx, sc.mod, deleted.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := s.DraftComments(ctx, d); err != nil || len(got) != 0 {
			t.Errorf("still a draft: %v %v, want none", got, err)
		}
		if d, err = s.OpenDebate(ctx, sc.mod, d.ID); err != nil {
			t.Fatal(err)
		}
		sc.say(t, sc.people[0].Actor, "debate", d.ID, top.ID)
		got, err := s.DraftComments(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != top.ID || got[1].ID != reply.ID || got[0].Author == nil || got[0].Author.ID != sc.mod.Actor.ID {
			t.Errorf("draft comments %+v, want %d then %d with their author", got, top.ID, reply.ID)
		}
	})
}

// TestPublicContributionsCountsWhatIsListed: a person's outbox lists and
// counts the same comments, those a reader may see: not hidden or
// deleted, not under a hidden proposal, a hidden comment (however far
// up) or a draft debate; a reply below a deleted comment is still shown.
func TestPublicContributionsCountsWhatIsListed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		sc := newCommentScene(t, s)
		ana, ben, mod := sc.people[0], sc.people[1], sc.mod
		sp, err := s.SpaceByName(ctx, "ville")
		if err != nil {
			t.Fatal(err)
		}
		shown, err := s.CreateProposal(ctx, ben.Actor, "ville", models.ProposalInput{Title: "Des bancs", Body: "Oui."})
		if err != nil {
			t.Fatal(err)
		}
		hiddenP, err := s.CreateProposal(ctx, ben.Actor, "ville", models.ProposalInput{Title: "Des arbres", Body: "Oui."})
		if err != nil {
			t.Fatal(err)
		}
		draft, err := s.CreateDebate(ctx, mod, sp, models.DebateInput{Question: "Piétonniser ?", Options: []string{"Oui", "Non"}})
		if err != nil {
			t.Fatal(err)
		}
		top := sc.say(t, mod.Actor, "proposal", shown.ID, 0)
		hiddenTop := sc.say(t, ben.Actor, "proposal", shown.ID, 0)
		middle := sc.say(t, ana.Actor, "proposal", shown.ID, hiddenTop.ID)
		sc.say(t, mod.Actor, "proposal", shown.ID, middle.ID) // two levels below a hidden comment
		deletedTop := sc.say(t, ben.Actor, "proposal", shown.ID, 0)
		belowDeleted := sc.say(t, mod.Actor, "proposal", shown.ID, deletedTop.ID)
		sc.say(t, mod.Actor, "proposal", hiddenP.ID, 0)
		sc.say(t, mod.Actor, "debate", draft.ID, 0)
		ownHidden := sc.say(t, mod.Actor, "proposal", shown.ID, top.ID)
		ownDeleted := sc.say(t, mod.Actor, "proposal", shown.ID, 0)
		for _, h := range []struct {
			typ string
			id  int64
		}{{"comment", hiddenTop.ID}, {"proposal", hiddenP.ID}, {"comment", ownHidden.ID}} {
			if err := s.HideObject(ctx, mod, h.typ, h.id, "x"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteComment(ctx, ben, deletedTop.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteComment(ctx, mod, ownDeleted.ID); err != nil {
			t.Fatal(err)
		}
		total, refs, err := s.PublicContributions(ctx, mod.Actor.ID, 0, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, r := range refs {
			ids = append(ids, r.ID)
		}
		if total != 2 || len(refs) != 2 || refs[0].ID != belowDeleted.ID || refs[1].ID != top.ID {
			t.Errorf("moderator's public comments: total %d, ids %v; want %d and %d", total, ids, belowDeleted.ID, top.ID)
		}
		if total, refs, err = s.PublicContributions(ctx, mod.Actor.ID, 0, 1, 50); err != nil || total != 2 || len(refs) != 1 || refs[0].ID != top.ID {
			t.Errorf("second item: total %d, %+v, %v", total, refs, err)
		}
	})
}
