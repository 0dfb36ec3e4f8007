package models_test

import (
	"context"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

func TestCommentSmoke(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		_, err := f.s.DB.NewRaw("INSERT INTO proposals (uri, space_id, author_id, title, created_at, updated_at) VALUES ('https://town.example/p/1', ?, ?, 'T', ?, ?)",
			f.space.ID, f.users[0].Actor.ID, f.now, f.now).Exec(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.s.CreateComment(ctx, f.users[1].Actor, models.CommentInput{ObjectType: "proposal", ObjectID: 1, Body: "hello **x** <script>alert(1)</script>"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := f.s.CreateComment(ctx, f.users[2].Actor, models.CommentInput{ObjectType: "proposal", ObjectID: 1, ParentID: c.ID, Body: "reply"})
		if err != nil {
			t.Fatal(err)
		}
		page, err := f.s.CommentThreads(ctx, models.CommentQuery{ObjectType: "proposal", ObjectID: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Threads) != 1 || len(page.Threads[0].Replies) != 1 || page.Threads[0].Replies[0].ID != r.ID {
			t.Fatalf("%+v", page.Threads)
		}
		t.Log(page.Threads[0].BodyHTML, page.Threads[0].URI, page.Threads[0].Author.Username)
	})
}
