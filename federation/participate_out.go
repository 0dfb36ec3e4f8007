package federation

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/opendemocracynow/odn/models"
)

// Participation sent to the origin: a local member supports, votes or
// signs on the local copy of another instance's proposal, debate or
// petition through the same models calls as for local content; the
// events they emit (Data "remote": true, or a debate with Local false)
// become a Like, vote Create{Note{name}} per option, or a "Signer / Sign"
// vote, sent to the object's author (attributedTo), the origin counts it.
// Withdrawals and changes send Undo of exactly what was sent, which the
// participations table remembers.
func init() {
	chainEvent(models.EventSupportAdded, supportAdded)
	chainEvent(models.EventSupportRemoved, supportRemoved)
	chainEvent(models.EventVoteCast, voteCast)
	chainEvent(models.EventVoteWithdrawn, voteWithdrawn)
	chainEvent(models.EventSignatureAdded, signatureAdded)
	chainEvent(models.EventSignatureRemoved, signatureRemoved)
}

// chainEvent adds fn to the handlers of kind, after any already there
// (the publish side handles the same kinds for local objects): the
// activities of both are delivered.
func chainEvent(kind string, fn EventFunc) {
	prev := eventHandlers[kind]
	if prev == nil {
		eventHandlers[kind] = fn
		return
	}
	eventHandlers[kind] = func(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
		a, err := prev(ctx, s, ev)
		if err != nil {
			return nil, err
		}
		b, err := fn(ctx, s, ev)
		if err != nil {
			return nil, err
		}
		return append(a, b...), nil
	}
}

// remoteEvent reads Data.remote (support and signature events).
func remoteEvent(ev models.Event) bool {
	var d struct {
		Remote bool `json:"remote"`
	}
	_ = json.Unmarshal([]byte(ev.Data), &d)
	return d.Remote
}

// participant loads the event's actor when it is a live local member
// (only their participation is sent on). An erased account's
// withdrawals are not sent: it has no key left, and the Delete of the
// actor tells the origin to withdraw everything still open.
func (s *Service) participant(ctx context.Context, ev models.Event) (*models.Actor, error) {
	a, err := s.store.ActorByID(ctx, ev.ActorID)
	if err != nil || !a.Local || a.DeletedAt != nil {
		return nil, err
	}
	return a, nil
}

// deliveryInbox is where participation goes: the author's shared inbox
// when it has one.
func deliveryInbox(a *models.Actor) string {
	if a.SharedInbox != "" {
		return a.SharedInbox
	}
	return a.Inbox
}

func supportAdded(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	if !remoteEvent(ev) {
		return nil, nil
	}
	actor, err := s.participant(ctx, ev)
	if err != nil || actor == nil {
		return nil, err
	}
	// Send the support only if it is still given and not sent yet
	// (events may be handled out of order: Participating).
	if now, err := s.store.Participating(ctx, models.ParticipationSupport, ev.ObjectID, actor.ID); err != nil || len(now) == 0 {
		return nil, err
	}
	if sent, err := s.store.SentParticipations(ctx, models.ParticipationSupport, models.ObjectTypeProposal, ev.ObjectID, actor.ID); err != nil || len(sent) > 0 {
		return nil, err
	}
	p, err := s.store.ProposalByID(ctx, ev.ObjectID)
	if err != nil {
		return nil, err
	}
	author, err := s.store.ActorByID(ctx, p.AuthorID)
	if err != nil {
		return nil, err
	}
	likeID := actor.URI + "#likes/" + strconv.FormatInt(ev.ID, 10)
	like := activityDoc(likeID, "Like", actor.URI, p.URI, []string{author.URI}, nil)
	err = s.store.RecordParticipation(ctx, &models.Participation{URI: likeID, Kind: models.ParticipationSupport,
		ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, ActorID: actor.ID, Outgoing: true})
	if err != nil {
		return nil, err
	}
	return outgoing(actor, like, []string{deliveryInbox(author)})
}

func supportRemoved(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	if !remoteEvent(ev) {
		return nil, nil
	}
	return s.undoUnlessGiven(ctx, ev, models.ParticipationSupport, models.ObjectTypeProposal)
}

func voteCast(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	d, err := s.debateOnce(ctx, ev.ObjectID)
	if err != nil || d.Local {
		return nil, err
	}
	// The ballot as it is now, not as the event had it (Participating):
	// options no longer chosen are undone, new ones sent.
	options, err := s.store.Participating(ctx, models.ParticipationVote, d.ID, ev.ActorID)
	if err != nil {
		return nil, err
	}
	out, err := s.undoSent(ctx, ev, models.ParticipationVote, models.ObjectTypeDebate, options)
	if err != nil {
		return nil, err
	}
	more, err := s.sendVotes(ctx, ev, models.ParticipationVote, models.ObjectTypeDebate, d.ID, d.URI, d.AuthorID, options)
	return append(out, more...), err
}

func voteWithdrawn(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	d, err := s.debateOnce(ctx, ev.ObjectID)
	if err != nil || d.Local {
		return nil, err
	}
	// A ballot cast again since keeps its options (Participating).
	options, err := s.store.Participating(ctx, models.ParticipationVote, d.ID, ev.ActorID)
	if err != nil {
		return nil, err
	}
	return s.undoSent(ctx, ev, models.ParticipationVote, models.ObjectTypeDebate, options)
}

