package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Signature is one actor's signature of one petition; the database keeps
// it unique per (petition, actor). Public signatures show the signer's
// name; the others are counted anonymously.
type Signature struct {
	bun.BaseModel `bun:"table:signatures"`
	ID            int64     `bun:",pk,autoincrement"`
	PetitionID    int64     `bun:",notnull"`
	ActorID       int64     `bun:",notnull"`
	Public        bool      `bun:",notnull"`
	CreatedAt     time.Time `bun:",notnull"`
}

// Sign records by's signature and returns the new count and the goal. The
// space's policy and the consultation's phase apply; a petition past its
// deadline or answered refuses with ErrClosed, a second signature with
// ErrDuplicate. Reaching 25, 50, 75 and 100 % of the goal records each
// milestone once, emits petition.milestone and tells the author (and the
// signers at 100 %). For a remote petition the signature.added event
// tells federation to send it to the origin.
func (s *Store) Sign(ctx context.Context, by *Actor, petitionID int64, public bool) (signatures, goal int, err error) {
	return s.sign(ctx, by, petitionID, public, nil)
}

// SignRemote is Sign for a "Signer / Sign" vote received from another
// server: rec, the record of the vote Note (what its Undo or Delete will
// name), is written in the same transaction, so a counted signature always
// has its record (a retry then finds it) and a refused one never does.
func (s *Store) SignRemote(ctx context.Context, by *Actor, petitionID int64, rec *Participation) (signatures, goal int, err error) {
	return s.sign(ctx, by, petitionID, false, s.recordingIn(rec))
}

func (s *Store) sign(ctx context.Context, by *Actor, petitionID int64, public bool, then func(context.Context, bun.IDB) error) (signatures, goal int, err error) {
	if by == nil {
		return 0, 0, ErrUnauthorized
	}
	p, err := s.visiblePetition(ctx, petitionID)
	if err != nil {
		return 0, 0, err
	}
	now := s.Now()
	if p.State(now) != PetitionOpen {
		return 0, 0, ErrClosed
	}
	if p.Space != nil {
		if err := p.Space.MayParticipate(by); err != nil {
			return 0, 0, err
		}
	} else if by.DeletedAt != nil {
		return 0, 0, ErrForbidden
	}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkConsultation(ctx, tx, p.ConsultationRef(), ActionVote); err != nil {
			return err
		}
		if err := s.participantLive(ctx, tx, by.ID); err != nil {
			return err
		}
		sig := &Signature{PetitionID: p.ID, ActorID: by.ID, Public: public, CreatedAt: now}
		if _, err := tx.NewInsert().Model(sig).Exec(ctx); err != nil {
			return dbErr("insert signature", err)
		}
		if signatures, err = bumpSignatures(ctx, tx, p.ID, +1, now); err != nil {
			return err
		}
		p.SignaturesCount = signatures
		if p.Local {
			if err := s.recordMilestones(ctx, tx, p, by); err != nil {
				return err
			}
		}
		err := s.emit(ctx, tx, petitionEvent(EventSignatureAdded, p, by.ID, map[string]any{
			"signature_id": sig.ID, "petition_uri": p.URI, "remote": !p.Local, "public": public,
			"signatures": signatures, "goal": p.Goal}))
		if err != nil || then == nil {
			return err
		}
		return then(ctx, tx)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("sign: %w", err)
	}
	return signatures, p.Goal, nil
}

// bumpSignatures changes the count by delta under the row lock while the
// petition is open at now (ErrClosed otherwise, rolling the signature
// back), and returns the new count.
func bumpSignatures(ctx context.Context, tx bun.IDB, id int64, delta int, now time.Time) (int, error) {
	var n int
	// A new signature also needs the petition still visible under the
	// lock (as bumpSupports).
	err := tx.NewUpdate().Model((*Petition)(nil)).Set("signatures_count = signatures_count + ?", delta).
		Where("id = ? AND status = ? AND (closes_at IS NULL OR closes_at > ?)", id, PetitionOpen, now).
		Where("(? < 0 OR hidden_at IS NULL)", delta).
		Returning("signatures_count").Scan(ctx, &n)
	if err := dbErr("count signatures", err); err == ErrNotFound {
		return 0, hiddenOrClosed(ctx, tx, "petitions", id)
	} else if err != nil {
		return 0, err
	}
	return n, nil
}

