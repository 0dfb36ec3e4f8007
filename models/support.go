package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Support is one actor's support of one proposal; the database keeps it
// unique per (proposal, actor), whichever door it came through.
type Support struct {
	bun.BaseModel `bun:"table:supports"`
	ID            int64     `bun:",pk,autoincrement"`
	ProposalID    int64     `bun:",notnull"`
	ActorID       int64     `bun:",notnull"`
	CreatedAt     time.Time `bun:",notnull"`
}

// Support records by's support of a proposal and returns the new tally.
// The space's policy and the consultation's phase apply; a proposal that
// is withdrawn, accepted or rejected refuses with ErrClosed, a second
// support with ErrDuplicate. Reaching the space's threshold moves an open
// local proposal to threshold_reached, once, and tells its author and
// supporters. A remote proposal's tally is a cache: the support.added
// event tells federation to send the support to the origin.
func (s *Store) Support(ctx context.Context, by *Actor, proposalID int64) (int, error) {
	return s.support(ctx, by, proposalID, nil)
}

// SupportRemote is Support for a Like received from another server: rec,
// its record (what its Undo will name), is written in the same
// transaction, as SignRemote.
func (s *Store) SupportRemote(ctx context.Context, by *Actor, proposalID int64, rec *Participation) (int, error) {
	return s.support(ctx, by, proposalID, s.recordingIn(rec))
}

func (s *Store) support(ctx context.Context, by *Actor, proposalID int64, then func(context.Context, bun.IDB) error) (int, error) {
	p, sp, err := s.proposalForParticipation(ctx, by, proposalID, false)
	if err != nil {
		return 0, err
	}
	if sp != nil {
		if err := sp.MayParticipate(by); err != nil {
			return 0, err
		}
	}
	var count int
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkConsultation(ctx, tx, p.ConsultationRef(), ActionVote); err != nil {
			return err
		}
		if err := s.participantLive(ctx, tx, by.ID); err != nil {
			return err
		}
		sup := &Support{ProposalID: p.ID, ActorID: by.ID, CreatedAt: s.Now()}
		if _, err := tx.NewInsert().Model(sup).Exec(ctx); err != nil {
			return dbErr("insert support", err)
		}
		var status string
		if count, status, err = bumpSupports(ctx, tx, p.ID, +1); err != nil {
			return err
		}
		if sp != nil && p.Local && sp.SupportThreshold > 0 && count >= sp.SupportThreshold && status == ProposalOpen {
			if err := s.reachThreshold(ctx, tx, p, by, count, sp.SupportThreshold); err != nil {
				return err
			}
		}
		err := s.emit(ctx, tx, proposalEvent(EventSupportAdded, p, by.ID, map[string]any{
			"support_id": sup.ID, "proposal_uri": p.URI, "remote": !p.Local, "supports": count}))
		if err != nil || then == nil {
			return err
		}
		return then(ctx, tx)
	})
	if err != nil {
		return 0, fmt.Errorf("support: %w", err)
	}
	return count, nil
}

// Unsupport withdraws by's support and returns the new tally;
// ErrNothingToWithdraw when by did not support it, ErrClosed once the proposal is decided. A
// threshold once reached stays reached: the examination it triggered is
// not undone by later withdrawals.
func (s *Store) Unsupport(ctx context.Context, by *Actor, proposalID int64) (int, error) {
	p, _, err := s.proposalForParticipation(ctx, by, proposalID, true)
	if err != nil {
		return 0, err
	}
	var count int
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkConsultation(ctx, tx, p.ConsultationRef(), ActionVote); err != nil {
			return err
		}
		count, err = s.removeSupport(ctx, tx, p, by.ID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("withdraw support: %w", err)
	}
	return count, nil
}

