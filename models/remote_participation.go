package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Kinds of participation that cross servers.
const (
	ParticipationSupport   = "support"
	ParticipationVote      = "vote"
	ParticipationSignature = "signature"
)

// NotifyParticipationRefused tells a local member that the origin of a
// remote proposal, debate or petition refused their support, vote or
// signature (Data is the kind), which was therefore withdrawn here too.
const NotifyParticipationRefused = "participation.refused"

// Participation remembers the ActivityPub ids of a support (Like), a vote
// or a signature (vote Create{Note}) that crossed servers. Received ones
// (Outgoing false) let a Delete of a vote Note, or an Undo given only by
// id, find what to withdraw; sent ones (Outgoing true) let a withdrawal
// undo exactly the activities the origin received, and a Reject find the
// participation it refuses.
type Participation struct {
	bun.BaseModel `bun:"table:participations,alias:pa"`
	ID            int64 `bun:",pk,autoincrement"`
	// URI is the id of the Like, or of the vote Note.
	URI string `bun:"uri,notnull"`
	// ActivityURI is the id of the Create carrying a vote Note (the Like
	// id again for supports).
	ActivityURI string    `bun:"activity_uri,notnull"`
	Kind        string    `bun:",notnull"`
	ObjectType  string    `bun:",notnull"`
	ObjectID    int64     `bun:",notnull"`
	ActorID     int64     `bun:",notnull"`
	Option      string    `bun:",notnull"`
	Outgoing    bool      `bun:",notnull"`
	CreatedAt   time.Time `bun:",notnull"`
}

// RecordParticipation stores p; recording the same URI twice is not an
// error (deliveries and event handlers are retried).
func (s *Store) RecordParticipation(ctx context.Context, p *Participation) error {
	return s.recordParticipation(ctx, s.DB, p)
}

// recordingIn returns the "then" of a participation's transaction that
// writes rec with it (AddRemoteVoteOption, SupportRemote, SignRemote).
func (s *Store) recordingIn(rec *Participation) func(context.Context, bun.IDB) error {
	return func(ctx context.Context, tx bun.IDB) error { return s.recordParticipation(ctx, tx, rec) }
}

func (s *Store) recordParticipation(ctx context.Context, db bun.IDB, p *Participation) error {
	if p.URI == "" || p.ActorID == 0 || p.ObjectID == 0 {
		return Invalid("uri", "A participation needs an id, an actor and an object.")
	}
	if p.ActivityURI == "" {
		p.ActivityURI = p.URI
	}
	p.CreatedAt = s.Now()
	// A prepared insert (hot_store.go): p.ID stays unset.
	err := rawExec(ctx, db, s.hot().insertParticipation, p.URI, p.ActivityURI, p.Kind, p.ObjectType, p.ObjectID, p.ActorID,
		p.Option, p.Outgoing, s.timeArg(p.CreatedAt))
	return dbErr("record participation", err)
}

// ParticipationByURI finds a participation by the id of its Like or vote
// Note, or by the id of the Create that carried the Note.
func (s *Store) ParticipationByURI(ctx context.Context, uri string) (*Participation, error) {
	p := new(Participation)
	err := s.scanOne(ctx, p, s.hot().participation, uri, uri)
	return p, dbErr("participation by uri", err)
}

// SentParticipations lists the activities sent to the origin for one
// actor's support, vote or signature of one object, oldest first.
func (s *Store) SentParticipations(ctx context.Context, kind, objectType string, objectID, actorID int64) ([]Participation, error) {
	var out []Participation
	err := s.DB.NewSelect().Model(&out).Where("pa.outgoing AND pa.kind = ? AND pa.object_type = ?", kind, objectType).
		Where("pa.object_id = ? AND pa.actor_id = ?", objectID, actorID).Order("pa.id").Scan(ctx)
	return out, dbErr("sent participations", err)
}

