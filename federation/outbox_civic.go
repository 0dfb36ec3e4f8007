package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/opendemocracynow/odn/models"
)

// The publish side of civic federation: models events about LOCAL civic
// objects become activities (docs/FEDERATION.md "Activities").
//
//   - new object: the author's Create{object} to the author's followers
//     and the space's Announce{Create} to the space's followers, plus,
//     for top-level objects, Announce{object} (a boost in Mastodon; none
//     for comments, lemmy#2224); a comment's Create also goes to the
//     space's followers (Mastodon ignores Announce{Create});
//   - edits and state changes: the author's Update{object}, announced;
//   - counts (supports, signatures, votes): batched count Updates, see
//     outbox_civic_counts.go;
//   - deletion and hiding: Delete{Tombstone}, announced.
//
// Events about remote objects (Data "remote": true, a remote debate) are
// the participation side's (participate_*.go): these handlers return
// nothing for them. Handlers registered here run first; participate_*.go
// chains its own onto the same kinds.

// Event kinds the civic publish side reads that models declares as
// literals elsewhere.
const (
	eventObjectHidden = "object.hidden"
)

func init() {
	for kind, h := range map[string]EventFunc{
		models.EventProposalCreated:    proposalCreated,
		models.EventProposalUpdated:    proposalChanged,
		models.EventProposalWithdrawn:  proposalChanged,
		models.EventProposalThreshold:  proposalChanged,
		models.EventProposalAnswered:   proposalAnswered,
		models.EventSupportAdded:       countChanged,
		models.EventSupportRemoved:     countChanged,
		models.EventPetitionCreated:    petitionCreated,
		models.EventSignatureAdded:     countChanged,
		models.EventSignatureRemoved:   countChanged,
		models.EventPetitionMilestone:  countChanged,
		models.EventPetitionUpdate:     petitionUpdatePosted,
		models.EventPetitionAnswered:   petitionAnswered,
		models.EventDebateCreated:      debatePublished,
		models.EventDebateOpened:       debatePublished,
		models.EventDebateClosed:       debateClosed,
		models.EventDebateUpdated:      debateEdited,
		models.EventDebateResults:      countChanged,
		models.EventVoteCast:           countChanged,
		models.EventVoteWithdrawn:      countChanged,
		models.EventCommentCreated:     commentCreated,
		models.EventCommentUpdated:     commentUpdated,
		models.EventCommentDeleted:     commentDeleted,
		eventObjectHidden:              objectHidden,
		models.EventNewsPublished:      newsPublished,
		models.EventNewsUpdated:        newsUpdated,
		models.EventNewsDeleted:        newsDeleted,
		models.EventSynthesisPublished: synthesisPublished,
		models.EventSynthesisUpdated:   synthesisUpdated,
	} {
		eventHandlers[kind] = h
	}
	eventHandlers[models.EventConsultationDeleted] = consultationDeleted
	// A petition's new addressee: the Update{Question} rebuilt from it
	// carries their Mention (tag, cc, content link).
	eventHandlers[models.EventPetitionReaddressed] = countChanged
	eventHandlers[models.EventPetitionClosed] = petitionClosed
	// Edits of a petition's update or response: Updates of their Notes.
	eventHandlers[models.EventPetitionUpdateEdited] = petitionUpdateEdited
	eventHandlers[models.EventPetitionResponseEdited] = petitionResponseEdited
}

// eventData is the part of events' Data the handlers read.
type eventData struct {
	Remote   bool   `json:"remote"`
	UpdateID int64  `json:"update_id"`
	URI      string `json:"uri"`
}

func dataOf(ev models.Event) eventData {
	var d eventData
	_ = json.Unmarshal([]byte(ev.Data), &d) // absent or malformed: zero
	return d
}

// publication gathers the activities of one event.
type publication struct {
	s   *Service
	out []models.Outgoing
	// followers keeps the follower lists read (sendBesides reads the space's
	// then announce does: 10,000 followers are a 10 ms query).
	followers map[int64][]models.Recipient
}

