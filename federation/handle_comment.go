package federation

import (
	"context"
	"errors"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// Remote comments: a Note replying to a local proposal, debate, petition
// or comment lands in that thread through models' remote-comment
// functions (the same rules as local comments: visibility, consultation
// phase, length). So does a Note replying to a copy held here (or to a
// remote comment stored here) from that object's own server: the
// discussion at a proposal's origin shows on its copies. A Note replying
// to anything else is ignored.
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
	if reply == "" || !addressedToPublic(obj, in.m) {
		return nil
	}
	if ok, err := s.threadHere(ctx, in, obj, reply); err != nil || !ok {
		return err
	}
	published, _ := time.Parse(time.RFC3339, str(obj, "published"))
	_, err := s.store.CreateRemoteComment(ctx, in.actor, models.RemoteComment{
		URI: idOf(obj["id"]), URL: httpURL(linkHref(obj["url"])), InReplyToURI: reply,
		ContentHTML: SanitizeIncomingHTML(str(obj, "content")), Published: published,
	})
	return err
}

// threadHere says whether the reply obj to inReplyTo belongs in a thread
// held here: one of local content, or one of a copy (or a comment on it)
// when the reply comes from that object's server, which relays its own
// accounts' comments to its copies; other servers' replies to it are for
// the origin to hold.
//
// An odn comment may arrive before its object: deliveries to one inbox
// are not ordered, and a draft debate's comments go out right after it.
// Then the object is fetched from its origin and copied when it is
// wanted here (wantsCopy), as Mastodon fetches the inReplyTo of a reply.
func (s *Service) threadHere(ctx context.Context, in *incoming, obj map[string]any, inReplyTo string) (bool, error) {
	if hostOf(inReplyTo) == s.host {
		return true, nil
	}
	if !sameOrigin(idOf(obj["id"]), inReplyTo) {
		return false, nil
	}
	_, _, err := s.store.CivicObjectByURI(ctx, inReplyTo)
	switch {
	case err == nil:
		return true, nil
	case !errors.Is(err, models.ErrNotFound):
		return false, err
	case civicKind(obj) != ODNTypeComment && civicKind(obj) != ODNTypeArgument:
		return false, nil // a Mastodon reply in its own server's thread: not fetched
	}
	if dead, err := s.store.IsTombstoned(ctx, inReplyTo); err != nil || dead {
		return false, err
	}
	f, err := s.signedFetcher(ctx)
	if err != nil {
		return false, err
	}
	m, _, err := f.Fetch(ctx, inReplyTo)
	if err != nil {
		return false, err // retried: the origin may be down a moment
	}
	if !isCopyKind(m) {
		return false, nil // a comment not held here, or anything else
	}
	if want, err := s.wantsCopy(ctx, m, in.actor); err != nil || !want {
		return false, err
	}
	if _, err := s.storeCopy(ctx, m); err != nil {
		return false, err
	}
	return true, nil
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
