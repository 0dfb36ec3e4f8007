package federation

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/opendemocracynow/odn/models"
)

// Incoming civic content: remote copies of other odn instances'
// proposals, debates and petitions (Create, Update, the Announce of a
// followed or relaying space, and lookups), their deletion, replies with
// a stance, and Flags. Votes and supports are in participate_in.go.
//
// This file's init runs after handle_comment.go's (files initialise in
// name order): "Note" is dispatched here first, to votes, proposal copies
// or, for every other Note, the comment path with a stance.
func init() {
	createHandlers["Note"] = createCivicNote
	updateHandlers["Note"] = updateCivicNote
	createHandlers["Question"] = receiveCopy
	updateHandlers["Question"] = receiveCopy
	// Before deleteComment, which answers nil for any id it does not know.
	deleteHandlers = append([]func(ctx context.Context, s *Service, actor *models.Actor, uri string) error{deleteCivic, deleteSynthesis}, deleteHandlers...)
	reactionHandlers["Announce"] = announceCivic
	objectResolvers["Note"] = resolveCivic
	objectResolvers["Question"] = resolveCivic
	flagHandler = receiveFlag
}

// createCivicNote applies a Create{Note}: a poll vote, an official reply
// about a copy (official_reply_in.go), an odn proposal, or a reply
// (comment, argument when it opens with a stance).
func createCivicNote(ctx context.Context, s *Service, in *incoming, obj map[string]any) error {
	if question, option, ok := voteOf(obj); ok {
		return s.receiveVote(ctx, in, obj, question, option)
	}
	if ok, err := s.receiveOfficialReply(ctx, in, obj); ok {
		return err
	}
	if civicKind(obj) == ODNTypeSynthesis {
		return s.receiveSynthesis(ctx, in, obj)
	}
	if isCopyKind(obj) {
		return receiveCopy(ctx, s, in, obj)
	}
	if err := createNote(ctx, s, in, obj); err != nil {
		return err
	}
	if st := stanceOf(obj); st != "" && (hostOf(idOf(obj["inReplyTo"])) == s.host || sameOrigin(idOf(obj["id"]), idOf(obj["inReplyTo"]))) {
		return s.store.SetRemoteStance(ctx, in.actor, idOf(obj["id"]), st)
	}
	return nil
}

// updateCivicNote refreshes a proposal copy, an official reply shown on
// a copy, or a remote comment.
func updateCivicNote(ctx context.Context, s *Service, in *incoming, obj map[string]any) error {
	if ok, err := s.receiveOfficialReply(ctx, in, obj); ok {
		return err
	}
	if civicKind(obj) == ODNTypeSynthesis {
		return s.receiveSynthesis(ctx, in, obj)
	}
	if isCopyKind(obj) {
		return receiveCopy(ctx, s, in, obj)
	}
	return updateNote(ctx, s, in, obj)
}

// isCopyKind reports whether obj is an odn proposal, debate or petition,
// of which this instance keeps copies. odn's other Notes (a comment, an
// argument, an answer) are replies, and go the way of any reply.
func isCopyKind(obj map[string]any) bool {
	switch civicKind(obj) {
	case ODNTypeProposal, ODNTypeDebate, ODNTypePetition:
		return true
	}
	return false
}

// receiveCopy stores a proposal, debate or petition sent by its origin,
// when this instance wants it: it already holds a copy, or a local member
// follows its space (audience) or its author. Other objects are ignored.
func receiveCopy(ctx context.Context, s *Service, in *incoming, obj map[string]any) error {
	if civicKind(obj) == "" {
		return nil // a Mastodon poll or post of someone followed: not civic content
	}
	want, err := s.wantsCopy(ctx, obj, in.actor)
	if err != nil || !want {
		return err
	}
	_, err = s.storeCopy(ctx, obj)
	return err
}