// followersOf lists a's follower inboxes, once per publication.
func (p *publication) followersOf(ctx context.Context, a *models.Actor) ([]models.Recipient, error) {
	if rs, ok := p.followers[a.ID]; ok {
		return rs, nil
	}
	rs, err := p.s.store.FollowerRecipients(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if p.followers == nil {
		p.followers = map[int64][]models.Recipient{}
	}
	p.followers[a.ID] = rs
	return rs, nil
}

// send queues activity d signed by from to the followers of from and of
// the space (and to extra inboxes).
func (p *publication) send(ctx context.Context, from *models.Actor, sp *models.Space, d doc, extra ...string) error {
	inboxes, err := p.audience(ctx, from, sp, extra...)
	if err != nil {
		return err
	}
	o, err := outgoing(from, d, inboxes)
	p.out = append(p.out, o...)
	return err
}

// sendBesides queues activity d signed by from to the followers of from
// and to extra inboxes, leaving out the inboxes of group's followers
// (they get the group's Announce of d).
func (p *publication) sendBesides(ctx context.Context, from, group *models.Actor, d doc, extra ...string) error {
	inboxes, err := p.audience(ctx, from, nil, extra...)
	if err != nil {
		return err
	}
	skip, err := p.followersOf(ctx, group)
	if err != nil {
		return err
	}
	announced := make(map[string]bool, len(skip))
	for _, r := range skip {
		announced[r.Inbox] = true
	}
	inboxes = slices.DeleteFunc(inboxes, func(i string) bool { return announced[i] })
	o, err := outgoing(from, d, inboxes)
	p.out = append(p.out, o...)
	return err
}

// announce queues the space's FEP-1b12 Announce of activity (and of the
// bare object, when given) to the space's followers. A space announcing
// its own activity (news, synthesis) skips it: its followers got it.
func (p *publication) announce(ctx context.Context, sp *models.Space, from *models.Actor, activity, bareObject doc) error {
	if sp == nil || sp.Actor == nil || (from != nil && from.ID == sp.Actor.ID) {
		return nil
	}
	rs, err := p.followersOf(ctx, sp.Actor)
	if err != nil {
		return err
	}
	o, err := announceTo(sp.Actor, rs, activity, bareObject)
	p.out = append(p.out, o...)
	return err
}

// audience lists the inboxes of the remote followers of from and of the
// space's Group, plus extra, each once. Follower lists are read once per
// publication: the Deletes of a hidden proposal's comments share them.
func (p *publication) audience(ctx context.Context, from *models.Actor, sp *models.Space, extra ...string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(list []string) {
		for _, i := range list {
			if i != "" && !seen[i] {
				seen[i] = true
				out = append(out, i)
			}
		}
	}
	rs, err := p.followersOf(ctx, from)
	if err != nil {
		return nil, err
	}
	add(inboxesOf(rs))
	if sp != nil && sp.Actor != nil && sp.Actor.ID != from.ID {
		if rs, err = p.followersOf(ctx, sp.Actor); err != nil {
			return nil, err
		}
		add(inboxesOf(rs))
	}
	add(extra)
	return out, nil
}

func inboxesOf(rs []models.Recipient) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Inbox
	}
	return out
}

// remoteInboxes returns the inboxes of the remote actors among as.
func remoteInboxes(as ...*models.Actor) []string {
	var out []string
	for _, a := range as {
		if a != nil && !a.Local && a.DeletedAt == nil {
			if i := inboxOf(a); i != "" {
				out = append(out, i)
			}
		}
	}
	return out
}

// publishNew sends the Create of a new object by its author (signed as
// objectSigner says) and the space's announces (with the bare object
// when boost).
//
// With boost, the space's followers get two POSTs, not three: the
// Announce{Create} carries the author's Create unchanged (FEP-1b12) and
// the Announce{Note} is what Mastodon shows, so the author's own Create
// goes only to the author's followers and extra inboxes that do not
// follow the space. Comments (no boost) keep the direct Create: it is
// how a reply reaches Mastodon, which ignores Announce{Create}.
func (s *Service) publishNew(ctx context.Context, author *models.Actor, sp *models.Space, obj doc, boost bool, extra ...string) ([]models.Outgoing, error) {
	p := &publication{s: s}
	if err := p.create(ctx, author, sp, obj, boost, extra...); err != nil {
		return nil, err
	}
	return p.out, nil
}

// create queues the Create of obj, written by author, signed by
// objectSigner(author, sp), and the space's announce of it, as
// publishNew describes. A Create goes out only signed by its object's
// attributedTo (peers take it from no one else): when they differ,
// nothing is queued (sentByErased), and a difference the erasure of the
// author does not explain is logged as the bug it is.
func (p *publication) create(ctx context.Context, author *models.Actor, sp *models.Space, obj doc, boost bool, extra ...string) error {
	return p.createAs(ctx, "", author, sp, obj, boost, extra...)
}

