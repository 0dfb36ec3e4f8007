package federation

import (
	"context"
	"errors"
	"strings"

	"github.com/opendemocracynow/odn/models"
)

// Participation received by the origin: a Mastodon favourite or an odn
// member's Like supports a proposal; a poll vote Create{Note{name}} is a
// vote (one per option) or, on a petition, a signature. They go through
// the same models calls as the web (Support, AddVoteOption, Sign), so the
// space policy, the phases and the one-per-actor rules apply alike. A
// refusal is answered (refuse) and never counted.
//
// This file's init wraps the Reject and Delete activity handlers of
// inbox_worker.go (whose init runs first: files initialise in name
// order): a Reject of a vote or Like we sent, and the Delete of an actor.
func init() {
	reactionHandlers["Like"] = receiveLike
	undoHandlers["Like"] = undoLike
	undoHandlers["Create"] = undoVote
	undoHandlers[""] = undoByID

	reject := activityHandlers["Reject"]
	activityHandlers["Reject"] = func(ctx context.Context, s *Service, in *incoming) error {
		err := s.store.RefuseSentParticipation(ctx, in.actor, idOf(in.m["object"]))
		if errors.Is(err, models.ErrNotFound) {
			return reject(ctx, s, in) // a Follow, most likely
		}
		return err
	}
	del := activityHandlers["Delete"]
	activityHandlers["Delete"] = func(ctx context.Context, s *Service, in *incoming) error {
		if err := del(ctx, s, in); err != nil || idOf(in.m["object"]) != in.actor.URI || in.actor.Local {
			return err
		}
		// Delete{Person}: withdraw from open items, keep closed results.
		return s.store.EraseRemoteActor(ctx, in.actor)
	}
}

// receiveVote counts a poll vote on a local debate, or a "Signer / Sign"
// vote on a local petition. A vote already counted (same Note id) is
// ignored; a vote on another server's poll is not ours.
func (s *Service) receiveVote(ctx context.Context, in *incoming, note map[string]any, question, option string) error {
	noteID := idOf(note["id"])
	if hostOf(question) != s.host {
		return nil
	}
	if _, err := s.store.ParticipationByURI(ctx, noteID); err == nil {
		return nil
	}
	rec := &models.Participation{URI: noteID, ActivityURI: idOf(in.m["id"]), ActorID: in.actor.ID, Option: option}
	var author int64
	var err error
	if d, derr := s.debateByURI(ctx, question); derr == nil && d.Local {
		rec.Kind, rec.ObjectType, rec.ObjectID, author = models.ParticipationVote, models.ObjectTypeDebate, d.ID, d.AuthorID
		// The vote and its record in one transaction.
		if _, err = s.store.AddRemoteVoteOption(ctx, in.actor, d.ID, option, rec); err != nil {
			return s.refuse(ctx, in, rec.Kind, author, noteID, err)
		}
		return nil
	} else if p, perr := s.store.PetitionByURI(ctx, question); perr == nil && p.Local {
		rec.Kind, rec.ObjectType, rec.ObjectID, author = models.ParticipationSignature, models.ObjectTypePetition, p.ID, p.AuthorID
		if option != SignOption {
			err = models.Invalid("options", "One of the chosen options is not in this debate.")
		} else {
			// The signature and its record in one transaction.
			_, _, err = s.store.SignRemote(ctx, in.actor, p.ID, rec)
		}
	} else {
		return nil // not a local poll (or a hidden or deleted one)
	}
	if err != nil {
		return s.refuse(ctx, in, rec.Kind, author, noteID, err)
	}
	return nil
}

// receiveLike supports a local proposal. Likes of other objects (a
// favourite of a debate or a comment) count for nothing.
func receiveLike(ctx context.Context, s *Service, in *incoming) error {
	target := idOf(in.m["object"])
	if hostOf(target) != s.host {
		return nil
	}
	p, err := s.store.ProposalByURI(ctx, target)
	if err != nil || !p.Local {
		return nil
	}
	likeID := idOf(in.m["id"])
	if _, err := s.store.ParticipationByURI(ctx, likeID); err == nil {
		return nil
	}
	if dead, err := s.store.IsTombstoned(ctx, likeID); err != nil || dead {
		return err // undone already (withdrawnForGood)
	}
	rec := &models.Participation{URI: likeID, Kind: models.ParticipationSupport,
		ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, ActorID: in.actor.ID}
	// The support and its record in one transaction.
	switch _, err = s.store.SupportRemote(ctx, in.actor, p.ID, rec); {
	case errors.Is(err, models.ErrDuplicate):
		// Already a supporter (another Like, the web): this Like's Undo
		// must still withdraw it.
		return s.store.RecordParticipation(ctx, rec)
	case err != nil:
		return s.refuse(ctx, in, models.ParticipationSupport, p.AuthorID, target, err)
	}
	return nil
}

