package models

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/uptrace/bun"
)

// lockCopy reads the stored copy of the remote proposal uri (nil when
// none), locking its row on PostgreSQL until the transaction ends (SQLite
// runs one writer at a time), so that two deliveries of the same Update
// do not both see the change it makes.
func (s *Store) lockCopy(ctx context.Context, tx bun.IDB, uri string) (*Proposal, error) {
	old := new(Proposal)
	q := tx.NewSelect().Model(old).Column("id", "status", "answered_at").Where("uri = ?", uri)
	if s.Dialect == Postgres {
		q = q.For("UPDATE")
	}
	err := dbErr("remote proposal", q.Scan(ctx))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return old, err
}

// notifyRemoteProposal tells the local supporters of the copy p what its
// origin tells its own of the change from old that the newer version in
// made: the support threshold reached, and a decision (a status a
// moderator set, with or without an answer text). It runs in the upsert's
// transaction under the row lock, and only for a version newer than the
// copy, so a replay, the space's relay of the same Update or a refetch
// tells no one twice.
func (s *Store) notifyRemoteProposal(ctx context.Context, tx bun.IDB, old, p *Proposal, in RemoteProposal) error {
	if err := s.remoteThreshold(ctx, tx, old, p, in); err != nil {
		return err
	}
	// A decision is told once, by the first of the proposal's Update
	// (odn:answeredAt) and its answer Note (SetRemoteAnswer, when it has
	// a text) to bring its time: both say the same, to the millisecond.
	if in.AnsweredAt == nil || !slices.Contains(answerStatuses, p.Status) ||
		(old.AnsweredAt != nil && !in.AnsweredAt.After(*old.AnsweredAt)) {
		return nil
	}
	accounts, err := proposalAudience(ctx, tx, p)
	if err != nil {
		return err
	}
	return s.Notify(ctx, tx, accounts, Notification{Kind: NotifyProposalAnswered, ObjectType: ObjectTypeProposal,
		ObjectID: p.ID, Data: p.Status})
}

// remoteThreshold dates the threshold on the copy p and tells its local
// supporters, once, when the origin's version takes it out of open having
// reached its threshold, as reachThreshold does for a local proposal. The
// version that says threshold_reached may be overtaken by the decision
// (or never sent, both happening before the origin sends anything): then
// a copy leaving open for another status with the origin's supports at its
// threshold (supports >= threshold > 0) was reached there too. A proposal
// decided before its threshold tells its supporters of the decision only,
// as SetProposalStatus does; once out of open, no support moves it to
// threshold_reached (reachThreshold), so a copy seen decided first is
// never told afterwards.
func (s *Store) remoteThreshold(ctx context.Context, tx bun.IDB, old, p *Proposal, in RemoteProposal) error {
	reached := p.Status == ProposalThresholdReached ||
		(p.Status != ProposalOpen && in.Threshold > 0 && in.Supports >= in.Threshold)
	if old.Status != ProposalOpen || !reached {
		return nil
	}
	now := s.Now()
	res, err := tx.NewUpdate().Model((*Proposal)(nil)).Set("threshold_reached_at = ?", now).
		Where("id = ? AND threshold_reached_at IS NULL", p.ID).Exec(ctx)
	if err != nil {
		return dbErr("remote threshold", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // dated and told already
	}
	p.ThresholdReachedAt = &now
	accounts, err := proposalAudience(ctx, tx, p)
	if err != nil {
		return err
	}
	return s.Notify(ctx, tx, accounts, Notification{Kind: NotifyProposalThreshold, ObjectType: ObjectTypeProposal,
		ObjectID: p.ID, Data: fmt.Sprint(max(in.Threshold, 0))})
}
