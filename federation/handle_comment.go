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

// createNote stores a public reply to local content as a comment. A
// direct or followers-only reply is not one: comments are public (listed
// in the object's replies, shown in its thread), and it was written for
// its addressees only — a Mastodon DM to a proposal's author, or a poll
// vote with text in it, which would show who voted what.
func createNote(ctx context.Context, s *Service, in *incoming, obj map[string]any) error {
	reply := idOf(obj["inReplyTo"])
	if reply == "" || hostOf(reply) != s.host {
		return nil // not about local content
	}
	if !addressedToPublic(obj, in.m) {
		return nil
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

// addressedToPublic reports whether any of docs (an object, its activity)
// has the public collection in its to or cc: public or unlisted.
func addressedToPublic(docs ...map[string]any) bool {
	for _, d := range docs {
		for _, iri := range append(idsOf(d["to"]), idsOf(d["cc"])...) {
			if IsPublic(iri) {
				return true
			}
		}
	}
	return false
}