// Participating reports what actorID gives objectID here now: its
// ballot's options for a debate, one "" for a support or a signature,
// nothing when it gives nothing. Federation sends the origin what this
// says, not what an event said: two nodes may handle one member's
// events out of order, and the last word is the current state.
func (s *Store) Participating(ctx context.Context, kind string, objectID, actorID int64) ([]string, error) {
	var table, col string
	switch kind {
	case ParticipationSupport:
		table, col = "supports", "proposal_id"
	case ParticipationSignature:
		table, col = "signatures", "petition_id"
	case ParticipationVote:
		d, err := s.DebateByID(ctx, objectID)
		if err != nil {
			return nil, err
		}
		return ballotOptions(ctx, s.DB, d, actorID)
	default:
		return nil, fmt.Errorf("participating: unknown kind %q", kind)
	}
	n, err := s.DB.NewSelect().TableExpr("?", bun.Ident(table)).Where("? = ? AND actor_id = ?", bun.Ident(col), objectID, actorID).Count(ctx)
	if err != nil || n == 0 {
		return nil, dbErr("participating", err)
	}
	return []string{""}, nil
}

// ForgetParticipations deletes participation records by id (once undone).
func (s *Store) ForgetParticipations(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.DB.NewDelete().Model((*Participation)(nil)).Where("id IN (?)", bun.In(ids)).Exec(ctx)
	return dbErr("forget participations", err)
}

// RemoveVoteOption takes one option out of by's ballot (the Undo or the
// Delete of one Mastodon vote Note); the ballot goes when it was the last
// one. Without that option in the ballot it is ErrNotFound.
func (s *Store) RemoveVoteOption(ctx context.Context, by *Actor, debateID int64, option string) error {
	_, err := s.changeBallot(asWithdrawal(ctx), by, debateID, func(d *Debate, current []int) ([]int, error) {
		i := d.optionIndex(strings.TrimSpace(option))
		next := make([]int, 0, len(current))
		for _, c := range current {
			if c != i {
				next = append(next, c)
			}
		}
		if i < 0 || len(next) == len(current) {
			return nil, ErrNotFound
		}
		return next, nil
	})
	return err
}

// Unsign withdraws by's signature of a petition still open, outside a
// consultation's synthesis (the Undo or Delete of a Mastodon "Signer /
// Sign" vote); ErrNotFound without one.
func (s *Store) Unsign(ctx context.Context, by *Actor, petitionID int64) (int, error) {
	if by == nil {
		return 0, ErrUnauthorized
	}
	p, err := s.PetitionByID(ctx, petitionID)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// As for supports and ballots: nothing being synthesised moves.
		if err := s.checkConsultation(ctx, tx, p.ConsultationRef(), ActionVote); err != nil {
			return err
		}
		n, err = s.removeSignature(ctx, tx, p, by.ID)
		return err
	})
	return n, err
}

// removeSignature deletes actorID's signature of p inside tx, updates the
// count (only while p is open: ErrClosed otherwise) and emits
// signature.removed.
func (s *Store) removeSignature(ctx context.Context, tx bun.IDB, p *Petition, actorID int64) (int, error) {
	var sigID int64
	err := tx.NewDelete().Model((*Signature)(nil)).Where("petition_id = ? AND actor_id = ?", p.ID, actorID).
		Returning("id").Scan(ctx, &sigID)
	if err != nil {
		return 0, dbErr("delete signature", err)
	}
	n, err := bumpSignatures(ctx, tx, p.ID, -1, s.Now())
	if err != nil {
		return 0, err
	}
	return n, s.emit(ctx, tx, petitionEvent(EventSignatureRemoved, p, actorID, map[string]any{
		"signature_id": sigID, "petition_uri": p.URI, "remote": !p.Local, "public": false,
		"signatures": n, "goal": p.Goal}))
}

