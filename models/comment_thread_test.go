package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

func TestCommentRules(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		d := f.debate(t, models.DebateInput{}, true)
		_, err := f.s.DB.NewRaw("INSERT INTO proposals (uri, space_id, author_id, title, created_at, updated_at) VALUES ('https://town.example/p/1', ?, ?, 'T', ?, ?)",
			f.space.ID, f.users[0].Actor.ID, f.now, f.now).Exec(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ann := f.users[0].Actor
		top, err := f.s.CreateComment(ctx, ann, models.CommentInput{ObjectType: "debate", ObjectID: d.ID, Body: "top", Stance: "for"})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name  string
			in    models.CommentInput
			field string
			err   error
		}{
			{"proposal comment", models.CommentInput{ObjectType: "proposal", ObjectID: 1, Body: "hello **x** <script>alert(1)</script>"}, "", nil},
			{"argument against", models.CommentInput{ObjectType: "debate", ObjectID: d.ID, Body: "no", Stance: "against"}, "", nil},
			{"empty body", models.CommentInput{ObjectType: "debate", ObjectID: d.ID, Body: "  "}, "body", nil},
			{"too long", models.CommentInput{ObjectType: "debate", ObjectID: d.ID, Body: strings.Repeat("é", 5001)}, "body", nil},
			{"stance on a proposal", models.CommentInput{ObjectType: "proposal", ObjectID: 1, Body: "x", Stance: "for"}, "stance", nil},
			{"stance on a reply", models.CommentInput{ObjectType: "debate", ObjectID: d.ID, ParentID: top.ID, Body: "x", Stance: "for"}, "stance", nil},
			{"bad stance", models.CommentInput{ObjectType: "debate", ObjectID: d.ID, Body: "x", Stance: "maybe"}, "stance", nil},
			{"bad type", models.CommentInput{ObjectType: "space", ObjectID: 1, Body: "x"}, "object_type", nil},
			{"parent elsewhere", models.CommentInput{ObjectType: "proposal", ObjectID: 1, ParentID: top.ID, Body: "x"}, "in_reply_to", nil},
			{"unknown object", models.CommentInput{ObjectType: "debate", ObjectID: 999, Body: "x"}, "", models.ErrNotFound},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c, err := f.s.CreateComment(ctx, ann, tc.in)
				var ve *models.ValidationError
				switch {
				case tc.field != "":
					if !errors.As(err, &ve) || ve.Fields[tc.field] == "" {
						t.Fatalf("want error on %s, got %v", tc.field, err)
					}
				case tc.err != nil:
					if !errors.Is(err, tc.err) {
						t.Fatalf("got %v", err)
					}
				case err != nil:
					t.Fatal(err)
				case strings.Contains(c.BodyHTML, "<script"):
					t.Fatalf("unsafe HTML stored: %s", c.BodyHTML)
				}
			})
		}
		t.Run("policy does not apply to comments", func(t *testing.T) {
			if _, err := f.s.UpdateSpace(ctx, f.admin, "town", models.SpaceInput{Kind: models.KindCity, Title: "Town", Policy: models.PolicyLocal}); err != nil {
				t.Fatal(err)
			}
			r := f.remote(t, "far", "far.example")
			if _, err := f.s.CastVote(ctx, r, d.ID, []string{"Red"}); !errors.Is(err, models.ErrForbidden) {
				t.Fatalf("vote: %v", err)
			}
			if _, err := f.s.CreateComment(ctx, r, models.CommentInput{ObjectType: "debate", ObjectID: d.ID, Body: "hi"}); err != nil {
				t.Fatalf("comment: %v", err)
			}
		})
	})
}

