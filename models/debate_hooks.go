package models

import (
	"context"
	"strconv"

	"github.com/uptrace/bun"
)

func init() {
	countTables["debates"] = struct{ table, where string }{"debates", "local AND hidden_at IS NULL AND deleted_at IS NULL"}
	countTables["votes"] = struct{ table, where string }{"debate_ballots", "1 = 1"}
	countTables["comments"] = struct{ table, where string }{"comments", "local AND hidden_at IS NULL AND deleted_at IS NULL"}
	accountDeletedHooks = append(accountDeletedHooks, withdrawVotesOfDeletedAccount)
	notificationObjects[ObjectTypeDebate] = describeDebates
	notificationObjects[ObjectTypeComment] = describeComments
}

// withdrawVotesOfDeletedAccount applies the erasure rule for votes: the
// ballots of an erased account in debates still open are withdrawn (the
// person can no longer stand by them, and the tally must not keep a vote
// nobody can change); in closed debates the results stay as they were
// published, with the pseudonymous receipt (docs/COUNTING.md).
func withdrawVotesOfDeletedAccount(ctx context.Context, s *Store, tx bun.Tx, acc *Account) error {
	actor := new(Actor)
	if err := tx.NewSelect().Model(actor).Where("account_id = ?", acc.ID).Scan(ctx); err != nil {
		if dbErr("", err) == ErrNotFound {
			return nil
		}
		return dbErr("deleted account actor", err)
	}
	if s.Dialect == Postgres {
		// A ballot of this actor in flight holds its lock (lockBallot)
		// until it commits: wait for it in every debate not closed, so
		// that the select below sees it; one that starts after waits for
		// this erasure and then finds the voter erased (debateBallot).
		var open []int64
		if err := tx.NewSelect().Model((*Debate)(nil)).Column("d.id").Where("d.phase <> ? AND d.deleted_at IS NULL", DebateClosed).
			Order("d.id").Scan(ctx, &open); err != nil {
			return dbErr("debates not closed", err)
		}
		for _, id := range open {
			if err := lockBallot(ctx, tx, id, actor.ID); err != nil {
				return err
			}
		}
	}
	var debateIDs []int64
	if err := tx.NewSelect().Model((*Ballot)(nil)).Column("b.debate_id").Where("b.actor_id = ?", actor.ID).Order("b.debate_id").Scan(ctx, &debateIDs); err != nil {
		return dbErr("ballots of deleted account", err)
	}
	for _, id := range debateIDs {
		d, err := s.lockDebateForBallot(ctx, tx, id, actor.ID)
		if err == ErrNotFound {
			continue
		} else if err != nil {
			return err
		}
		if d.Current != DebateOpen {
			continue
		}
		current, err := ballotIndexes(ctx, tx, d.ID, actor.ID)
		if err != nil {
			return err
		}
		if _, err := s.writeBallot(ctx, tx, d, actor, current, nil); err != nil {
			return err
		}
	}
	return nil
}

// describeDebates names debates in notifications.
func describeDebates(ctx context.Context, s *Store, ids []int64) (map[int64]NotificationObject, error) {
	var rows []Debate
	err := s.DB.NewSelect().Model(&rows).Column("d.id", "d.question", "d.uri").
		Where("d.id IN (?) AND d.hidden_at IS NULL AND d.deleted_at IS NULL", bun.In(ids)).Scan(ctx)
	if err != nil {
		return nil, dbErr("describe debates", err)
	}
	out := make(map[int64]NotificationObject, len(rows))
	for _, d := range rows {
		out[d.ID] = NotificationObject{Title: d.Question, URL: "/d/" + strconv.FormatInt(d.ID, 10)}
	}
	return out, nil
}

// describeComments names comments (replies) in notifications by an
// excerpt.
func describeComments(ctx context.Context, s *Store, ids []int64) (map[int64]NotificationObject, error) {
	var rows []Comment
	err := s.DB.NewSelect().Model(&rows).Column("c.id", "c.body").
		Where("c.id IN (?) AND c.hidden_at IS NULL AND c.deleted_at IS NULL", bun.In(ids)).Scan(ctx)
	if err != nil {
		return nil, dbErr("describe comments", err)
	}
	out := make(map[int64]NotificationObject, len(rows))
	for _, c := range rows {
		out[c.ID] = NotificationObject{Title: Excerpt(PlainText(c.Body), notifyExcerpt), URL: "/c/" + strconv.FormatInt(c.ID, 10)}
	}
	return out, nil
}