// EraseRemoteActor applies, for a remote actor that deleted itself
// (Delete{Person}), the rule local erasure applies (accountDeletedHooks):
// its supports of proposals still taking supports, its ballots in open
// debates and its signatures of open petitions are withdrawn, with the
// usual events so results are republished; on decided proposals, closed
// debates and closed or answered petitions they are kept as counted, the
// signatures made anonymous. It runs once the actor is marked deleted.
func (s *Store) EraseRemoteActor(ctx context.Context, a *Actor) error {
	if a == nil || a.Local {
		return ErrForbidden
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var props []*Proposal
		err := tx.NewSelect().Model(&props).Where("status IN (?)", bun.In(supportableStatuses)).
			Where("id IN (?)", tx.NewSelect().Model((*Support)(nil)).Column("proposal_id").Where("actor_id = ?", a.ID)).
			Scan(ctx)
		if err != nil {
			return dbErr("supports of erased actor", err)
		}
		for _, p := range props {
			if _, err := s.removeSupport(ctx, tx, p, a.ID); err != nil {
				return err
			}
		}
		var debateIDs []int64
		err = tx.NewSelect().Model((*Ballot)(nil)).Column("b.debate_id").Where("b.actor_id = ?", a.ID).
			Order("b.debate_id").Scan(ctx, &debateIDs)
		if err != nil {
			return dbErr("ballots of erased actor", err)
		}
		for _, id := range debateIDs {
			d, err := s.lockDebateForBallot(ctx, tx, id, a.ID)
			if errors.Is(err, ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if d.Current != DebateOpen {
				continue
			}
			current, err := ballotIndexes(ctx, tx, d.ID, a.ID)
			if err != nil {
				return err
			}
			if _, err := s.writeBallot(ctx, tx, d, a, current, nil); err != nil {
				return err
			}
		}
		var pets []*Petition
		err = tx.NewSelect().Model(&pets).Where("status = ? AND (closes_at IS NULL OR closes_at > ?)", PetitionOpen, s.Now()).
			Where("id IN (?)", tx.NewSelect().Model((*Signature)(nil)).Column("petition_id").Where("actor_id = ?", a.ID)).
			Scan(ctx)
		if err != nil {
			return dbErr("signatures of erased actor", err)
		}
		for _, p := range pets {
			if _, err := s.removeSignature(ctx, tx, p, a.ID); err != nil {
				return err
			}
		}
		_, err = tx.NewUpdate().Model((*Signature)(nil)).Set("public = ?", false).Where("actor_id = ?", a.ID).Exec(ctx)
		return dbErr("anonymise signatures", err)
	})
}

// RefuseSentParticipation applies the origin's Reject of a support, vote
// or signature this instance sent (found by activityURI): the local copy
// withdraws it too, without telling the origin again, and the member is
// notified. by is the rejecting actor: the object's author, or the
// instance actor of its origin (which odn uses when the author cannot
// sign); any other account of that host is refused.
func (s *Store) RefuseSentParticipation(ctx context.Context, by *Actor, activityURI string) error {
	p, err := s.ParticipationByURI(ctx, activityURI)
	if err != nil {
		return err
	}
	if !p.Outgoing {
		return ErrNotFound
	}
	obj, err := lookupObject(ctx, s.DB, p.ObjectType, p.ObjectID)
	if err != nil {
		return err
	}
	if by == nil || obj.Local || !sameHost(obj.URI, by.Host) || (by.ID != obj.AuthorID && by.Type != ActorApplication) {
		return fmt.Errorf("%w: %s cannot refuse a participation in %s", ErrForbidden, actorURI(by), obj.URI)
	}
	voter, err := s.ActorByID(ctx, p.ActorID)
	if err != nil {
		return err
	}
	var prop *Proposal
	var pet *Petition
	switch p.Kind {
	case ParticipationSupport:
		prop, err = s.ProposalByID(ctx, p.ObjectID)
	case ParticipationSignature:
		pet, err = s.PetitionByID(ctx, p.ObjectID)
	}
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// Forget first: the withdrawal's event then finds nothing to undo.
		if _, err := tx.NewDelete().Model((*Participation)(nil)).Where("outgoing AND kind = ? AND object_type = ?", p.Kind, p.ObjectType).
			Where("object_id = ? AND actor_id = ?", p.ObjectID, p.ActorID).Exec(ctx); err != nil {
			return dbErr("forget refused participation", err)
		}
		// The copy's count is the origin's as last received plus what was
		// given here since. A version the origin sent after this
		// participation left never counted it (the origin refused it):
		// taking it off that count again would count it out twice. (A
		// copy's version is the origin's clock, the participation's ours:
		// a skewed origin clock blurs the line, until its next Update.)
		counted := func(originVersion time.Time) bool { return !originVersion.After(p.CreatedAt) }
		var err error
		switch p.Kind {
		case ParticipationSupport:
			if _, err = s.removeSupport(ctx, tx, prop, voter.ID); err == nil && !counted(prop.UpdatedAt) {
				_, err = tx.NewUpdate().Model((*Proposal)(nil)).Set("supports_count = supports_count + 1").Where("id = ?", prop.ID).Exec(ctx)
			}
		case ParticipationVote:
			d, derr := s.lockDebateForBallot(ctx, tx, p.ObjectID, voter.ID)
			if derr != nil {
				return derr
			}
			current, berr := ballotIndexes(ctx, tx, d.ID, voter.ID)
			if berr != nil {
				return berr
			}
			if len(current) > 0 {
				counts, voters := slices.Clone(d.Counts), d.Voters
				if _, err = s.writeBallot(ctx, tx, d, voter, current, nil); err == nil && !counted(d.UpdatedAt) {
					err = s.writeTally(ctx, tx, d, counts, voters, s.Now())
				}
			}
		case ParticipationSignature:
			if _, err = s.removeSignature(ctx, tx, pet, voter.ID); err == nil && !counted(pet.UpdatedAt) {
				_, err = tx.NewUpdate().Model((*Petition)(nil)).Set("signatures_count = signatures_count + 1").Where("id = ?", pet.ID).Exec(ctx)
			}
		}
		if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrClosed) {
			return err
		}
		accounts, err := accountIDsOfActors(ctx, tx, "id = ?", voter.ID)
		if err != nil {
			return err
		}
		return s.Notify(ctx, tx, accounts, Notification{Kind: NotifyParticipationRefused, ObjectType: p.ObjectType,
			ObjectID: p.ObjectID, ActorID: by.ID, Data: p.Kind})
	})
}