func signatureAdded(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	if !remoteEvent(ev) {
		return nil, nil
	}
	if now, err := s.store.Participating(ctx, models.ParticipationSignature, ev.ObjectID, ev.ActorID); err != nil || len(now) == 0 {
		return nil, err // withdrawn since (Participating)
	}
	p, err := s.store.PetitionByID(ctx, ev.ObjectID)
	if err != nil {
		return nil, err
	}
	return s.sendVotes(ctx, ev, models.ParticipationSignature, models.ObjectTypePetition, p.ID, p.URI, p.AuthorID, []string{SignOption})
}

func signatureRemoved(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	if !remoteEvent(ev) {
		return nil, nil
	}
	return s.undoUnlessGiven(ctx, ev, models.ParticipationSignature, models.ObjectTypePetition)
}

// undoUnlessGiven undoes a sent support or signature, unless it was given
// again since (Participating): the later event then has nothing to send.
func (s *Service) undoUnlessGiven(ctx context.Context, ev models.Event, kind, objectType string) ([]models.Outgoing, error) {
	if now, err := s.store.Participating(ctx, kind, ev.ObjectID, ev.ActorID); err != nil || len(now) > 0 {
		return nil, err
	}
	return s.undoSent(ctx, ev, kind, objectType, nil)
}

// voteDocs are the Create{Note{name}} of one option, Mastodon's shape.
func voteDocs(actor *models.Actor, createID, noteID, question, option, authorURI string) doc {
	note := doc{"id": noteID, "type": "Note", "name": option, "inReplyTo": question, "attributedTo": actor.URI,
		"to": []string{authorURI}}
	return activityDoc(createID, "Create", actor.URI, note, []string{authorURI}, nil)
}

// sendVotes sends one vote Create per option not sent yet, to the
// object's author, and records them.
func (s *Service) sendVotes(ctx context.Context, ev models.Event, kind, objectType string, objectID int64, question string,
	authorID int64, options []string) ([]models.Outgoing, error) {
	actor, err := s.participant(ctx, ev)
	if err != nil || actor == nil {
		return nil, err
	}
	author, err := s.store.ActorByID(ctx, authorID)
	if err != nil {
		return nil, err
	}
	sent, err := s.store.SentParticipations(ctx, kind, objectType, objectID, actor.ID)
	if err != nil {
		return nil, err
	}
	var out []models.Outgoing
	for i, opt := range options {
		if slices.ContainsFunc(sent, func(p models.Participation) bool { return p.Option == opt }) {
			continue
		}
		noteID := actor.URI + "#votes/" + strconv.FormatInt(ev.ID, 10) + "-" + strconv.Itoa(i)
		createID := noteID + "/activity"
		err := s.store.RecordParticipation(ctx, &models.Participation{URI: noteID, ActivityURI: createID, Kind: kind,
			ObjectType: objectType, ObjectID: objectID, ActorID: actor.ID, Option: opt, Outgoing: true})
		if err != nil {
			return nil, err
		}
		o, err := outgoing(actor, voteDocs(actor, createID, noteID, question, opt, author.URI), []string{deliveryInbox(author)})
		if err != nil {
			return nil, err
		}
		out = append(out, o...)
	}
	return out, nil
}

// undoSent sends Undo of what was sent for the event's actor and object,
// except the options in keep, and forgets it.
func (s *Service) undoSent(ctx context.Context, ev models.Event, kind, objectType string, keep []string) ([]models.Outgoing, error) {
	actor, err := s.participant(ctx, ev)
	if err != nil || actor == nil {
		return nil, err
	}
	sent, err := s.store.SentParticipations(ctx, kind, objectType, ev.ObjectID, actor.ID)
	if err != nil || len(sent) == 0 {
		return nil, err
	}
	uri, authorID, err := s.objectOwner(ctx, objectType, ev.ObjectID)
	if err != nil {
		return nil, err
	}
	author, err := s.store.ActorByID(ctx, authorID)
	if err != nil {
		return nil, err
	}
	var out []models.Outgoing
	var done []int64
	for _, p := range sent {
		if slices.Contains(keep, p.Option) {
			continue
		}
		var original doc
		if kind == models.ParticipationSupport {
			original = activityDoc(p.URI, "Like", actor.URI, uri, []string{author.URI}, nil)
		} else {
			original = voteDocs(actor, p.ActivityURI, p.URI, uri, p.Option, author.URI)
		}
		o, err := outgoing(actor, undoDoc(actor.URI, original, []string{author.URI}), []string{deliveryInbox(author)})
		if err != nil {
			return nil, err
		}
		out, done = append(out, o...), append(done, p.ID)
	}
	// Forgotten before delivery: a retry of this event after a crash
	// sends nothing more (the origin may then keep a withdrawn vote;
	// rare, and visible in its results).
	return out, s.store.ForgetParticipations(ctx, done...)
}

// objectOwner returns the uri and author of a proposal, debate or
// petition copy.
func (s *Service) objectOwner(ctx context.Context, objectType string, id int64) (string, int64, error) {
	switch objectType {
	case models.ObjectTypeProposal:
		p, err := s.store.ProposalByID(ctx, id)
		if err != nil {
			return "", 0, err
		}
		return p.URI, p.AuthorID, nil
	case models.ObjectTypeDebate:
		d, err := s.store.DebateByID(ctx, id)
		if err != nil {
			return "", 0, err
		}
		return d.URI, d.AuthorID, nil
	default:
		p, err := s.store.PetitionByID(ctx, id)
		if err != nil {
			return "", 0, err
		}
		return p.URI, p.AuthorID, nil
	}
}