// undoLike withdraws the support a Like gave (Mastodon un-favourite).
func undoLike(ctx context.Context, s *Service, in *incoming) error {
	like, _ := in.m["object"].(map[string]any)
	target := idOf(like["object"])
	if hostOf(target) != s.host {
		return nil
	}
	p, err := s.store.ProposalByURI(ctx, target)
	if err != nil || !p.Local {
		return nil
	}
	return s.withdrawReceived(ctx, in.actor, &models.Participation{URI: idOf(like["id"]), Kind: models.ParticipationSupport,
		ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, ActorID: in.actor.ID})
}

// undoVote withdraws one vote (or signature) an Undo{Create{Note}}
// names: an odn member changing a vote, or withdrawing it.
func undoVote(ctx context.Context, s *Service, in *incoming) error {
	create, _ := in.m["object"].(map[string]any)
	if note, ok := create["object"].(map[string]any); ok {
		if question, option, ok := voteOf(note); ok && hostOf(question) == s.host {
			return s.withdrawVoteOn(ctx, in.actor, question, option, idOf(note["id"]))
		}
	}
	return undoByID(ctx, s, in)
}

// undoByID undoes a Like or vote given only by its id.
func undoByID(ctx context.Context, s *Service, in *incoming) error {
	p, err := s.store.ParticipationByURI(ctx, idOf(in.m["object"]))
	if errors.Is(err, models.ErrNotFound) || (err == nil && p.Outgoing) {
		return nil
	} else if err != nil {
		return err
	}
	if p.ActorID != in.actor.ID {
		return drop("%s cannot undo another actor's participation", in.actor.URI)
	}
	return s.withdrawReceived(ctx, in.actor, p)
}

// withdrawVoteOn withdraws a vote named by its question and option.
func (s *Service) withdrawVoteOn(ctx context.Context, actor *models.Actor, question, option, noteID string) error {
	if d, err := s.debateByURI(ctx, question); err == nil && d.Local {
		return s.withdrawReceived(ctx, actor, &models.Participation{URI: noteID, Kind: models.ParticipationVote,
			ObjectType: models.ObjectTypeDebate, ObjectID: d.ID, ActorID: actor.ID, Option: option})
	}
	if p, err := s.store.PetitionByURI(ctx, question); err == nil && p.Local && option == SignOption {
		return s.withdrawReceived(ctx, actor, &models.Participation{URI: noteID, Kind: models.ParticipationSignature,
			ObjectType: models.ObjectTypePetition, ObjectID: p.ID, ActorID: actor.ID, Option: option})
	}
	return nil
}

// withdrawReceived withdraws a support, vote option or signature the
// actor gave, and forgets its record. Nothing to withdraw, or an object
// that no longer takes withdrawals (a closed debate keeps its result), is
// fine.
func (s *Service) withdrawReceived(ctx context.Context, actor *models.Actor, p *models.Participation) error {
	var err error
	switch p.Kind {
	case models.ParticipationSupport:
		_, err = s.store.Unsupport(ctx, actor, p.ObjectID)
	case models.ParticipationVote:
		err = s.store.RemoveVoteOption(ctx, actor, p.ObjectID, p.Option)
	case models.ParticipationSignature:
		_, err = s.store.Unsign(ctx, actor, p.ObjectID)
	}
	if err != nil && !errors.Is(err, models.ErrNotFound) && !errors.Is(err, models.ErrClosed) &&
		!errors.Is(err, models.ErrForbidden) && !errors.Is(err, models.ErrDuplicate) {
		return err
	}
	// The id comes from the sender: only its own record is forgotten,
	// never another actor's (whose later Undo would then find nothing).
	rec, rerr := s.store.ParticipationByURI(ctx, p.URI)
	own := rerr == nil && !rec.Outgoing && rec.ActorID == actor.ID
	if own && errors.Is(err, models.ErrClosed) {
		// Counted, and kept as counted when the object was decided or
		// closed: the sender's server shows it withdrawn, so say it is
		// not (its record stays, should the phase reopen).
		return s.refuseWithdrawal(ctx, actor, rec, err)
	}
	if own {
		if err := s.store.ForgetParticipations(ctx, rec.ID); err != nil {
			return err
		}
	}
	return s.withdrawnForGood(ctx, actor, p.URI)
}