// DeleteRemoteCopy applies the origin's Delete of a remote proposal,
// debate or petition: the copy is marked deleted (its pages answer 404,
// lists skip it), and each local space relaying it emits
// relay.withdrawn, so its followers hear of it too. by must be the copy's
// author (ErrForbidden otherwise: federation then asks the origin, see
// MarkRemoteCopyGone); a uri that is no remote copy here is ErrNotFound.
func (s *Store) DeleteRemoteCopy(ctx context.Context, by *Actor, uri string) error {
	if by == nil || by.Local || !sameHost(uri, by.Host) {
		return ErrForbidden
	}
	return s.deleteRemoteCopy(ctx, uri, by)
}

// MarkRemoteCopyGone is DeleteRemoteCopy when the origin itself answered
// 404 or 410 for uri (federation fetched it): no actor vouches for it.
func (s *Store) MarkRemoteCopyGone(ctx context.Context, uri string) error {
	if _, err := s.remoteOrigin(uri); err != nil {
		return err
	}
	return s.deleteRemoteCopy(ctx, uri, nil)
}

// deleteRemoteCopy marks the copy uri deleted; by, when not nil, must be
// its author.
func (s *Store) deleteRemoteCopy(ctx context.Context, uri string, by *Actor) error {
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, typ := range CommentableTypes {
			var id int64
			q := tx.NewUpdate().TableExpr("?", bun.Ident(civicObjects[typ].table)).Set("deleted_at = ?", s.Now()).
				Where("uri = ? AND NOT local AND deleted_at IS NULL", uri)
			if by != nil {
				q = q.Where("author_id = ?", by.ID)
			}
			err := q.Returning("id").Scan(ctx, &id)
			if err := dbErr("delete remote copy", err); errors.Is(err, ErrNotFound) {
				if by != nil {
					var n int
					err := tx.NewSelect().TableExpr("?", bun.Ident(civicObjects[typ].table)).ColumnExpr("count(*)").
						Where("uri = ? AND NOT local AND deleted_at IS NULL", uri).Scan(ctx, &n)
					if err != nil {
						return dbErr("remote copy", err)
					} else if n > 0 {
						return fmt.Errorf("%w: %s cannot delete %s", ErrForbidden, by.URI, uri)
					}
				}
				continue
			} else if err != nil {
				return err
			}
			var relays []Relay
			if err := tx.NewSelect().Model(&relays).Where("rl.object_type = ? AND rl.object_id = ?", typ, id).Scan(ctx); err != nil {
				return dbErr("relays of deleted copy", err)
			}
			for _, r := range relays {
				sp := new(Space)
				if err := tx.NewSelect().Model(sp).Where("id = ?", r.SpaceID).Scan(ctx); err != nil {
					return dbErr("relaying space", err)
				}
				data, _ := json.Marshal(map[string]any{"relay_id": r.ID, "object_uri": r.ObjectURI})
				err := s.emit(ctx, tx, Event{Kind: EventRelayWithdrawn, ObjectType: typ, ObjectID: id, ActorID: sp.ActorID,
					SpaceID: sp.ID, Data: string(data)})
				if err != nil {
					return err
				}
			}
			return nil
		}
		return ErrNotFound
	})
}