// recordMilestones records the milestones p.SignaturesCount reaches and
// has not recorded yet, tells their audience and emits
// petition.milestone for each.
func (s *Store) recordMilestones(ctx context.Context, tx bun.IDB, p *Petition, by *Actor) error {
	reached, err := s.reachMilestones(ctx, tx, p)
	if err != nil {
		return err
	}
	for _, pct := range reached {
		err := s.emit(ctx, tx, petitionEvent(EventPetitionMilestone, p, by.ID, map[string]any{
			"uri": p.URI, "percent": pct, "signatures": p.SignaturesCount, "goal": p.Goal}))
		if err != nil {
			return err
		}
	}
	return nil
}

// reachMilestones records the milestones p.SignaturesCount reaches and
// has not recorded yet, and tells the local author of each and, at 100 %,
// the local signers; it returns the percentages newly reached. The
// primary key (petition_id, percent) keeps each one unique even when
// signatures are withdrawn and given again, or a copy's origin sends the
// same count twice.
func (s *Store) reachMilestones(ctx context.Context, tx bun.IDB, p *Petition) ([]int, error) {
	var reached []int
	for _, pct := range Milestones {
		need := (p.Goal*pct + 99) / 100 // signatures needed, rounded up
		if p.SignaturesCount < need {
			break
		}
		m := &PetitionMilestone{PetitionID: p.ID, Percent: pct, Signatures: p.SignaturesCount, ReachedAt: s.Now()}
		res, err := tx.NewInsert().Model(m).On("CONFLICT (petition_id, percent) DO NOTHING").Exec(ctx)
		if err != nil {
			return nil, dbErr("record milestone", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		audience, err := accountIDsOfActors(ctx, tx, "id = ?", p.AuthorID)
		if err == nil && pct == 100 {
			audience, err = petitionAudience(ctx, tx, p, true)
		}
		if err != nil {
			return nil, err
		}
		n := Notification{Kind: NotifyPetitionMilestone, ObjectType: ObjectTypePetition, ObjectID: p.ID, Data: fmt.Sprint(pct)}
		if err := s.Notify(ctx, tx, audience, n); err != nil {
			return nil, err
		}
		reached = append(reached, pct)
	}
	return reached, nil
}

// RecountSignatures recomputes a local petition's count from the
// signatures table (integrity check).
func (s *Store) RecountSignatures(ctx context.Context, petitionID int64) (int, error) {
	var n int
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		count := tx.NewSelect().Model((*Signature)(nil)).ColumnExpr("COUNT(*)").Where("petition_id = ?", petitionID)
		return dbErr("recount signatures", tx.NewUpdate().Model((*Petition)(nil)).Set("signatures_count = (?)", count).
			Where("id = ? AND local", petitionID).Returning("signatures_count").Scan(ctx, &n))
	})
	return n, err
}

func init() {
	// An erased account's signatures of petitions still open are withdrawn
	// (counts updated, signature.removed emitted so the origin of a remote
	// petition hears of it); signatures of closed or answered petitions are
	// kept, because the petition was handed over and answered with them,
	// but made anonymous.
	accountDeletedHooks = append(accountDeletedHooks, func(ctx context.Context, s *Store, tx bun.Tx, acc *Account) error {
		actorID, err := accountActorID(ctx, tx, acc)
		if err != nil {
			return err
		}
		now := s.Now()
		var ps []*Petition
		err = tx.NewSelect().Model(&ps).Where("status = ? AND (closes_at IS NULL OR closes_at > ?)", PetitionOpen, now).
			Where("id IN (?)", tx.NewSelect().Model((*Signature)(nil)).Column("petition_id").Where("actor_id = ?", actorID)).
			Scan(ctx)
		if err != nil {
			return dbErr("signatures of erased account", err)
		}
		for _, p := range ps {
			// Withdrawn meanwhile by its signer (ErrNotFound): done.
			if _, err := s.removeSignature(ctx, tx, p, actorID); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		_, err = tx.NewUpdate().Model((*Signature)(nil)).Set("public = ?", false).Where("actor_id = ?", actorID).Exec(ctx)
		return dbErr("anonymise signatures", err)
	})
}