// removeSupport deletes actorID's support of p inside tx, updates the
// tally and emits support.removed.
func (s *Store) removeSupport(ctx context.Context, tx bun.IDB, p *Proposal, actorID int64) (int, error) {
	var supportID int64
	err := tx.NewDelete().Model((*Support)(nil)).Where("proposal_id = ? AND actor_id = ?", p.ID, actorID).
		Returning("id").Scan(ctx, &supportID)
	if err = dbErr("delete support", err); errors.Is(err, ErrNotFound) {
		return 0, ErrNothingToWithdraw
	} else if err != nil {
		return 0, err
	}
	count, _, err := bumpSupports(ctx, tx, p.ID, -1)
	if err != nil {
		return 0, err
	}
	return count, s.emit(ctx, tx, proposalEvent(EventSupportRemoved, p, actorID, map[string]any{
		"support_id": supportID, "proposal_uri": p.URI, "remote": !p.Local, "supports": count}))
}

// proposalForParticipation loads a proposal that takes supports, and its
// space (nil for a remote proposal no local space relays). A hidden one
// is ErrNotFound, except for a withdrawal: a supporter may take back
// their support while moderators hide the proposal (a Mastodon
// un-favourite then), which the tally keeps when it is restored.
func (s *Store) proposalForParticipation(ctx context.Context, by *Actor, id int64, withdrawal bool) (*Proposal, *Space, error) {
	if by == nil {
		return nil, nil, ErrUnauthorized
	}
	p, err := s.ProposalByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if p.HiddenAt != nil && !withdrawal {
		return nil, nil, ErrNotFound
	}
	if !p.Supportable() {
		return nil, nil, ErrClosed
	}
	if by.DeletedAt != nil {
		return nil, nil, ErrForbidden
	}
	return p, p.Space, nil
}

// bumpSupports changes the tally by delta under the row lock, only while
// the proposal still takes supports (ErrClosed otherwise, which rolls the
// support back), and returns the new tally and status.
func bumpSupports(ctx context.Context, tx bun.IDB, id int64, delta int) (int, string, error) {
	var row struct {
		SupportsCount int    `bun:"supports_count"`
		Status        string `bun:"status"`
	}
	// A new support also needs the proposal still visible under the lock:
	// a moderator may have hidden it since it was read (withdrawals go
	// through, see proposalForParticipation).
	err := tx.NewUpdate().Model((*Proposal)(nil)).Set("supports_count = supports_count + ?", delta).
		Where("id = ? AND status IN (?) AND (? < 0 OR hidden_at IS NULL)", id, bun.In(supportableStatuses), delta).
		Returning("supports_count, status").Scan(ctx, &row)
	if err := dbErr("count supports", err); err == ErrNotFound {
		return 0, "", hiddenOrClosed(ctx, tx, "proposals", id)
	} else if err != nil {
		return 0, "", err
	}
	return row.SupportsCount, row.Status, nil
}

// hiddenOrClosed says why a count update under the row lock found no row
// of table to change: ErrNotFound when it was hidden since, else ErrClosed.
func hiddenOrClosed(ctx context.Context, tx bun.IDB, table string, id int64) error {
	n, err := tx.NewSelect().TableExpr("?", bun.Ident(table)).Where("id = ? AND hidden_at IS NOT NULL", id).Count(ctx)
	if err != nil {
		return dbErr("count target", err)
	} else if n > 0 {
		return ErrNotFound
	}
	return ErrClosed
}

// participantLive checks, inside a participation's transaction, that the
// actor was not erased since the request read it. On PostgreSQL the row
// is locked FOR SHARE: an erasure (which updates it) then waits for the
// participation to commit, and its hooks withdraw it; a participation
// that waited behind an erasure sees it.
func (s *Store) participantLive(ctx context.Context, tx bun.IDB, actorID int64) error {
	var a Actor
	q := tx.NewSelect().Model(&a).Column("deleted_at").Where("id = ?", actorID)
	if s.Dialect == Postgres {
		q = q.For("SHARE")
	}
	if err := q.Scan(ctx); err != nil {
		return dbErr("participant", err)
	}
	if a.DeletedAt != nil {
		return fmt.Errorf("%w: this account was deleted", ErrForbidden)
	}
	return nil
}