// CivicObjectByURI says which proposal, debate, petition or comment has
// the ActivityPub id uri (for remote reports); deleted ones are not found.
func (s *Store) CivicObjectByURI(ctx context.Context, uri string) (typ string, id int64, err error) {
	// One statement for the four tables (each by its uri index): the
	// inbox asks it of every reply within a remote server.
	var q strings.Builder
	var args []any
	for i, t := range civicObjectTypes {
		if i > 0 {
			q.WriteString(" UNION ALL ")
		}
		q.WriteString("SELECT ? AS typ, id FROM ? WHERE uri = ? AND deleted_at IS NULL")
		args = append(args, t, bun.Ident(civicObjects[t].table), uri)
	}
	var row struct {
		Typ string `bun:"typ"`
		ID  int64  `bun:"id"`
	}
	err = s.DB.NewRaw(q.String()+" LIMIT 1", args...).Scan(ctx, &row)
	if err = dbErr("civic object by uri", err); err != nil {
		return "", 0, err
	}
	return row.Typ, row.ID, nil
}

// civicObjectTypes are the kinds CivicObjectByURI looks for.
var civicObjectTypes = []string{ObjectTypeProposal, ObjectTypeDebate, ObjectTypePetition, ObjectTypeComment}

// FollowedLocally reports whether a local actor follows actorID (a remote
// space or person): only then are its new objects copied here.
func (s *Store) FollowedLocally(ctx context.Context, actorID int64) (bool, error) {
	n, err := s.DB.NewSelect().Model((*Follow)(nil)).
		Where("followee_id = ? AND state = ?", actorID, FollowAccepted).
		Where("follower_id IN (?)", s.DB.NewSelect().Model((*Actor)(nil)).Column("id").Where("local")).
		Count(ctx)
	return n > 0, dbErr("followed locally", err)
}

// sameHost reports whether uri is on host (case-insensitive).
func sameHost(uri, host string) bool {
	u, err := url.Parse(uri)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, host)
}

func actorURI(a *Actor) string {
	if a == nil {
		return "nobody"
	}
	return a.URI
}

// SetRemoteStance marks a remote top-level comment on a debate as an
// argument for or against (Mastodon users write "pour :" or "against:"
// first; odn peers send odn:stance). Replies and comments on proposals
// and petitions take no stance, as for local comments: they are left as
// they are (nil).
func (s *Store) SetRemoteStance(ctx context.Context, by *Actor, uri, stance string) error {
	if stance != StanceFor && stance != StanceAgainst {
		return Invalid("stance", "The stance must be for or against.")
	}
	if by == nil {
		return ErrUnauthorized
	}
	_, err := s.DB.NewUpdate().Model((*Comment)(nil)).Set("stance = ?", stance).
		Where("uri = ? AND author_id = ? AND NOT local AND object_type = ? AND parent_id IS NULL AND stance = ''",
			uri, by.ID, ObjectTypeDebate).Exec(ctx)
	return dbErr("set remote stance", err)
}
