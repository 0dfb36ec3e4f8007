package models_test

import (
	"context"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestRepliesOfHiddenCommentsAreHiddenEverywhere: a hidden comment
// disappears from its thread with every reply below it, however deep, so
// counts, the open-data export and consultation statistics leave them out
// too, and nobody can answer them.
func TestRepliesOfHiddenCommentsAreHiddenEverywhere(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		f.at(12)
		ana, ben, cleo := f.citizens[0], f.citizens[1], f.citizens[2]
		p, err := f.s.CreateProposal(ctx, ana.Actor, "town", models.ProposalInput{Title: "Plant twenty trees", Body: "Shade!", Consultation: f.c.ID})
		if err != nil {
			t.Fatal(err)
		}
		say := func(by *models.Account, parent int64) *models.Comment {
			t.Helper()
			c, err := f.s.CreateComment(ctx, by.Actor, models.CommentInput{ObjectType: "proposal", ObjectID: p.ID, ParentID: parent, Body: "x"})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		// ana: a visible thread with one visible reply. ben: a reply in
		// that thread, hidden, with a chain of cleo's replies below it,
		// deeper than MaxCommentDepth. cleo also starts a thread that is
		// hidden with its reply by ben.
		top := say(ana, 0)
		say(ana, top.ID)
		hidden := say(ben, top.ID)
		last := hidden
		for range models.MaxCommentDepth + 2 {
			last = say(cleo, last.ID)
		}
		hiddenTop := say(cleo, 0)
		say(ben, hiddenTop.ID)
		for _, id := range []int64{hidden.ID, hiddenTop.ID} {
			if err := f.s.HideObject(ctx, f.mod, "comment", id, "rude"); err != nil {
				t.Fatal(err)
			}
		}

		page, err := f.s.CommentThreads(ctx, models.CommentQuery{ObjectType: "proposal", ObjectID: p.ID})
		if err != nil || len(page.Threads) != 1 || len(page.Threads[0].Replies) != 1 {
			t.Fatalf("the page shows more than ana's two comments: %+v %v", page, err)
		}
		if n, err := f.s.CountComments(ctx, "proposal", p.ID); err != nil || n != 2 {
			t.Errorf("count: %d, want 2 (%v)", n, err)
		}
		e, err := f.s.Export(ctx, models.ExportQuery{Space: "town"})
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Comments) != 2 {
			t.Errorf("export: %d comments, want ana's 2: %+v", len(e.Comments), e.Comments)
		}
		st, err := f.s.ConsultationStatistics(ctx, f.c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.ByType["comment"] != 2 || st.ParticipantsOnline != 1 {
			t.Errorf("statistics: %d comments, %d participants; want 2 and ana alone", st.ByType["comment"], st.ParticipantsOnline)
		}
		if _, err := f.s.CreateComment(ctx, ana.Actor, models.CommentInput{ObjectType: "proposal", ObjectID: p.ID, ParentID: last.ID, Body: "x"}); err == nil {
			t.Error("answered a comment below a hidden one")
		}

		// Restoring the comment brings its replies back everywhere.
		if err := f.s.RestoreObject(ctx, f.mod, "comment", hidden.ID, "fine"); err != nil {
			t.Fatal(err)
		}
		if n, err := f.s.CountComments(ctx, "proposal", p.ID); err != nil || n != 3+models.MaxCommentDepth+2 {
			t.Errorf("count after restore: %d (%v)", n, err)
		}
	})
}