// reachThreshold moves p to threshold_reached (only from open, so it
// happens once), emits proposal.threshold and tells author and supporters.
func (s *Store) reachThreshold(ctx context.Context, tx bun.IDB, p *Proposal, by *Actor, count, threshold int) error {
	now := s.Now()
	res, err := tx.NewUpdate().Model((*Proposal)(nil)).Set("status = ?", ProposalThresholdReached).
		Set("threshold_reached_at = ?", now).Where("id = ? AND status = ?", p.ID, ProposalOpen).Exec(ctx)
	if err != nil {
		return dbErr("reach threshold", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	p.Status, p.ThresholdReachedAt = ProposalThresholdReached, &now
	accounts, err := proposalAudience(ctx, tx, p)
	if err != nil {
		return err
	}
	n := Notification{Kind: NotifyProposalThreshold, ObjectType: ObjectTypeProposal, ObjectID: p.ID, Data: fmt.Sprint(threshold)}
	if err := s.Notify(ctx, tx, accounts, n); err != nil {
		return err
	}
	return s.emit(ctx, tx, proposalEvent(EventProposalThreshold, p, by.ID,
		map[string]any{"uri": p.URI, "supports": count, "threshold": threshold}))
}

// RecountSupports recomputes a local proposal's tally from the supports
// table (integrity check; remote tallies come from their origin).
func (s *Store) RecountSupports(ctx context.Context, proposalID int64) (int, error) {
	var n int
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		count := tx.NewSelect().Model((*Support)(nil)).ColumnExpr("COUNT(*)").Where("proposal_id = ?", proposalID)
		return dbErr("recount supports", tx.NewUpdate().Model((*Proposal)(nil)).Set("supports_count = (?)", count).
			Where("id = ? AND local", proposalID).Returning("supports_count").Scan(ctx, &n))
	})
	return n, err
}

// Supporters lists the actors supporting a proposal, newest first, with
// the id cursor of Notifications.
func (s *Store) Supporters(ctx context.Context, proposalID, before int64, limit int) ([]*Actor, error) {
	var out []*Actor
	q := s.DB.NewSelect().Model(&out).Join("JOIN supports AS sup ON sup.actor_id = actor.id").
		Where("sup.proposal_id = ?", proposalID).OrderExpr("sup.id DESC").Limit(int64(clampLimit(limit)))
	if before > 0 {
		q = q.Where("sup.id < ?", before)
	}
	return out, dbErr("supporters", q.Scan(ctx))
}

func init() {
	// An erased account's supports of proposals still taking supports are
	// withdrawn (the tally then counts living supporters only); supports
	// of decided (accepted, rejected) or withdrawn proposals are kept,
	// because the decision was taken with them. The supporter then shows
	// as a deleted account.
	accountDeletedHooks = append(accountDeletedHooks, func(ctx context.Context, s *Store, tx bun.Tx, acc *Account) error {
		actorID, err := accountActorID(ctx, tx, acc)
		if err != nil {
			return err
		}
		var ps []*Proposal
		err = tx.NewSelect().Model(&ps).Where("status IN (?)", bun.In(supportableStatuses)).
			Where("id IN (?)", tx.NewSelect().Model((*Support)(nil)).Column("proposal_id").Where("actor_id = ?", actorID)).
			Scan(ctx)
		if err != nil {
			return dbErr("supports of erased account", err)
		}
		for _, p := range ps {
			// Withdrawn meanwhile by its author (ErrNotFound): done.
			if _, err := s.removeSupport(ctx, tx, p, actorID); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		return nil
	})
}

// accountActorID returns the id of the actor of a local account, for the
// erasure hooks.
func accountActorID(ctx context.Context, tx bun.IDB, acc *Account) (int64, error) {
	var id int64
	err := tx.NewSelect().Model((*Actor)(nil)).Column("id").Where("account_id = ?", acc.ID).Scan(ctx, &id)
	return id, dbErr("actor of account", err)
}
