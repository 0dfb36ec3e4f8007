package models

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

// AddresseeCanAnswer reports whether the addressee of a local petition
// may still answer it: their account is live (not erased), enabled, and
// still a verified decision-maker. It is false for a petition with no
// addressee, and true for a remote petition (its origin decides). The
// petition page and ReaddressPetition both ask it: a moderator may give
// a petition a new addressee only when it is false.
func (s *Store) AddresseeCanAnswer(ctx context.Context, p *Petition) (bool, error) {
	return addresseeCanAnswer(ctx, s.DB, p)
}

func addresseeCanAnswer(ctx context.Context, db bun.IDB, p *Petition) (bool, error) {
	if !p.Local {
		return true, nil
	}
	if p.AddresseeID == 0 {
		return false, nil
	}
	ok, err := db.NewSelect().TableExpr("accounts AS acc").Join("JOIN actors AS a ON a.account_id = acc.id").
		Where("a.id = ? AND a.deleted_at IS NULL", p.AddresseeID).
		Where("acc.decider AND NOT acc.disabled AND acc.deleted_at IS NULL").Exists(ctx)
	return ok, dbErr("addressee can answer", err)
}

// ReaddressPetition gives a local petition not yet answered a new
// addressee, when its addressee can no longer answer it (AddresseeCanAnswer:
// erased, disabled, or no longer a decision-maker, say after an
// election); moderators and administrators only (ErrForbidden). The new
// addressee must be a verified decision-maker other than the current one
// (*ValidationError). In one transaction the petition records when
// (ReaddressedAt), the audit log who and whom, the new addressee, the
// author and the signers are told, and an event lets federation send the
// petition's Update. ErrConflict when it was answered or re-addressed
// meanwhile, or its addressee can still answer.
func (s *Store) ReaddressPetition(ctx context.Context, by *Account, petitionID int64, addressee string) (*Petition, error) {
	if by == nil || by.Actor == nil {
		return nil, ErrUnauthorized
	}
	if err := MayReaddressPetition(by); err != nil {
		return nil, err
	}
	p, err := s.visiblePetition(ctx, petitionID)
	if err != nil {
		return nil, err
	}
	if !p.Local {
		return nil, fmt.Errorf("%w: a petition of another server is re-addressed there", ErrForbidden)
	}
	if p.Status == PetitionAnswered {
		return nil, fmt.Errorf("%w: this petition was already answered", ErrConflict)
	}
	if ok, err := s.AddresseeCanAnswer(ctx, p); err != nil {
		return nil, err
	} else if ok {
		return nil, fmt.Errorf("%w: the addressee of this petition can still answer it", ErrConflict)
	}
	name := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(addressee), "@"))
	if p.Addressee != nil && p.Addressee.Local && name == p.Addressee.Username {
		// Said before the check below, which would refuse them anyway
		// (they cannot answer), so that the form says why.
		return nil, Invalid("addressee", "The new addressee must differ from the current one.")
	}
	acc, err := s.verifiedDecider(ctx, name)
	if err != nil {
		return nil, err
	}
	old := p.Addressee
	now := s.Now()
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Model((*Petition)(nil)).Set("addressee_id = ?", acc.Actor.ID).
			Set("readdressed_at = ?", now).Set("updated_at = ?", now).
			Where("id = ? AND status <> ?", p.ID, PetitionAnswered)
		if p.AddresseeID == 0 {
			q = q.Where("addressee_id IS NULL")
		} else {
			q = q.Where("addressee_id = ?", p.AddresseeID)
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return dbErr("readdress petition", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: this petition was answered or re-addressed meanwhile", ErrConflict)
		}
		p.AddresseeID, p.Addressee, p.ReaddressedAt, p.UpdatedAt = acc.Actor.ID, acc.Actor, &now, now
		oldName := "-"
		if old != nil {
			oldName = old.Username
		}
		detail := oldName + " → " + acc.Username
		if err := s.audit(ctx, tx, by, "petition_readdressed", ObjectTypePetition, fmt.Sprint(p.ID), detail); err != nil {
			return err
		}
		audience, err := petitionAudience(ctx, tx, p, true)
		if err != nil {
			return err
		}
		n := Notification{Kind: NotifyPetitionReaddressed, ObjectType: ObjectTypePetition, ObjectID: p.ID, ActorID: by.Actor.ID}
		if err := s.Notify(ctx, tx, without(append(audience, acc.ID), by.ID), n); err != nil {
			return err
		}
		return s.emit(ctx, tx, petitionEvent(EventPetitionReaddressed, p, by.Actor.ID,
			map[string]any{"uri": p.URI, "addressee_uri": acc.Actor.URI}))
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}