// wantsCopy says whether obj concerns this instance: known already, or
// its space, its author or the actor relaying it is followed here.
func (s *Service) wantsCopy(ctx context.Context, obj map[string]any, via *models.Actor) (bool, error) {
	if _, _, err := s.store.CivicObjectByURI(ctx, idOf(obj["id"])); err == nil {
		return true, nil
	} else if !errors.Is(err, models.ErrNotFound) {
		return false, err
	}
	for _, uri := range []string{idOf(obj["audience"]), idOf(obj["attributedTo"]), via.URI} {
		if uri == "" {
			continue
		}
		a, err := s.store.ActorByURI(ctx, uri)
		if errors.Is(err, models.ErrNotFound) {
			continue
		} else if err != nil {
			return false, err
		}
		if ok, err := s.store.FollowedLocally(ctx, a.ID); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// storeCopy upserts the local copy of a civic object read from its
// origin (its id checked by the fetch or by objectFromOrigin) and says
// what it became. A Note or Question without odn:type is not stored.
func (s *Service) storeCopy(ctx context.Context, m map[string]any) (*models.Resolved, error) {
	id := idOf(m["id"])
	if hostOf(id) == s.host {
		return nil, drop("%s is local", id)
	}
	authorURI := idOf(m["attributedTo"])
	if !sameOrigin(authorURI, id) {
		return nil, drop("object %s attributed to %q", id, authorURI)
	}
	kind := civicKind(m)
	if kind != ODNTypeProposal && kind != ODNTypeDebate && kind != ODNTypePetition {
		return nil, models.ErrNotFound
	}
	if kind == ODNTypeDebate && str(m, PropODNStatus) == "draft" {
		return nil, models.ErrNotFound
	}
	author, err := s.authorFor(ctx, authorURI)
	if err != nil {
		return nil, err
	}
	res := &models.Resolved{URI: id}
	switch kind {
	case ODNTypeProposal:
		in := noteToRemoteProposal(m)
		in.AuthorID = author.ID
		p, err := s.store.UpsertRemoteProposal(ctx, in)
		if err != nil {
			return nil, err
		}
		res.Kind, res.ObjectID = models.ObjectTypeProposal, p.ID
	case ODNTypeDebate:
		d, err := s.store.UpsertRemoteDebate(ctx, author, questionToRemoteDebate(m))
		if err != nil {
			return nil, err
		}
		res.Kind, res.ObjectID = models.ObjectTypeDebate, d.ID
	case ODNTypePetition:
		in := questionToRemotePetition(m)
		in.AuthorID = author.ID
		// The addressee is the petition's one Mention on its own server,
		// fetched when this server never saw them (not its author, and
		// re-addressed to someone new): a copy that kept none, or the
		// former one, would name the wrong decision-maker.
		for _, href := range mentions(m) {
			if !sameOrigin(href, id) {
				continue
			}
			if a, err := s.actorFor(ctx, href); err == nil {
				in.AddresseeID = a.ID
			} else {
				s.log.InfoContext(ctx, "petition addressee", "petition", id, "addressee", href, "err", err)
			}
			break
		}
		p, err := s.store.UpsertRemotePetition(ctx, in)
		if err != nil {
			return nil, err
		}
		res.Kind, res.ObjectID = models.ObjectTypePetition, p.ID
	}
	// The copy names its consultation: its own document, fetched, says
	// what the record holds when the record is new (only the copy's
	// description so far) or the copy names a newer version.
	if rc := consultationOf(m); rc != nil && sameOrigin(rc.URI, id) {
		if err := s.followConsultation(ctx, rc.URI, rc.UpdatedAt, true); err != nil {
			s.log.InfoContext(ctx, "consultation of a copy", "uri", rc.URI, "err", err)
		}
	}
	return res, nil
}

// resolveCivic stores a civic object fetched by a lookup (GET
// /api/v1/lookup?uri=, a relay by URL); the object is wanted, so no
// follow is needed.
func resolveCivic(ctx context.Context, s *Service, m map[string]any) (*models.Resolved, error) {
	if dead, err := s.store.IsTombstoned(ctx, idOf(m["id"])); err != nil {
		return nil, err
	} else if dead {
		return nil, models.ErrNotFound
	}
	res, err := s.storeCopy(ctx, m)
	if err != nil {
		var de dropError
		if errors.As(err, &de) {
			return nil, models.ErrNotFound
		}
		return nil, err
	}
	return res, nil
}

// announceCivic applies the Announce of a bare object by a space: a
// relayed debate (shared consultation) or a space's boost of new content.
// Boosts by actors nobody here follows are not fetched.
func announceCivic(ctx context.Context, s *Service, in *incoming) error {
	id := idOf(in.m["object"])
	if id == "" || hostOf(id) == s.host {
		return nil
	}
	if ok, err := s.store.FollowedLocally(ctx, in.actor.ID); err != nil || !ok {
		return err
	}
	if dead, err := s.store.IsTombstoned(ctx, id); err != nil || dead {
		return err
	}
	if s.blocks.blocked(ctx, hostOf(id)) {
		return ErrBlocked
	}
	f, err := s.signedFetcher(ctx)
	if err != nil {
		return err
	}
	m, _, err := f.Fetch(ctx, id)
	if err != nil {
		return err
	}
	if civicKind(m) == "" {
		return nil
	}
	_, err = s.storeCopy(ctx, m)
	return err
}

// deleteCivic applies a Delete of a vote Note (the vote is withdrawn) or
// of a remote copy (the copy is marked deleted); other ids are
// models.ErrNotFound, for the next delete hook.
func deleteCivic(ctx context.Context, s *Service, actor *models.Actor, uri string) error {
	if p, err := s.store.ParticipationByURI(ctx, uri); err == nil && !p.Outgoing {
		if p.ActorID != actor.ID {
			return drop("%s cannot delete another actor's vote", actor.URI)
		}
		return s.withdrawReceived(ctx, actor, p)
	}
	err := s.store.DeleteRemoteCopy(ctx, actor, uri)
	if !errors.Is(err, models.ErrForbidden) {
		return err
	}
	// Not its author: a space signs for an erased author (objectSigner),
	// and the copy does not keep which space it belongs to. Its origin
	// says whether it is gone (410 for a deleted or hidden object).
	if gone, gerr := s.goneAtOrigin(ctx, uri); gerr != nil || !gone {
		return err
	}
	return s.store.MarkRemoteCopyGone(ctx, uri)
}

// receiveFlag files each local proposal, debate, petition, comment or
// account a Flag names in the moderation queue (models.CreateReport).
// Mastodon's report of a user names the user and the posts it quotes, and
// odn's forwarded report the author and the content: an account is not
// reported on its own when content of its own is named (each report of
// the content names its author), so one forwarded report is one report.
func receiveFlag(ctx context.Context, s *Service, in *incoming) error {
	flagID := idOf(in.m["id"])
	if flagID == "" {
		flagID = in.item.ActivityID
	}
	var targets [][2]any
	for _, uri := range idsOf(in.m["object"]) {
		if hostOf(uri) != s.host {
			continue
		}
		typ, id, err := s.store.CivicObjectByURI(ctx, uri)
		if errors.Is(err, models.ErrNotFound) {
			a, aerr := s.store.ActorByURI(ctx, uri)
			if aerr == nil && a.Local && a.AccountID != nil {
				targets = append(targets, [2]any{models.ObjectTypeAccount, a.ID})
				continue
			} else if aerr != nil && !errors.Is(aerr, models.ErrNotFound) {
				return aerr
			}
			s.log.InfoContext(ctx, "report of an object that cannot be reported", "actor", in.actor.URI, "object", uri)
			continue
		} else if err != nil {
			return err
		}
		targets = append(targets, [2]any{typ, id})
	}
	authors := map[int64]bool{}
	for _, t := range targets {
		if t[0] != models.ObjectTypeAccount {
			a, err := s.store.ObjectAuthor(ctx, t[0].(string), t[1].(int64))
			if err != nil && !errors.Is(err, models.ErrNotFound) {
				return err
			}
			authors[a] = true
		}
	}
	targets = slices.DeleteFunc(targets, func(t [2]any) bool { return t[0] == models.ObjectTypeAccount && authors[t[1].(int64)] })
	reason := plainText(str(in.m, "content"), models.MaxReportReason)
	for _, t := range targets {
		uri := flagID
		if len(targets) > 1 {
			uri = fmt.Sprintf("%s#%s-%d", flagID, t[0], t[1])
		}
		_, err := s.store.CreateReport(ctx, in.actor, models.ReportInput{ObjectType: t[0].(string), ObjectID: t[1].(int64),
			Reason: reason, URI: uri})
		// Refused, as already reported, gone or (an account) disabled
		// already: nothing left for the moderators, and nothing to retry.
		if err != nil && !errors.Is(err, models.ErrDuplicate) && !errors.Is(err, models.ErrNotFound) && !errors.Is(err, models.ErrConflict) {
			return err
		}
	}
	return nil
}
