package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestCommentsFollowTheirObject: who may see an object may see and add
// its comments. A draft debate is its moderators' work in progress: only
// they comment on it or read its comments; everyone reads them once it
// opens. The doors ask CommentsHiddenAt and CommentHiddenAt.
func TestCommentsFollowTheirObject(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		d := f.debate(t, models.DebateInput{}, false)
		ann := f.users[0]
		on := models.CommentInput{ObjectType: "debate", ObjectID: d.ID, Body: "x"}

		if _, err := f.s.CreateComment(ctx, ann.Actor, on); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("member comments on a draft: %v", err)
		}
		zoe := f.remote(t, "zoe", "mastodon.example")
		remote := models.RemoteComment{URI: "https://mastodon.example/users/zoe/statuses/1", InReplyToURI: d.URI, ContentHTML: "<p>x</p>"}
		if _, err := f.s.CreateRemoteComment(ctx, zoe, remote); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("remote comment on a draft: %v", err)
		}
		note, err := f.s.CreateComment(ctx, f.mod.Actor, on)
		if err != nil {
			t.Fatalf("moderator comments on a draft: %v", err)
		}

		read := func(t *testing.T, viewer *models.Account, wantErr error) {
			t.Helper()
			at, err := f.s.CommentsHiddenAt(ctx, viewer, "debate", d.ID)
			if !errors.Is(err, wantErr) || at != nil {
				t.Errorf("comments of the debate: %v %v, want %v", at, err, wantErr)
			}
			at, err = f.s.CommentHiddenAt(ctx, viewer, note)
			if !errors.Is(err, wantErr) || at != nil {
				t.Errorf("the comment: %v %v, want %v", at, err, wantErr)
			}
		}
		for _, tc := range []struct {
			name   string
			viewer *models.Account
			err    error
		}{
			{"anonymous", nil, models.ErrNotFound},
			{"member", ann, models.ErrNotFound},
			{"moderator", f.mod, nil},
			{"administrator", f.admin, nil},
		} {
			t.Run("draft/"+tc.name, func(t *testing.T) { read(t, tc.viewer, tc.err) })
		}

		if _, err := f.s.OpenDebate(ctx, f.mod, d.ID); err != nil {
			t.Fatal(err)
		}
		t.Run("open", func(t *testing.T) { read(t, nil, nil) })
		if _, err := f.s.CreateComment(ctx, ann.Actor, on); err != nil {
			t.Errorf("member comments on the open debate: %v", err)
		}
		if _, err := f.s.CommentsHiddenAt(ctx, nil, "space", f.space.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("comments of a space: %v", err)
		}

		t.Run("hidden", func(t *testing.T) {
			reply, err := f.s.CreateComment(ctx, ann.Actor, models.CommentInput{ObjectType: "debate", ObjectID: d.ID, ParentID: note.ID, Body: "y"})
			if err != nil {
				t.Fatal(err)
			}
			if err := f.s.HideObject(ctx, f.mod, "comment", note.ID, "rude"); err != nil {
				t.Fatal(err)
			}
			if at, err := f.s.CommentHiddenAt(ctx, nil, reply); err != nil || at == nil {
				t.Errorf("reply below a hidden comment: %v %v", at, err)
			}
			if at, err := f.s.CommentsHiddenAt(ctx, nil, "debate", d.ID); err != nil || at != nil {
				t.Errorf("the debate itself is not hidden: %v %v", at, err)
			}
			if err := f.s.HideObject(ctx, f.mod, "debate", d.ID, "spam"); err != nil {
				t.Fatal(err)
			}
			if at, err := f.s.CommentsHiddenAt(ctx, f.mod, "debate", d.ID); err != nil || at == nil {
				t.Errorf("hidden debate: %v %v", at, err)
			}
		})
	})
}
