package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// DebateURI is the ActivityPub id (and permalink) of a local debate.
func (u URLs) DebateURI(id int64) string { return u.Base + "/d/" + strconv.FormatInt(id, 10) }

// CreateDebate creates a debate in space sp; only moderators may. Without
// OpensAt it starts as a draft.
func (s *Store) CreateDebate(ctx context.Context, by *Account, sp *Space, in DebateInput) (*Debate, error) {
	if by == nil {
		return nil, ErrUnauthorized
	}
	if !by.IsModerator() || by.Actor == nil {
		return nil, ErrForbidden
	}
	now := s.Now()
	if err := in.validate(now); err != nil {
		return nil, err
	}
	d := &Debate{
		URI: "urn:odn:pending:" + randomSecret(), SpaceID: sp.ID, AuthorID: by.Actor.ID, ConsultationID: in.ConsultationID,
		Question: in.Question, Description: in.Description, DescriptionHTML: RenderMarkdown(in.Description),
		Options: in.Options, Multiple: in.Multiple, Phase: DebateDraft, OpensAt: in.OpensAt, ClosesAt: in.ClosesAt,
		ResultsVisibility: in.ResultsVisibility, PublicBallot: in.PublicBallot, BallotSecret: newBallotSecret(),
		Counts: make([]int, len(in.Options)), ResultsUpdatedAt: now, Local: true, CreatedAt: now, UpdatedAt: now,
	}
	d.Search = d.searchText()
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.CheckConsultationRef(ctx, tx, sp.ID, in.ConsultationID, 0); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(d).Exec(ctx); err != nil {
			return dbErr("insert debate", err)
		}
		d.URI = s.URLs.DebateURI(d.ID)
		d.URL = d.URI
		if _, err := tx.NewUpdate().Model(d).Column("uri", "url").WherePK().Exec(ctx); err != nil {
			return dbErr("set debate uri", err)
		}
		if err := s.audit(ctx, tx, by, "create_debate", ObjectTypeDebate, strconv.FormatInt(d.ID, 10), ""); err != nil {
			return err
		}
		return s.emitDebate(ctx, tx, EventDebateCreated, d, d.AuthorID, nil)
	})
	if err != nil {
		return nil, err
	}
	d.Author, d.Current = by.Actor, d.PhaseAt(now)
	return d, nil
}

// emitDebate writes a debate event; data nil means {}.
func (s *Store) emitDebate(ctx context.Context, tx bun.IDB, kind string, d *Debate, actorID int64, data any) error {
	raw := []byte("{}")
	if data != nil {
		raw, _ = json.Marshal(data)
	}
	return s.emit(ctx, tx, Event{Kind: kind, ObjectType: ObjectTypeDebate, ObjectID: d.ID, ActorID: actorID,
		SpaceID: d.SpaceID, Data: string(raw)})
}

// DebateByID loads a debate with its author, hidden or not (the caller
// decides who may see a hidden one); deleted debates are not found.
//
// Its two queries (debate, author) stay prepared (hot_store.go): the
// outbox worker loads the debate of every vote event, twice, and the
// joined query bun wrote was 1,700 characters for SQLite to parse each
// time.
func (s *Store) DebateByID(ctx context.Context, id int64) (*Debate, error) {
	return s.debateBy(ctx, s.hot().debate, id)
}

// DebateByURI loads a debate by its ActivityPub id (prepared like
// DebateByID: every remote vote names its debate by id).
func (s *Store) DebateByURI(ctx context.Context, uri string) (*Debate, error) {
	return s.debateBy(ctx, s.hot().debateByURI, uri)
}

// debateBy loads the live debate query selects (by key) and its author.
func (s *Store) debateBy(ctx context.Context, query string, key any) (*Debate, error) {
	d := new(Debate)
	if err := s.scanOne(ctx, d, query, key); err != nil {
		return nil, dbErr("debate", err)
	}
	a := new(Actor)
	switch err := s.scanOne(ctx, a, s.hot().actor, d.AuthorID); {
	case err == nil:
		d.Author = a
	case !errors.Is(err, sql.ErrNoRows): // no author row: nil, as the LEFT JOIN gave
		return nil, dbErr("debate author", err)
	}
	d.Current = d.PhaseAt(s.Now())
	return d, nil
}