// createAs is create with the Create's id (CreateCivic's when "").
func (p *publication) createAs(ctx context.Context, id string, author *models.Actor, sp *models.Space, obj doc, boost bool, extra ...string) error {
	signer := objectSigner(author, sp)
	if signer == nil {
		return fmt.Errorf("create of %s: no author", idOf(obj["id"]))
	}
	if by := idOf(obj["attributedTo"]); by != signer.URI {
		id := idOf(obj["id"]) + "#create"
		if sentByErased(author, signer, obj) {
			p.s.log.InfoContext(ctx, "create not sent: its author was erased", "activity_id", id)
		} else {
			p.s.log.ErrorContext(ctx, "create not sent: attributed to another actor than its signer",
				"activity_id", id, "attributed_to", by, "signer", signer.URI)
		}
		return nil
	}
	create := CreateCivic(signer, obj)
	if id != "" {
		create["id"] = id
	}
	if boost && sp != nil && sp.Actor != nil && sp.Actor.ID != signer.ID {
		if err := p.sendBesides(ctx, signer, sp.Actor, create, extra...); err != nil {
			return err
		}
	} else if err := p.send(ctx, signer, sp, create, extra...); err != nil {
		return err
	}
	var bareObj doc
	if boost {
		bareObj = obj
	}
	return p.announce(ctx, sp, signer, create, bareObj)
}

// publishUpdate sends the Update of an object by its author, announced.
func (s *Service) publishUpdate(ctx context.Context, author *models.Actor, sp *models.Space, obj doc, extra ...string) ([]models.Outgoing, error) {
	return s.publishAnnounced(ctx, author, sp, UpdateCivic(author, obj, s.now()), extra...)
}

// publishAnnounced sends update, an Update by author, announced by the
// space.
func (s *Service) publishAnnounced(ctx context.Context, author *models.Actor, sp *models.Space, update doc, extra ...string) ([]models.Outgoing, error) {
	p := &publication{s: s}
	if err := p.send(ctx, author, sp, update, extra...); err != nil {
		return nil, err
	}
	if err := p.announce(ctx, sp, author, update, nil); err != nil {
		return nil, err
	}
	return p.out, nil
}

// publishDelete sends Delete{Tombstone} by the author, announced.
func (s *Service) publishDelete(ctx context.Context, author *models.Actor, sp *models.Space, uri, formerType string, extra ...string) ([]models.Outgoing, error) {
	p := &publication{s: s}
	if err := p.delete(ctx, author, sp, uri, formerType, extra...); err != nil {
		return nil, err
	}
	return p.out, nil
}

// delete queues Delete{Tombstone} of uri by author, and the space's
// announce of it.
func (p *publication) delete(ctx context.Context, author *models.Actor, sp *models.Space, uri, formerType string, extra ...string) error {
	del := DeleteCivic(author, uri, formerType, p.s.now(), sp)
	if err := p.send(ctx, author, sp, del, extra...); err != nil {
		return err
	}
	return p.announce(ctx, sp, author, del, nil)
}

// objectSigner is who sends activities about an object: its author while
// the author can sign (an erased account has no key), else the space.
func objectSigner(author *models.Actor, sp *models.Space) *models.Actor {
	if author != nil && author.Local && author.PrivateKeyPEM != "" && author.DeletedAt == nil {
		return author
	}
	if sp != nil && sp.Actor != nil {
		return sp.Actor
	}
	return author
}

// sentByErased reports whether the Create of obj, written by author and
// signed by signer, names another actor than its signer because author
// was erased between writing obj and the outbox building its Create (the
// outbox runs after the commit, later when it is behind): byline keeps
// obj theirs, as it was written before the erasure, while objectSigner
// has the space sign, since an erased account signs nothing. Any other
// difference is not the erasure's: create logs it as an error.
//
// Such a Create is not sent, rather than sent as the space's. Sent, it
// would put the erased person's id out again after the erasure, and no
// peer would take it (odn peers and Mastodon take a Create only from its
// object's attributedTo). Attributed to the space, it would put the
// person's words in the institution's mouth, and it would contradict GET
// and the later Updates: they decide attribution from when the object
// was written (byline), and nothing records that its first Create came
// after the erasure. So the object is, for every peer, one more of the
// author's objects from before the erasure that it never got: readable
// here as by a deleted account, like Mastodon, which sends nothing of a
// deleted account's statuses still queued. Official answers are the
// institution's own words and do not take this path (officialBy).
func sentByErased(author, signer *models.Actor, obj doc) bool {
	return author.Erased() && author.Local && signer != nil && signer.ID != author.ID &&
		idOf(obj["attributedTo"]) == author.URI
}