func TestCommentThreading(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		d := f.debate(t, models.DebateInput{}, true)
		ann, bob := f.users[0], f.users[1]
		say := func(by *models.Actor, parent int64, body string) *models.Comment {
			t.Helper()
			c, err := f.s.CreateComment(ctx, by, models.CommentInput{ObjectType: "debate", ObjectID: d.ID, ParentID: parent, Body: body})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		// A chain of 12 replies: past 8 levels it goes flat.
		root := say(ann.Actor, 0, "level 0")
		chain := []*models.Comment{root}
		for i := 1; i < 12; i++ {
			chain = append(chain, say([]*models.Actor{bob.Actor, ann.Actor}[i%2], chain[i-1].ID, "level"))
		}
		second := say(bob.Actor, 0, "second thread")
		say(ann.Actor, second.ID, "answer to second")

		t.Run("tree and depth limit", func(t *testing.T) {
			page, err := f.s.CommentThreads(ctx, models.CommentQuery{ObjectType: "debate", ObjectID: d.ID})
			if err != nil || len(page.Threads) != 2 || page.Next != 0 {
				t.Fatalf("%+v %v", page, err)
			}
			depth, c := 0, page.Threads[0]
			for len(c.Replies) > 0 {
				depth++
				c = c.Replies[0]
			}
			if depth != models.MaxCommentDepth-1 {
				t.Fatalf("display depth %d", depth)
			}
			if chain[11].Depth != models.MaxCommentDepth-1 || chain[11].RootID != root.ID || chain[11].ParentID != chain[10].ID {
				t.Fatalf("%+v", chain[11])
			}
		})
		t.Run("pagination", func(t *testing.T) {
			page, err := f.s.CommentThreads(ctx, models.CommentQuery{ObjectType: "debate", ObjectID: d.ID, Limit: 1})
			if err != nil || len(page.Threads) != 1 || page.Next != root.ID {
				t.Fatalf("%+v %v", page, err)
			}
			page, _ = f.s.CommentThreads(ctx, models.CommentQuery{ObjectType: "debate", ObjectID: d.ID, Limit: 1, After: page.Next})
			if len(page.Threads) != 1 || page.Threads[0].ID != second.ID || len(page.Threads[0].Replies) != 1 || page.Next != 0 {
				t.Fatalf("%+v", page)
			}
		})
		t.Run("reply notifies the parent's author", func(t *testing.T) {
			list, err := f.s.Notifications(ctx, bob, 0, 10)
			if err != nil || len(list) == 0 || list[0].Kind != models.NotifyCommentReply {
				t.Fatalf("%+v %v", list, err)
			}
		})
		t.Run("edit window", func(t *testing.T) {
			if _, err := f.s.EditComment(ctx, bob.Actor, root.ID, "hijack", 0); !errors.Is(err, models.ErrForbidden) {
				t.Fatalf("other author: %v", err)
			}
			c, err := f.s.EditComment(ctx, ann.Actor, root.ID, "level 0, *fixed*", 0)
			if err != nil || c.EditedAt == nil || !strings.Contains(c.BodyHTML, "<em>fixed</em>") {
				t.Fatalf("%+v %v", c, err)
			}
			f.tick(16 * time.Minute)
			if _, err := f.s.EditComment(ctx, ann.Actor, root.ID, "too late", 0); !errors.Is(err, models.ErrClosed) {
				t.Fatalf("late edit: %v", err)
			}
		})
		t.Run("tombstone keeps the replies", func(t *testing.T) {
			if err := f.s.DeleteComment(ctx, bob, root.ID); !errors.Is(err, models.ErrForbidden) {
				t.Fatalf("other deletes: %v", err)
			}
			if err := f.s.DeleteComment(ctx, ann, root.ID); err != nil {
				t.Fatal(err)
			}
			if err := f.s.DeleteComment(ctx, f.mod, chain[1].ID); err != nil {
				t.Fatal(err)
			}
			page, _ := f.s.CommentThreads(ctx, models.CommentQuery{ObjectType: "debate", ObjectID: d.ID})
			top := page.Threads[0]
			if !top.Deleted() || top.Body != "" || top.BodyHTML != "" || len(top.Replies) != 1 || !top.Replies[0].Deleted() || len(top.Replies[0].Replies) != 1 {
				t.Fatalf("%+v", top)
			}
			if _, err := f.s.CreateComment(ctx, bob.Actor, models.CommentInput{ObjectType: "debate", ObjectID: d.ID, ParentID: root.ID, Body: "x"}); err == nil {
				t.Fatal("answered a deleted comment")
			}
		})
		t.Run("remote comments", func(t *testing.T) {
			zoe := f.remote(t, "zoe", "mastodon.example")
			in := models.RemoteComment{URI: "https://mastodon.example/users/zoe/statuses/1", InReplyToURI: second.URI,
				ContentHTML: `<p>Hello <a href="https://x">x</a><img src=x onerror=alert(1)></p>`}
			c, err := f.s.CreateRemoteComment(ctx, zoe, in)
			if err != nil || c.ParentID != second.ID || c.Local || c.Origin != "mastodon.example" || strings.Contains(c.BodyHTML, "onerror") {
				t.Fatalf("%+v %v", c, err)
			}
			again, err := f.s.CreateRemoteComment(ctx, zoe, in)
			if err != nil || again.ID != c.ID {
				t.Fatalf("not idempotent: %+v %v", again, err)
			}
			top, err := f.s.CreateRemoteComment(ctx, zoe, models.RemoteComment{URI: "https://mastodon.example/users/zoe/statuses/2", InReplyToURI: d.URI, ContentHTML: "<p>on the debate</p>"})
			if err != nil || top.ParentID != 0 || top.ObjectID != d.ID {
				t.Fatalf("%+v %v", top, err)
			}
			spoof := models.RemoteComment{URI: "https://evil.example/1", InReplyToURI: d.URI, ContentHTML: "x"}
			if _, err := f.s.CreateRemoteComment(ctx, zoe, spoof); !errors.Is(err, models.ErrForbidden) {
				t.Fatalf("foreign uri: %v", err)
			}
			if _, err := f.s.CreateRemoteComment(ctx, zoe, models.RemoteComment{URI: "https://mastodon.example/3", InReplyToURI: "https://nowhere.example/x", ContentHTML: "x"}); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("unknown target: %v", err)
			}
			if _, err := f.s.UpdateRemoteComment(ctx, zoe, in.URI, "<p>edited</p>"); err != nil {
				t.Fatal(err)
			}
			if err := f.s.DeleteRemoteComment(ctx, f.remote(t, "eve", "mastodon.example"), in.URI); !errors.Is(err, models.ErrForbidden) {
				t.Fatalf("delete by another: %v", err)
			}
			if err := f.s.DeleteRemoteComment(ctx, zoe, in.URI); err != nil {
				t.Fatal(err)
			}
			tomb, err := f.s.CreateRemoteComment(ctx, zoe, in)
			if err != nil || !tomb.Deleted() {
				t.Fatalf("tombstone re-created: %+v %v", tomb, err)
			}
			byURI, err := f.s.CommentByURI(ctx, top.URI)
			if err != nil || byURI.ID != top.ID {
				t.Fatal(err)
			}
		})
	})
}

func TestCountCommentsByStance(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		d := f.debate(t, models.DebateInput{}, true)
		say := func(parent int64, stance string) int64 {
			c, err := f.s.CreateComment(ctx, f.users[0].Actor, models.CommentInput{ObjectType: "debate", ObjectID: d.ID, ParentID: parent, Stance: stance, Body: "x"})
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		arg := say(0, models.StanceFor)
		say(arg, "")
		general := say(0, "")
		say(say(general, ""), "")
		for _, tc := range []struct {
			stances []string
			want    int
		}{{nil, 5}, {[]string{""}, 3}, {[]string{"for"}, 2}, {[]string{"against"}, 0}} {
			if n, err := f.s.CountComments(ctx, "debate", d.ID, tc.stances...); err != nil || n != tc.want {
				t.Errorf("%v: %d, want %d (%v)", tc.stances, n, tc.want, err)
			}
		}
	})
}