// DebateFilter selects debates for a list.
type DebateFilter struct {
	SpaceID int64
	// Phase keeps debates in this phase now ("" for all).
	Phase string
	// Before is the cursor: the id of the last debate of the previous page.
	Before int64
	Limit  int
	// Moderator also lists drafts and hidden debates.
	Moderator bool
}

// ListDebates lists a space's debates, newest first. Hidden debates and
// drafts are listed for moderators only.
func (s *Store) ListDebates(ctx context.Context, f DebateFilter) ([]*Debate, error) {
	var out []*Debate
	now := s.Now()
	q := s.DB.NewSelect().Model(&out).Relation("Author").Where("d.deleted_at IS NULL").
		OrderExpr("d.id DESC").Limit(int64(clampLimit(f.Limit)))
	if f.SpaceID != 0 {
		q = q.Where("d.space_id = ?", f.SpaceID)
	}
	if f.Before > 0 {
		q = q.Where("d.id < ?", f.Before)
	}
	if !f.Moderator {
		q = q.Where("d.hidden_at IS NULL")
	}
	// The SQL twins of PhaseAt.
	closed := "(d.phase = 'closed' OR (d.closes_at IS NOT NULL AND d.closes_at <= ?))"
	open := "(d.phase = 'open' OR (d.opens_at IS NOT NULL AND d.opens_at <= ?))"
	switch f.Phase {
	case DebateClosed:
		q = q.Where(closed, now)
	case DebateOpen:
		q = q.Where("NOT "+closed, now).Where(open, now)
	case DebateDraft:
		q = q.Where("NOT "+closed, now).Where("NOT "+open, now)
	}
	if !f.Moderator && f.Phase != DebateOpen && f.Phase != DebateClosed {
		q = q.Where("("+closed+" OR "+open+")", now, now)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, dbErr("list debates", err)
	}
	for _, d := range out {
		d.Current = d.PhaseAt(now)
	}
	return out, nil
}

// lockDebate loads a debate inside tx and locks its row until commit, so
// votes, closes and recounts of one debate are serialised (SQLite
// transactions are serialised already: BEGIN IMMEDIATE).
func (s *Store) lockDebate(ctx context.Context, tx bun.IDB, id int64) (*Debate, error) {
	d := new(Debate)
	if err := s.scanOneIn(ctx, tx, d, s.hot().debateLocked, id); err != nil {
		return nil, dbErr("lock debate", err)
	}
	d.Current = d.PhaseAt(s.Now())
	return d, nil
}

// OpenDebate opens a draft debate now; moderators only. A closed debate
// cannot be reopened.
func (s *Store) OpenDebate(ctx context.Context, by *Account, id int64) (*Debate, error) {
	return s.setPhase(ctx, by, id, DebateOpen)
}

// CloseDebate closes a debate now, which makes its results final and
// publishes the receipts; moderators only.
func (s *Store) CloseDebate(ctx context.Context, by *Account, id int64) (*Debate, error) {
	return s.setPhase(ctx, by, id, DebateClosed)
}

func (s *Store) setPhase(ctx context.Context, by *Account, id int64, phase string) (*Debate, error) {
	if by == nil {
		return nil, ErrUnauthorized
	}
	if !by.IsModerator() {
		return nil, ErrForbidden
	}
	var d *Debate
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if d, err = s.lockDebate(ctx, tx, id); err != nil {
			return err
		}
		if !d.Local {
			return fmt.Errorf("%w: the server of this debate decides when it opens and closes", ErrForbidden)
		}
		// Record a change of phase that time already made (e.g. a passed
		// closes_at), with its event, before acting.
		if err := s.settle(ctx, tx, d); err != nil {
			return err
		}
		switch {
		case d.Current == DebateClosed:
			return fmt.Errorf("%w: this debate is closed and cannot change phase any more", ErrClosed)
		case d.Current == phase:
			return fmt.Errorf("%w: this debate is already %s", ErrConflict, phase)
		}
		now := s.Now()
		if phase == DebateOpen {
			if d.OpensAt == nil || d.OpensAt.After(now) {
				d.OpensAt = &now
			}
		} else if d.ClosesAt == nil || d.ClosesAt.After(now) {
			d.ClosesAt = &now
		}
		if err := s.recordPhase(ctx, tx, d, phase, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, phase+"_debate", ObjectTypeDebate, strconv.FormatInt(d.ID, 10), "")
	})
	if err != nil {
		return nil, err
	}
	return s.DebateByID(ctx, id)
}