// skipGone treats a since hidden, deleted or unpublished object as
// nothing to send.
func skipGone(err error) error {
	var gone *Gone
	if errors.As(err, &gone) {
		return nil
	}
	return err
}

// evID is the event's object id as a path segment.
func evID(ev models.Event) string { return strconv.FormatInt(ev.ObjectID, 10) }

func proposalCreated(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	p, err := s.localProposal(ctx, evID(ev), "Note")
	if err != nil {
		return nil, skipGone(err)
	}
	n, err := s.proposalDoc(ctx, p)
	if err != nil {
		return nil, err
	}
	return s.publishNew(ctx, p.Author, p.Space, n, true)
}

// proposalChanged: edit, withdrawal (status withdrawn) or threshold.
func proposalChanged(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	p, err := s.localProposal(ctx, evID(ev), "Note")
	if err != nil {
		return nil, skipGone(err)
	}
	inboxes, err := s.store.ParticipantInboxes(ctx, models.ObjectTypeProposal, p.ID)
	if err != nil {
		return nil, err
	}
	n, err := s.proposalDoc(ctx, p)
	if err != nil {
		return nil, err
	}
	return s.publishUpdate(ctx, objectSigner(p.Author, p.Space), p.Space, n, inboxes...)
}

// firstAnswerer is the moderator of p's first answer with a text, whose
// answer Note it is (officialBy: the space's once they are erased), and
// the answer events with a text, oldest first: the first created the
// Note (none while there is none). A later answer by another moderator
// updates the Note as its author's; the page shows who answered last
// (p.Answerer).
func (s *Service) firstAnswerer(ctx context.Context, p *models.Proposal) (*models.Actor, []models.Event, error) {
	answers, err := s.store.ProposalAnswers(ctx, p.ID)
	if err != nil || len(answers) == 0 {
		return p.Answerer, nil, err
	}
	a := p.Answerer
	if a == nil || a.ID != answers[0].ActorID {
		if a, err = s.store.ActorByID(ctx, answers[0].ActorID); err != nil {
			return nil, nil, err
		}
	}
	return a, answers, nil
}

// spaceOwesAnswerCreate reports whether answer event evID (not the first)
// must send the space's Create of the answer Note, rather than an Update:
// the Note is the space's since answerer's erasure (officialBy), while
// every earlier answer went out before it, as answerer's, and Mastodon
// deleted that copy with the account (on its Delete{Person}), so no peer
// holds the space's Note to update. An earlier answer the outbox handled
// after the erasure (or is handling in this batch: no ProcessedAt yet)
// sent the space's Create already. ProcessedAt is set after the handler
// read the account: an answer built just before the erasure committed
// counts as after it, and the edit is an Update, as before.
func spaceOwesAnswerCreate(answerer *models.Actor, sp *models.Space, answers []models.Event, evID int64) bool {
	if officialBy(answerer, sp) == answerer {
		return false
	}
	for _, e := range answers {
		if e.ID >= evID {
			break
		}
		if e.ProcessedAt == nil || !e.ProcessedAt.Before(*answerer.DeletedAt) {
			return false
		}
	}
	return true
}

// proposalAnswered: the Update of the proposal's status and the official
// answer, a reply Note by the moderator who first wrote one, or by the
// space once they are erased (officialBy): Create the first time, Update
// after, and the space's Create when it takes over an answer that went
// out before the erasure (spaceOwesAnswerCreate); boosted by the space.
func proposalAnswered(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	out, err := proposalChanged(ctx, s, ev)
	if err != nil {
		return nil, err
	}
	p, err := s.localProposal(ctx, evID(ev), "Note")
	if err != nil {
		return nil, skipGone(err)
	}
	// The answer Note exists from the first answer with a text on: a
	// status change without one sends none, and the first answer sent is
	// a Create even when the status was changed before (peers ignore the
	// Update of a Note they never had).
	if p.AnswerHTML == "" || p.Answerer == nil || models.AnswerTextOf(ev) == "" {
		return out, nil
	}
	answerer, answers, err := s.firstAnswerer(ctx, p)
	if err != nil || len(answers) == 0 {
		return out, err
	}
	answer := ProposalAnswerToNote(p, answerer)
	author := officialBy(answerer, p.Space)
	inboxes, err := s.store.ParticipantInboxes(ctx, models.ObjectTypeProposal, p.ID)
	if err != nil {
		return nil, err
	}
	inboxes = append(inboxes, remoteInboxes(p.Author)...)
	pub := &publication{s: s}
	switch {
	case answers[0].ID >= ev.ID:
		err = pub.create(ctx, author, p.Space, answer, true, inboxes...)
	case spaceOwesAnswerCreate(answerer, p.Space, answers, ev.ID):
		// Not the first Create's id, which answerer's took.
		id := idOf(answer["id"]) + "#creates/" + ev.CreatedAt.UTC().Format("20060102T150405.000000")
		err = pub.createAs(ctx, id, author, p.Space, answer, true, inboxes...)
	default:
		pub.out, err = s.publishUpdate(ctx, objectSigner(author, p.Space), p.Space, answer, inboxes...)
	}
	return append(out, pub.out...), err
}

