package federation

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/opendemocracynow/odn/models"
)

// Official replies received about copies: the answer to a proposal and
// the response to a petition (odn:type Answer), and the updates a
// petition's author posts to its signers (odn:type PetitionUpdate). They
// are Notes replying to the origin's object; a copy shows them, and the
// local supporters or signers are told (models.SetRemoteAnswer,
// AddRemotePetitionUpdate). Without this they were replies to nothing
// local, and dropped: a copy never showed that its proposal was answered.

// receiveOfficialReply applies an Answer or PetitionUpdate Note replying
// to a copy held here; handled is false for any other Note, which goes
// the way of replies.
func (s *Service) receiveOfficialReply(ctx context.Context, in *incoming, obj map[string]any) (handled bool, err error) {
	kind := civicKind(obj)
	if kind != ODNTypeAnswer && kind != ODNTypePetitionUpdate {
		return false, nil
	}
	target := idOf(obj["inReplyTo"])
	if target == "" || hostOf(target) == s.host {
		return false, nil
	}
	typ, _, err := s.store.CivicObjectByURI(ctx, target)
	if errors.Is(err, models.ErrNotFound) {
		return true, nil // no copy here: nothing to show it on
	} else if err != nil {
		return true, err
	}
	id := idOf(obj["id"])
	switch {
	case kind == ODNTypeAnswer && typ == models.ObjectTypeProposal && id == target+AnswerSuffix:
	case kind == ODNTypeAnswer && typ == models.ObjectTypePetition && id == target+ResponseSuffix:
	case kind == ODNTypePetitionUpdate && typ == models.ObjectTypePetition && strings.HasPrefix(id, target+"/updates/"):
	default:
		return true, drop("%s %s is no %s of %s", kind, id, kind, target)
	}
	if kind == ODNTypePetitionUpdate {
		// From the petition's author only (the store checks it).
		return true, s.store.AddRemotePetitionUpdate(ctx, in.actor, models.RemotePetitionUpdate{
			URI: id, PetitionURI: target, ContentHTML: replyBody(str(obj, "content")),
			Published: timeProp(obj, "published"),
		})
	}
	// A host is not an owner: an answer is written by a moderator or an
	// addressee, whom this server cannot tell from any other account of
	// the origin, so the answer is the one the origin serves at its id.
	if s.blocks.blocked(ctx, hostOf(id)) {
		return true, ErrBlocked
	}
	f, err := s.signedFetcher(ctx)
	if err != nil {
		return true, err
	}
	m, _, err := f.Fetch(ctx, id)
	if err != nil {
		return true, err
	}
	if civicKind(m) != ODNTypeAnswer || idOf(m["inReplyTo"]) != target {
		return true, drop("%s is not an answer to %s at its origin", id, target)
	}
	return true, s.store.SetRemoteAnswer(ctx, in.actor, models.RemoteAnswer{
		ObjectURI: target, HTML: replyBody(str(m, "content")), Status: str(m, PropODNStatus), At: updatedOf(m),
	})
}

// permalinkRE is the permalink paragraph odn ends a Note with.
var permalinkRE = regexp.MustCompile(`<p><a href="([^"]+)"[^>]*>([^<]+)</a></p>$`)

// replyBody drops what odn writes around an official reply for Mastodon
// (convert_civic_out.go): the bold title line first and the permalink
// last; the copy shows its own.
func replyBody(content string) string {
	content = strings.TrimSpace(content)
	if strings.HasPrefix(content, "<p><strong>") {
		if i := strings.Index(content, "</strong></p>"); i >= 0 {
			content = strings.TrimSpace(content[i+len("</strong></p>"):])
		}
	}
	if m := permalinkRE.FindStringSubmatchIndex(content); m != nil && content[m[2]:m[3]] == content[m[4]:m[5]] {
		content = strings.TrimSpace(content[:m[0]])
	}
	return content
}