// settle records in the database a phase that time changed (opens_at or
// closes_at passed) and emits its event; d must be locked.
func (s *Store) settle(ctx context.Context, tx bun.IDB, d *Debate) error {
	if d.Current == d.Phase {
		return nil
	}
	return s.recordPhase(ctx, tx, d, d.Current, s.Now())
}

// recordPhase stores phase with its dates, emits debate.opened or
// debate.closed, and on close tells the local voters that the results
// are final.
func (s *Store) recordPhase(ctx context.Context, tx bun.IDB, d *Debate, phase string, now time.Time) error {
	d.Phase, d.Current, d.UpdatedAt = phase, phase, now
	cols := []string{"phase", "opens_at", "closes_at", "updated_at"}
	if phase == DebateClosed {
		closedAt := now
		if d.ClosesAt != nil && d.ClosesAt.Before(now) {
			closedAt = *d.ClosesAt
		}
		d.ClosedAt = &closedAt
		cols = append(cols, "closed_at")
	}
	if _, err := tx.NewUpdate().Model(d).Column(cols...).WherePK().Exec(ctx); err != nil {
		return dbErr("set debate phase", err)
	}
	if phase == DebateOpen {
		return s.emitDebate(ctx, tx, EventDebateOpened, d, 0, nil)
	}
	if err := s.emitDebate(ctx, tx, EventDebateClosed, d, 0, nil); err != nil {
		return err
	}
	return s.notifyDebateClosed(ctx, tx, d.ID)
}

// notifyDebateClosed tells the local voters of debate id (a local debate
// or a copy) that its results are final.
func (s *Store) notifyDebateClosed(ctx context.Context, tx bun.IDB, id int64) error {
	var voters []int64
	err := tx.NewSelect().TableExpr("debate_ballots AS b").Join("JOIN actors AS a ON a.id = b.actor_id").
		ColumnExpr("a.account_id").Where("b.debate_id = ? AND a.account_id IS NOT NULL", id).Scan(ctx, &voters)
	if err != nil {
		return dbErr("debate voters", err)
	}
	return s.Notify(ctx, tx, voters, Notification{Kind: NotifyDebateClosed, ObjectType: ObjectTypeDebate, ObjectID: id})
}

// SettleDebates records the phase changes that time made (a passed
// opens_at or closes_at) on up to 100 debates, emitting debate.opened and
// debate.closed and notifying voters; a server worker calls it every
// minute. Reads and votes never wait for it: they compute the phase.
// It returns how many debates changed.
func (s *Store) SettleDebates(ctx context.Context) (int, error) {
	now := s.Now()
	var ids []int64
	err := s.DB.NewSelect().Model((*Debate)(nil)).Column("d.id").
		Where("d.deleted_at IS NULL AND d.local").
		Where("(d.phase <> 'closed' AND d.closes_at IS NOT NULL AND d.closes_at <= ?) OR (d.phase = 'draft' AND d.opens_at IS NOT NULL AND d.opens_at <= ?)", now, now).
		OrderExpr("d.id").Limit(maxDebatesSettled).Scan(ctx, &ids)
	if err != nil {
		return 0, dbErr("debates to settle", err)
	}
	n := 0
	for _, id := range ids {
		err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			d, err := s.lockDebate(ctx, tx, id)
			if err != nil {
				return err
			}
			if d.Current != d.Phase {
				n++
			}
			return s.settle(ctx, tx, d)
		})
		if err != nil {
			return n, fmt.Errorf("settle debate %d: %w", id, err)
		}
	}
	return n, nil
}