func petitionCreated(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	p, err := s.localPetition(ctx, evID(ev))
	if err != nil {
		return nil, skipGone(err)
	}
	if p.ClosesAt != nil {
		// The final Update when the deadline passes: nothing else marks it.
		if err := s.store.ScheduleCountUpdate(ctx, models.ObjectTypePetition, p.ID, *p.ClosesAt, CountUpdateDelay, true); err != nil {
			return nil, err
		}
	}
	q, err := s.petitionDoc(ctx, p) // its consultation may stop signatures first
	if err != nil {
		return nil, err
	}
	return s.publishNew(ctx, p.Author, p.Space, q, true, remoteInboxes(p.Addressee)...)
}

func petitionUpdatePosted(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	p, u, inboxes, err := s.petitionUpdateOf(ctx, ev)
	if err != nil || p == nil {
		return nil, err
	}
	return s.publishNew(ctx, p.Author, p.Space, PetitionUpdateToNote(p, u), true, inboxes...)
}

// petitionUpdateOf is the petition update ev names, its petition (nil
// when gone: nothing to send) and the inboxes of the petition's remote
// participants, to whom its Note goes.
func (s *Service) petitionUpdateOf(ctx context.Context, ev models.Event) (*models.Petition, *models.PetitionUpdate, []string, error) {
	p, err := s.localPetition(ctx, evID(ev))
	if err != nil {
		return nil, nil, nil, skipGone(err)
	}
	u, err := s.store.PetitionUpdateByID(ctx, p.ID, dataOf(ev).UpdateID)
	if err != nil {
		return nil, nil, nil, err
	}
	inboxes, err := s.store.ParticipantInboxes(ctx, models.ObjectTypePetition, p.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	return p, u, inboxes, nil
}

// petitionUpdateEdited: the Update of an edited update's Note (same id),
// to whom its Create went, signed as a comment's edit is (objectSigner).
func petitionUpdateEdited(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	p, u, inboxes, err := s.petitionUpdateOf(ctx, ev)
	if err != nil || p == nil {
		return nil, err
	}
	return s.publishUpdate(ctx, objectSigner(p.Author, p.Space), p.Space, PetitionUpdateToNote(p, u), inboxes...)
}

// petitionResponseEdited: the edited response goes out as the Update of
// the response Note, by its addressee, or by the space once they are
// erased (officialBy); when the response went out as theirs before the
// erasure, no peer holds the space's Note, and the space Creates it
// instead (spaceOwesAnswerCreate, as a proposal's later answer).
func petitionResponseEdited(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	p, err := s.localPetition(ctx, evID(ev))
	if err != nil {
		return nil, skipGone(err)
	}
	if p.ResponseHTML == "" || p.Addressee == nil {
		return nil, nil
	}
	responses, err := s.store.PetitionResponses(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	inboxes, err := s.store.ParticipantInboxes(ctx, models.ObjectTypePetition, p.ID)
	if err != nil {
		return nil, err
	}
	inboxes = append(inboxes, remoteInboxes(p.Author)...)
	note := PetitionResponseToNote(p)
	author := officialBy(p.Addressee, p.Space)
	if spaceOwesAnswerCreate(p.Addressee, p.Space, responses, ev.ID) {
		pub := &publication{s: s}
		// Not the first Create's id, which the addressee's took.
		id := idOf(note["id"]) + "#creates/" + ev.CreatedAt.UTC().Format("20060102T150405.000000")
		err := pub.createAs(ctx, id, author, p.Space, note, true, inboxes...)
		return pub.out, err
	}
	return s.publishUpdate(ctx, objectSigner(author, p.Space), p.Space, note, inboxes...)
}

// petitionAnswered: the addressee's response Note, and the final Update
// of the petition (closed, answered) right away.
func petitionAnswered(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	p, err := s.localPetition(ctx, evID(ev))
	if err != nil {
		return nil, skipGone(err)
	}
	if err := s.store.ScheduleCountUpdate(ctx, models.ObjectTypePetition, p.ID, s.store.Now(), CountUpdateDelay, true); err != nil {
		return nil, err
	}
	if p.ResponseHTML == "" || p.Addressee == nil {
		return nil, nil
	}
	inboxes, err := s.store.ParticipantInboxes(ctx, models.ObjectTypePetition, p.ID)
	if err != nil {
		return nil, err
	}
	inboxes = append(inboxes, remoteInboxes(p.Author)...)
	return s.publishNew(ctx, p.Addressee, p.Space, PetitionResponseToNote(p), true, inboxes...)
}

// petitionClosed: a petition closed before its deadline (ClosePetition)
// gets its final Update right away, with closed set (PetitionToQuestion),
// so that Mastodon shows the poll ended and odn copies stop signatures.
// Forced, as at the deadline: it does not wait for the window after the
// last count Update.
func petitionClosed(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	return nil, s.store.ScheduleCountUpdate(ctx, models.ObjectTypePetition, ev.ObjectID, s.store.Now(), CountUpdateDelay, true)
}

// debatePublished sends the Create of a debate once it is out of draft
// (created open, or opened later); the Create's id is stable, so when both
// events see it open the deliveries are queued once.
//
// The comments staff wrote on the draft (commentObject lets them) were
// not sent then (a draft is not public); readers of the opened debate see
// them, so their Creates follow the Question's, oldest first, as if
// written now. Those hidden, below a hidden comment or deleted stay
// unsent. All go in one publication: the follower lists of the space and
// of the authors are read once, not once per comment.
func debatePublished(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	d, sp, err := s.localDebate(ctx, evID(ev))
	if err != nil {
		return nil, skipGone(err) // a draft is not found: nothing yet
	}
	q, err := s.debateDoc(ctx, d, sp)
	if err != nil {
		return nil, err
	}
	p := &publication{s: s}
	if err := p.create(ctx, d.Author, sp, q, true); err != nil {
		return nil, err
	}
	comments, err := s.store.DraftComments(ctx, d)
	if err != nil || len(comments) == 0 {
		return p.out, err
	}
	t, err := s.civicTarget(ctx, models.ObjectTypeDebate, d.ID)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*models.Comment, len(comments))
	for _, c := range comments {
		byID[c.ID] = c
	}
	for _, c := range comments {
		var parent *models.Actor
		if pc, ok := byID[c.ParentID]; ok {
			parent = pc.Author
		} else if c.ParentID != 0 {
			if _, parent, err = s.commentContext(ctx, c); err != nil { // a deleted parent
				return nil, err
			}
		}
		if err := p.create(ctx, c.Author, sp, CommentToNote(c, t, parent), false, remoteInboxes(t.Author, parent)...); err != nil {
			return nil, err
		}
	}
	return p.out, nil
}

// debateClosed asks for the final Update{Question} (closed, final counts)
// at once, whatever the batching window.
func debateClosed(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	return nil, s.store.ScheduleCountUpdate(ctx, models.ObjectTypeDebate, ev.ObjectID, s.store.Now(), CountUpdateDelay, true)
}

// debateEdited sends the Update{Question} of an edited debate at once
// (the count Update's batching window does not hold it back): its text,
// closing date or, on a draft, anything may have changed. A draft is not
// published: nothing to tell.
func debateEdited(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	d, err := s.debateOnce(ctx, ev.ObjectID)
	if err != nil {
		return nil, skipGone(err)
	}
	if !d.Local || d.Current == models.DebateDraft {
		return nil, nil
	}
	return nil, s.store.ScheduleCountUpdate(ctx, models.ObjectTypeDebate, ev.ObjectID, s.store.Now(), CountUpdateDelay, true)
}

// countChanged batches an Update of a local object's counts. Events about
// remote objects are left to the participation side.
func countChanged(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	if dataOf(ev).Remote {
		return nil, nil
	}
	key := countKey{ev.ObjectType, ev.ObjectID}
	if memoOf(ctx).scheduled[key] {
		return nil, nil // an earlier event of this batch scheduled it
	}
	if ev.ObjectType == models.ObjectTypeDebate {
		d, err := s.debateOnce(ctx, ev.ObjectID)
		if err != nil {
			return nil, err
		}
		if !d.Local || !d.ResultsVisible(nil) {
			return nil, nil // results shown at the close: the final Update carries them
		}
	}
	switch ev.ObjectType {
	case models.ObjectTypeProposal, models.ObjectTypePetition, models.ObjectTypeDebate:
		if err := s.store.ScheduleCountUpdate(ctx, ev.ObjectType, ev.ObjectID, s.store.Now(), CountUpdateDelay, false); err != nil {
			return nil, err
		}
		memoOf(ctx).scheduled[key] = true
	}
	return nil, nil
}

// commentCreated: Create{Note} by the author, delivered to the author's
// and the space's followers and to the remote authors it answers, and the
// space's Announce{Create} (no bare boost for replies).
func commentCreated(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	return s.commentActivity(ctx, ev, false)
}

func commentUpdated(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	return s.commentActivity(ctx, ev, true)
}

func (s *Service) commentActivity(ctx context.Context, ev models.Event, update bool) ([]models.Outgoing, error) {
	c, err := s.localComment(ctx, evID(ev))
	if err != nil {
		return nil, skipGone(err)
	}
	t, parent, err := s.commentContext(ctx, c)
	if err != nil {
		return nil, err
	}
	note := CommentToNote(c, t, parent)
	extra := remoteInboxes(t.Author, parent)
	if update {
		return s.publishUpdate(ctx, objectSigner(c.Author, t.Space), t.Space, note, extra...)
	}
	return s.publishNew(ctx, c.Author, t.Space, note, false, extra...)
}

// commentDeleted: Delete{Tombstone} of a local comment, to whom its
// Create went: followers, and the remote authors of the object and of
// the comment it answers.
func commentDeleted(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	c, err := s.store.CommentByID(ctx, ev.ObjectID)
	if err != nil {
		return nil, err
	}
	if !c.Local {
		return nil, nil
	}
	t, parent, err := s.commentContext(ctx, c)
	if err != nil {
		return nil, err
	}
	return s.publishDelete(ctx, objectSigner(c.Author, t.Space), t.Space, c.URI, "Note", remoteInboxes(t.Author, parent)...)
}

// objectHidden: moderation hid a local object; peers get a Delete with
// its Tombstone (restoring it does not re-create it on peers: Mastodon
// never re-creates a deleted id). The local comments under it, however
// deep, are unreadable with it (models.CommentHiddenAt), so peers get
// their Deletes too: from one query, each to the followers of its author
// and of the space and to the remote authors its Create went to; those
// already deleted or hidden had theirs. Comments by remote authors are
// their servers' to delete.
func objectHidden(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	var uri, formerType string
	var author *models.Actor
	var extra []string
	var t CivicTarget
	switch ev.ObjectType {
	case models.ObjectTypeProposal:
		p, err := s.store.ProposalByID(ctx, ev.ObjectID)
		if err != nil || !p.Local {
			return nil, err
		}
		uri, formerType, author, t = p.URI, "Note", p.Author, CivicTarget{URI: p.URI, Author: p.Author, Space: p.Space}
	case models.ObjectTypePetition:
		p, err := s.store.PetitionByID(ctx, ev.ObjectID)
		if err != nil || !p.Local {
			return nil, err
		}
		if formerType, err = s.formerPollType(ctx, PetitionToQuestion(p, s.store.Now()), p.ConsultationID); err != nil {
			return nil, err
		}
		uri, author, t = p.URI, p.Author, CivicTarget{URI: p.URI, Author: p.Author, Space: p.Space}
	case models.ObjectTypeDebate:
		d, err := s.store.DebateByID(ctx, ev.ObjectID)
		if err != nil || !d.Local || d.Current == models.DebateDraft {
			return nil, err // a draft and its comments were never sent
		}
		if t, err = s.civicTarget(ctx, models.ObjectTypeDebate, d.ID); err != nil {
			return nil, err
		}
		if formerType, err = s.formerPollType(ctx, DebateToQuestion(d, t.Space, nil), d.ConsultationID); err != nil {
			return nil, err
		}
		uri, author = d.URI, t.Author
	case models.ObjectTypeComment:
		c, err := s.store.CommentByID(ctx, ev.ObjectID)
		if err != nil || !c.Local {
			return nil, err
		}
		if c.ObjectType == models.ObjectTypeDebate {
			if d, err := s.store.DebateByID(ctx, c.ObjectID); err != nil {
				return nil, err
			} else if d.Current == models.DebateDraft {
				return nil, nil // on a draft: never sent
			}
		}
		var parent *models.Actor
		if t, parent, err = s.commentContext(ctx, c); err != nil {
			return nil, err
		}
		uri, formerType, author, extra = c.URI, "Note", c.Author, remoteInboxes(t.Author, parent)
	default:
		return nil, nil
	}
	p := &publication{s: s}
	if err := p.delete(ctx, objectSigner(author, t.Space), t.Space, uri, formerType, extra...); err != nil {
		return nil, err
	}
	below, err := s.store.LocalCommentsUnder(ctx, ev.ObjectType, ev.ObjectID)
	if err != nil {
		return nil, err
	}
	for _, c := range below {
		if err := p.delete(ctx, objectSigner(c.Author, t.Space), t.Space, c.URI, "Note", remoteInboxes(t.Author, c.ParentAuthor)...); err != nil {
			return nil, err
		}
	}
	return p.out, nil
}

func newsPublished(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	n, sp, err := s.localNews(ctx, evID(ev))
	if err != nil {
		return nil, skipGone(err)
	}
	return s.publishNew(ctx, sp.Actor, sp, NewsToNote(n, sp), false)
}

func newsUpdated(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	n, sp, err := s.localNews(ctx, evID(ev))
	if err != nil {
		return nil, skipGone(err)
	}
	return s.publishUpdate(ctx, sp.Actor, sp, NewsToNote(n, sp))
}

func newsDeleted(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	sp, err := s.store.SpaceByID(ctx, ev.SpaceID)
	if err != nil {
		return nil, err
	}
	return s.publishDelete(ctx, sp.Actor, sp, s.store.URLs.NewsURI(ev.ObjectID), "Note")
}

func synthesisPublished(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	return s.synthesisActivity(ctx, ev, false)
}

func synthesisUpdated(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	return s.synthesisActivity(ctx, ev, true)
}

// synthesisActivity: the space's Create (or Update) of the synthesis,
// also delivered to the remote contributors it tells.
func (s *Service) synthesisActivity(ctx context.Context, ev models.Event, update bool) ([]models.Outgoing, error) {
	syn, err := s.store.SynthesisByID(ctx, ev.ObjectID)
	if err != nil {
		return nil, err
	}
	c, err := s.store.ConsultationByID(ctx, syn.ConsultationID)
	if err != nil {
		return nil, err
	}
	sp, err := s.store.SpaceByID(ctx, c.SpaceID)
	if err != nil {
		return nil, err
	}
	recipients, err := s.store.SynthesisRecipients(ctx, syn.ID)
	if err != nil {
		return nil, err
	}
	note, err := s.synthesisNote(ctx, syn, c, sp)
	if err != nil {
		return nil, err
	}
	extra := remoteInboxes(recipients...)
	if update {
		return s.publishUpdate(ctx, sp.Actor, sp, note, extra...)
	}
	return s.publishNew(ctx, sp.Actor, sp, note, false, extra...)
}

// synthesisNote is SynthesisToNote with the consultation's items.
func (s *Service) synthesisNote(ctx context.Context, syn *models.Synthesis, c *models.Consultation, sp *models.Space) (doc, error) {
	items, err := s.store.ConsultationItemIDs(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return SynthesisToNote(syn, c, sp, items), nil
}

// consultationDeleted: the consultation itself is no ActivityPub object,
// but its published synthesis is a Note peers hold: the space sends its
// Delete to whom it sent the Create (followers, remote contributors). The
// proposals, debates and petitions of the consultation stay (read-only
// here), so they get nothing.
func consultationDeleted(ctx context.Context, s *Service, ev models.Event) ([]models.Outgoing, error) {
	syn, err := s.store.SynthesisOf(ctx, ev.ObjectID, false)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil // none, or a draft never sent
	} else if err != nil {
		return nil, err
	}
	sp, err := s.store.SpaceByID(ctx, ev.SpaceID)
	if err != nil {
		return nil, err
	}
	recipients, err := s.store.SynthesisRecipients(ctx, syn.ID)
	if err != nil {
		return nil, err
	}
	return s.publishDelete(ctx, sp.Actor, sp, syn.URI, "Note", remoteInboxes(recipients...)...)
}