// refuseWithdrawal tells actor, in a direct Note from the object's author
// (as refuse does), that the withdrawal of rec was not applied: it still
// counts. No Reject: Mastodon has no use for the Reject of an Undo.
func (s *Service) refuseWithdrawal(ctx context.Context, actor *models.Actor, rec *models.Participation, cause error) error {
	s.log.InfoContext(ctx, "withdrawal refused", "actor", actor.URI, "participation", rec.URI, "err", cause)
	var authorID int64
	var replyTo string
	switch rec.Kind {
	case models.ParticipationSupport:
		p, err := s.store.ProposalByID(ctx, rec.ObjectID)
		if err != nil {
			return err
		}
		authorID, replyTo = p.AuthorID, p.URI
	case models.ParticipationVote:
		d, err := s.store.DebateByID(ctx, rec.ObjectID)
		if err != nil {
			return err
		}
		authorID, replyTo = d.AuthorID, rec.URI
	default:
		p, err := s.store.PetitionByID(ctx, rec.ObjectID)
		if err != nil {
			return err
		}
		authorID, replyTo = p.AuthorID, rec.URI
	}
	from, err := s.refusalSender(ctx, authorID)
	if err != nil {
		return err
	}
	return s.enqueue(ctx, from, refusalNote(from, actor, "withdraw:"+rec.URI, replyTo, withdrawalOf+rec.Kind, cause, s.now()), inboxOf(actor))
}

// withdrawnForGood tombstones the id of a withdrawn Like or vote Note, so
// that it never counts again: not when its origin re-sends it, nor when
// it arrives after its Undo or Delete — an actor's activities are not
// applied in order when two nodes share the inbox, or when one failed and
// was retried. Only an id in the actor's own namespace (Mastodon's and
// odn's start with the actor's id) is tombstoned: another account of the
// host must not bar an id that is not its own.
func (s *Service) withdrawnForGood(ctx context.Context, actor *models.Actor, id string) error {
	if id == "" || !strings.HasPrefix(id, actor.URI+"#") && !strings.HasPrefix(id, actor.URI+"/") {
		return nil
	}
	return s.store.AddTombstone(ctx, id, "", actor.URI)
}

// refusable reports whether err is a refusal to answer (policy, phase,
// option, one per actor), rather than a failure to retry.
func refusable(err error) bool {
	var ve *models.ValidationError
	return errors.Is(err, models.ErrForbidden) || errors.Is(err, models.ErrClosed) ||
		errors.Is(err, models.ErrDuplicate) || errors.As(err, &ve)
}

// refusalSender is who answers a refusal: the object's author, or the
// instance actor when the author is not a live local account.
func (s *Service) refusalSender(ctx context.Context, authorID int64) (*models.Actor, error) {
	from, err := s.store.ActorByID(ctx, authorID)
	if err != nil || !from.Local || from.DeletedAt != nil {
		return s.store.InstanceActor(ctx)
	}
	return from, nil
}

// refuse answers a refused participation (notes WIRE.md): Reject{the
// activity} to the actor, which odn peers apply to their copy, and a
// direct Note saying why in French and English, which Mastodon shows.
// Both come from the object's author (the poll's attributedTo). Nothing
// is counted. Other errors are returned for the worker to retry or drop.
func (s *Service) refuse(ctx context.Context, in *incoming, kind string, authorID int64, replyTo string, cause error) error {
	if !refusable(cause) {
		return cause
	}
	s.log.InfoContext(ctx, "participation refused", "actor", in.actor.URI, "activity_id", idOf(in.m["id"]), "kind", kind, "err", cause)
	from, err := s.refusalSender(ctx, authorID)
	if err != nil {
		return err
	}
	var pe *models.PhaseError
	if errors.As(cause, &pe) && strings.HasPrefix(pe.URL, "/") { // a local consultation's page
		abs := *pe
		abs.URL = s.opts.BaseURL + pe.URL
		cause = &abs
	}
	activityID := idOf(in.m["id"])
	reject := activityDoc(from.URI+"#rejects/"+shortHash(activityID), "Reject", from.URI, bare(in.m), []string{in.actor.URI}, nil)
	if err := s.enqueue(ctx, from, reject, inboxOf(in.actor)); err != nil {
		return err
	}
	return s.enqueue(ctx, from, refusalNote(from, in.actor, activityID, replyTo, kind, cause, s.now()), inboxOf(in.actor))
}
