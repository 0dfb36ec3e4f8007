package federation

import (
	"context"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// Remote comments: a Note replying to a local proposal, debate, petition
// or comment lands in that thread through models' remote-comment
// functions (the same rules as local comments: visibility, consultation
// phase, length). A Note replying to nothing local is ignored.
func init() {
	createHandlers["Note"] = createNote
	updateHandlers["Note"] = updateNote
	deleteHandlers = append(deleteHandlers, deleteComment)
}

func createNote(ctx context.Context, s *Service, in *incoming, obj map[string]any) error {
	reply := idOf(obj["inReplyTo"])
	if reply == "" || hostOf(reply) != s.host {
		return nil // not about local content
	}
	published, _ := time.Parse(time.RFC3339, str(obj, "published"))
	_, err := s.store.CreateRemoteComment(ctx, in.actor, models.RemoteComment{
		URI: idOf(obj["id"]), URL: httpURL(linkHref(obj["url"])), InReplyToURI: reply,
		ContentHTML: SanitizeIncomingHTML(str(obj, "content")), Published: published,
	})
	return err
}

func updateNote(ctx context.Context, s *Service, in *incoming, obj map[string]any) error {
	_, err := s.store.UpdateRemoteComment(ctx, in.actor, idOf(obj["id"]), SanitizeIncomingHTML(str(obj, "content")))
	return err
}

// deleteComment removes the actor's comment uri; ErrNotFound when there
// is no such comment here.
func deleteComment(ctx context.Context, s *Service, actor *models.Actor, uri string) error {
	if _, err := s.store.CommentByURI(ctx, uri); err != nil {
		return err
	}
	return s.store.DeleteRemoteComment(ctx, actor, uri)
}
