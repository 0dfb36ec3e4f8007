package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Ballot is one voter's ballot in a debate: one per actor, enforced by a
// UNIQUE constraint, with one debate_votes row per chosen option. Host is
// the voter's instance, for the per-instance breakdown.
type Ballot struct {
	bun.BaseModel `bun:"table:debate_ballots,alias:b"`
	ID            int64     `bun:",pk,autoincrement"`
	DebateID      int64     `bun:",notnull"`
	ActorID       int64     `bun:",notnull"`
	Receipt       string    `bun:",notnull"`
	Host          string    `bun:",notnull"`
	CreatedAt     time.Time `bun:",notnull"`
	UpdatedAt     time.Time `bun:",notnull"`

	// Options are the chosen option names, in the debate's order.
	Options []string `bun:"-"`
}

// debateVote is one chosen option of one ballot.
type debateVote struct {
	bun.BaseModel `bun:"table:debate_votes,alias:v"`
	ID            int64     `bun:",pk,autoincrement"`
	DebateID      int64     `bun:",notnull"`
	ActorID       int64     `bun:",notnull"`
	OptionIndex   int       `bun:",notnull"`
	Receipt       string    `bun:",notnull"`
	CreatedAt     time.Time `bun:",notnull"`
}

// CastVote records by's ballot in a debate: the options replace any
// earlier ballot of the same voter at once (a voter may change their mind
// while the debate is open). It applies the space's participation policy
// and the consultation phase; a draft or closed debate refuses with
// ErrClosed, an unknown option or a second option on a single-choice
// debate with a *ValidationError. Web, API and federation all call it.
func (s *Store) CastVote(ctx context.Context, by *Actor, debateID int64, options []string) (*Ballot, error) {
	return s.changeBallot(ctx, by, debateID, func(d *Debate, _ []int) ([]int, error) {
		if len(options) == 0 {
			return nil, Invalid("options", "Choose at least one option.")
		}
		next := make([]int, 0, len(options))
		for _, name := range options {
			i := d.optionIndex(strings.TrimSpace(name))
			if i < 0 {
				return nil, Invalid("options", "One of the chosen options is not in this debate.")
			}
			next = append(next, i)
		}
		slices.Sort(next)
		next = slices.Compact(next)
		if !d.Multiple && len(next) != 1 {
			return nil, Invalid("options", "This debate takes exactly one option.")
		}
		return next, nil
	})
}

// AddVoteOption adds one option to by's ballot, creating it if needed:
// Mastodon sends a multiple-choice vote as one Create{Note{name}} per
// option. A second option on a single-choice debate, or the same option
// twice, is ErrDuplicate (Mastodon cannot change a vote, so the first one
// stands).
func (s *Store) AddVoteOption(ctx context.Context, by *Actor, debateID int64, option string) (*Ballot, error) {
	return s.changeBallot(ctx, by, debateID, addOption(option))
}

// addOption decides a ballot with option added (one Mastodon vote Note).
func addOption(option string) func(d *Debate, current []int) ([]int, error) {
	return func(d *Debate, current []int) ([]int, error) {
		i := d.optionIndex(strings.TrimSpace(option))
		if i < 0 {
			return nil, Invalid("options", "One of the chosen options is not in this debate.")
		}
		switch {
		case slices.Contains(current, i):
			return nil, fmt.Errorf("%w: this option is already in your ballot", ErrDuplicate)
		case !d.Multiple && len(current) > 0:
			return nil, fmt.Errorf("%w: you already voted in this single-choice debate", ErrDuplicate)
		}
		next := append(slices.Clone(current), i)
		slices.Sort(next)
		return next, nil
	}
}

// AddRemoteVoteOption is AddVoteOption for a vote received from another
// server: rec, the record of the vote Note (what its Undo or Delete will
// name), is written in the same transaction, so a counted vote always
// has its record and a refused one never does.
func (s *Store) AddRemoteVoteOption(ctx context.Context, by *Actor, debateID int64, option string, rec *Participation) (*Ballot, error) {
	return s.changeBallotThen(ctx, by, debateID, addOption(option), s.recordingIn(rec))
}

// WithdrawVote removes by's ballot while the debate is open; without a
// ballot it is ErrNothingToWithdraw.
func (s *Store) WithdrawVote(ctx context.Context, by *Actor, debateID int64) error {
	_, err := s.changeBallot(asWithdrawal(ctx), by, debateID, func(_ *Debate, current []int) ([]int, error) {
		if len(current) == 0 {
			return nil, ErrNothingToWithdraw
		}
		return nil, nil
	})
	return err
}

// withdrawalKey marks the context of a ballot change that only takes
// options out (asWithdrawal).
type withdrawalKey struct{}

// asWithdrawal lets a ballot change through on a hidden debate: a voter
// may take back their vote while moderators hide the debate (a Mastodon
// voter's Undo then), and the tally keeps it when the debate is restored.
// Adding an option to a hidden debate stays ErrNotFound.
func asWithdrawal(ctx context.Context) context.Context {
	return context.WithValue(ctx, withdrawalKey{}, true)
}

// changeBallot is the one path of every ballot change: it locks the
// debate, applies the rules, lets decide compute the new set of option
// indexes from the current one, writes the difference, keeps the cached
// tally in step and emits the events, all in one transaction.
func (s *Store) changeBallot(ctx context.Context, by *Actor, debateID int64, decide func(d *Debate, current []int) ([]int, error)) (*Ballot, error) {
	return s.changeBallotThen(ctx, by, debateID, decide, nil)
}

// changeBallotThen is changeBallot with then (when not nil) run in the
// same transaction after the ballot is written.
func (s *Store) changeBallotThen(ctx context.Context, by *Actor, debateID int64, decide func(d *Debate, current []int) ([]int, error),
	then func(ctx context.Context, tx bun.IDB) error) (*Ballot, error) {
	if by == nil {
		return nil, ErrUnauthorized
	}
	var ballot *Ballot
	err := s.ballotTx(ctx, by.ID, func(ctx context.Context, tx bun.Tx) error {
		var d *Debate
		var err error
		switch m := batchMemo(ctx); {
		case m != nil:
			d, err = m.debate(ctx, s, tx, debateID)
		case s.Dialect == Postgres:
			d, err = s.debateForBallot(ctx, tx, debateID, by.ID)
		default:
			d, err = s.lockDebate(ctx, tx, debateID)
		}
		if err != nil {
			return err
		}
		d.withdrawal = ctx.Value(withdrawalKey{}) != nil
		if d.HiddenAt != nil && !d.withdrawal {
			return ErrNotFound
		}
		// The voter may have been erased since the request read it (its
		// erasure's hooks have run): a new vote must not count. The
		// batch read it once (SQLite), debateBallot with the debate (PG).
		if !d.withdrawal && (d.voterErased || batchMemo(ctx) != nil && batchMemo(ctx).erased[by.ID]) {
			return fmt.Errorf("%w: this account was deleted", ErrForbidden)
		}
		if err := s.mayVote(ctx, tx, by, d); err != nil {
			return err
		}
		current := d.ballot
		if !d.ballotRead {
			if current, err = ballotIndexes(ctx, tx, d.ID, by.ID); err != nil {
				return err
			}
		}
		next, err := decide(d, current)
		if err != nil {
			return err
		}
		if d.withdrawal && slices.ContainsFunc(next, func(i int) bool { return !slices.Contains(current, i) }) {
			return fmt.Errorf("%w: a withdrawal added an option", ErrConflict) // a bug, not a voter's doing
		}
		if !d.Local && len(current) > 0 && !slices.Equal(current, next) {
			// The ballot went to the origin, which (Mastodon or odn's
			// AddVoteOption) keeps the first vote: so does the local copy.
			return fmt.Errorf("%w: a vote on a debate of another server cannot be changed", ErrDuplicate)
		}
		if ballot, err = s.writeBallot(ctx, tx, d, by, current, next); err != nil || then == nil {
			return err
		}
		return then(ctx, tx)
	})
	if err != nil {
		return nil, err // domain errors stay user-readable; store errors carry their operation
	}
	return ballot, nil
}

// mayVote applies the space policy, the consultation phase and the
// debate's own phase.
func (s *Store) mayVote(ctx context.Context, tx bun.IDB, by *Actor, d *Debate) error {
	if d.SpaceID != 0 {
		sp := d.space
		var err error
		if m := batchMemo(ctx); m != nil {
			sp, err = m.space(ctx, s, tx, d.SpaceID)
		} else if sp == nil {
			sp = new(Space)
			err = s.scanOneIn(ctx, tx, sp, s.hot().space, d.SpaceID)
		}
		if err != nil {
			return dbErr("debate space", err)
		}
		if err := sp.MayParticipate(by); err != nil {
			return err
		}
	} else if by.DeletedAt != nil {
		return ErrForbidden
	}
	if err := s.checkConsultation(ctx, tx, d.ConsultationRef(), ActionVote); err != nil {
		return err
	}
	return phaseErr(d)
}

// phaseErr refuses ballot changes in a debate not open.
func phaseErr(d *Debate) error {
	switch d.Current {
	case DebateDraft:
		return fmt.Errorf("%w: this debate is not open for voting yet", ErrClosed)
	case DebateClosed:
		return fmt.Errorf("%w: this debate is closed; votes are no longer accepted", ErrClosed)
	}
	return nil
}

// On PostgreSQL, writers run concurrently and a ballot change locked its
// debate's row first: every vote of a debate then waited for the ~10
// round trips of the one before (vote_api_pg ~500 votes/s). The row lock
// is only needed for the cached tally, so a change now reads the debate
// without it and locks it last, for the tally update and the commit
// (writeBallot re-checks there that the debate still takes votes). What
// the row lock also did, keeping two changes of the same ballot from
// interleaving, is done by a lock on (debate, voter): a transaction lock
// (pg_advisory_xact_lock), always taken before the debate's row, in every
// path that writes ballots, so the two locks are always taken in the same
// order.

// debateForBallot reads a debate for a ballot change of voter on
// PostgreSQL: the ballot locked, the debate's row not yet.
func (s *Store) debateForBallot(ctx context.Context, tx bun.IDB, debateID, voterID int64) (*Debate, error) {
	if err := lockBallot(ctx, tx, debateID, voterID); err != nil {
		return nil, err
	}
	// One round trip for the debate, its space and the ballot (each
	// statement costs PostgreSQL ~100 µs of CPU under load: with the
	// ballot's own statements they were most of a vote's cost).
	row := new(debateBallotRow)
	if err := s.scanOneIn(ctx, tx, row, s.hot().debateBallot, debateID, voterID); err != nil {
		return nil, dbErr("debate", err)
	}
	d := &row.Debate
	if row.Space.ID != 0 {
		d.space = &row.Space
	}
	if row.Ballot.Valid {
		for _, f := range strings.Split(row.Ballot.String, ",") {
			i, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("ballot of actor %d: %w", voterID, err)
			}
			d.ballot = append(d.ballot, i)
		}
	}
	d.ballotRead, d.voterErased = true, row.VoterErased
	d.Current = d.PhaseAt(s.Now())
	d.unlocked = true
	return d, nil
}

// debateBallotRow is a row of hotQueries.debateBallot: the debate, its
// space (columns prefixed sp_, all NULL without a space; not space_, which
// would make the space's id the debate's space_id) and the
// voter's option indexes, comma-separated (NULL without a ballot).
type debateBallotRow struct {
	Debate
	Space       Space          `bun:"embed:sp_"`
	Ballot      sql.NullString `bun:"ballot"`
	VoterErased bool           `bun:"voter_erased"`
}

// lockDebateForBallot locks voter's ballot in a debate, then the debate's
// row: the lock order of every path that locks the row before writing a
// ballot (debateForBallot takes the row later, for the tally).
func (s *Store) lockDebateForBallot(ctx context.Context, tx bun.IDB, debateID, voterID int64) (*Debate, error) {
	if err := lockBallot(ctx, tx, debateID, voterID); err != nil {
		return nil, err
	}
	return s.lockDebate(ctx, tx, debateID)
}

// lockBallot locks voter's ballot in a debate until the transaction ends
// (PostgreSQL; SQLite's write transaction already excludes other writers).
func lockBallot(ctx context.Context, tx bun.IDB, debateID, voterID int64) error {
	if tx.Dialect().Name() != dialect.PG {
		return nil
	}
	// The two-key form: 32-bit keys, so ids beyond 2^31 share a lock with
	// another pair now and then, which only serialises the two.
	return dbErr("lock ballot", rawExec(ctx, tx, "SELECT pg_advisory_xact_lock($1, $2)", int32(debateID), int32(voterID)))
}

// ballotIndexesSQL selects the option indexes of a ballot; with
// placeholders, it stays prepared (hot_store.go).
const (
	ballotIndexesSQL   = "SELECT option_index FROM debate_votes WHERE debate_id = ? AND actor_id = ? ORDER BY option_index"
	ballotIndexesSQLPG = "SELECT option_index FROM debate_votes WHERE debate_id = $1 AND actor_id = $2 ORDER BY option_index"
)

// ballotIndexes returns the option indexes of an actor's ballot, sorted.
func ballotIndexes(ctx context.Context, tx bun.IDB, debateID, actorID int64) ([]int, error) {
	q := ballotIndexesSQL
	if tx.Dialect().Name() == dialect.PG {
		q = ballotIndexesSQLPG
	}
	rows, err := rawQuery(ctx, tx, q, debateID, actorID)
	if err != nil {
		return nil, dbErr("ballot", err)
	}
	defer rows.Close()
	var idx []int
	for rows.Next() {
		var i int
		if err := rows.Scan(&i); err != nil {
			return nil, dbErr("ballot", err)
		}
		idx = append(idx, i)
	}
	return idx, dbErr("ballot", rows.Err())
}

// writeBallot turns the ballot current into next (both sorted) for a
// locked debate (or, on PostgreSQL, a locked ballot of a debate it locks
// for the tally, see debateForBallot): rows, ballot, cached tally and
// events. An empty next withdraws the ballot.
func (s *Store) writeBallot(ctx context.Context, tx bun.IDB, d *Debate, by *Actor, current, next []int) (*Ballot, error) {
	now := s.Now()
	receipt := Receipt(d.BallotSecret, by.URI)
	b := &Ballot{DebateID: d.ID, ActorID: by.ID, Receipt: receipt, Host: strings.ToLower(by.Host), CreatedAt: now, UpdatedAt: now}
	for _, i := range next {
		b.Options = append(b.Options, d.Options[i])
	}
	if slices.Equal(current, next) {
		return b, nil
	}
	var added, removed []int
	for _, i := range next {
		if !slices.Contains(current, i) {
			added = append(added, i)
		}
	}
	for _, i := range current {
		if !slices.Contains(next, i) {
			removed = append(removed, i)
		}
	}
	voters := 0 // the change in the number of voters
	if d.unlocked && len(current) == 0 && s.hot().castBallot != "" {
		// A new ballot on PostgreSQL, the common case: its rows, its
		// event and the debate's row lock in one round trip.
		if err := s.castBallotPG(ctx, tx, d, by, b, next); err != nil {
			return nil, err
		}
		voters = 1
	} else {
		var err error
		if voters, err = s.writeBallotRows(ctx, tx, d, by, b, current, next, added, removed); err != nil {
			return nil, err
		}
	}
	counts := fitCounts(d.Counts, len(d.Options))
	for _, i := range added {
		counts[i]++
	}
	for _, i := range removed {
		counts[i]--
	}
	if err := s.storeBallotTally(ctx, tx, d, counts, d.Voters+voters, now); err != nil {
		return nil, err
	}
	if len(next) == 0 {
		return nil, nil
	}
	return b, nil
}

// writeBallotRows writes a ballot change's rows and event, then on
// PostgreSQL locks the debate's row for the tally; it returns the change
// in the number of voters.
func (s *Store) writeBallotRows(ctx context.Context, tx bun.IDB, d *Debate, by *Actor, b *Ballot, current, next, added, removed []int) (int, error) {
	now, receipt := b.UpdatedAt, b.Receipt
	if len(removed) > 0 {
		_, err := tx.NewDelete().Model((*debateVote)(nil)).
			Where("debate_id = ? AND actor_id = ? AND option_index IN (?)", d.ID, by.ID, bun.In(removed)).Exec(ctx)
		if err != nil {
			return 0, dbErr("remove votes", err)
		}
	}
	h := s.hot()
	for _, i := range added {
		if err := rawExec(ctx, tx, h.insertVote, d.ID, by.ID, i, receipt, s.timeArg(now)); err != nil {
			return 0, dbErr("insert votes", err)
		}
	}
	voters := 0
	switch {
	case len(next) == 0:
		if _, err := tx.NewDelete().Model((*Ballot)(nil)).Where("debate_id = ? AND actor_id = ?", d.ID, by.ID).Exec(ctx); err != nil {
			return 0, dbErr("delete ballot", err)
		}
		voters = -1
	case len(current) == 0:
		if err := rawExec(ctx, tx, h.insertBallot, b.DebateID, b.ActorID, b.Receipt, b.Host, s.timeArg(b.CreatedAt), s.timeArg(b.UpdatedAt)); err != nil {
			return 0, dbErr("insert ballot", err)
		}
		voters = 1
	default:
		_, err := tx.NewUpdate().Model((*Ballot)(nil)).Set("updated_at = ?", now).
			Where("debate_id = ? AND actor_id = ?", d.ID, by.ID).Exec(ctx)
		if err != nil {
			return 0, dbErr("update ballot", err)
		}
	}
	// The events before the tally: on PostgreSQL the debate's row is
	// locked from the tally to the commit (debateForBallot).
	if len(next) == 0 {
		if err := s.emitDebate(ctx, tx, EventVoteWithdrawn, d, by.ID, nil); err != nil {
			return 0, err
		}
	} else if err := s.emitDebate(ctx, tx, EventVoteCast, d, by.ID, map[string]any{"options": b.Options}); err != nil {
		return 0, err
	}
	if d.unlocked {
		locked, err := s.lockDebate(ctx, tx, d.ID)
		if err != nil {
			return 0, err
		}
		if err := takeLockedTally(d, locked); err != nil {
			return 0, err
		}
	}
	return voters, nil
}

// castBallotPG writes the new ballot b of by with the option indexes next
// (its votes, ballot row and vote.cast event) and locks d's row for the
// tally, in one statement (hotQueries.castBallot; PostgreSQL).
func (s *Store) castBallotPG(ctx context.Context, tx bun.IDB, d *Debate, by *Actor, b *Ballot, next []int) error {
	idx := make([]int32, len(next))
	for i, n := range next {
		idx[i] = int32(n)
	}
	data, err := json.Marshal(map[string]any{"options": b.Options})
	if err != nil {
		return err
	}
	locked := new(Debate)
	err = s.scanOneIn(ctx, tx, locked, s.hot().castBallot, d.ID, by.ID, b.Receipt, b.CreatedAt, idx, b.Host, EventVoteCast, d.SpaceID, string(data))
	if err != nil {
		return dbErr("cast ballot", err)
	}
	s.fed(ctx, tx, QueueEvents)
	locked.Current = locked.PhaseAt(s.Now())
	return takeLockedTally(d, locked)
}

// takeLockedTally checks the debate's row locked for the tally against
// the copy d a ballot change read without the lock, and takes its tally:
// a debate hidden, closed or with other options since refuses the change,
// which rolls back.
func takeLockedTally(d, locked *Debate) error {
	if locked.HiddenAt != nil && !d.withdrawal {
		return ErrNotFound
	}
	if err := phaseErr(locked); err != nil {
		return err
	}
	if !slices.Equal(locked.Options, d.Options) {
		return fmt.Errorf("%w: the options of this debate changed while you voted; vote again", ErrConflict)
	}
	d.Counts, d.Voters, d.unlocked = locked.Counts, locked.Voters, false
	return nil
}

// storeTally writes the cached counts and emits debate.results.
func (s *Store) storeTally(ctx context.Context, tx bun.IDB, d *Debate, counts []int, voters int, now time.Time) error {
	if err := s.writeTally(ctx, tx, d, counts, voters, now); err != nil {
		return err
	}
	return s.emitDebate(ctx, tx, EventDebateResults, d, 0, map[string]any{"voters": voters, "counts": counts})
}

// writeTally writes a debate's cached counts through a prepared update
// (hot_store.go), the counts as JSON text as bun writes them.
func (s *Store) writeTally(ctx context.Context, tx bun.IDB, d *Debate, counts []int, voters int, now time.Time) error {
	if counts == nil {
		counts = []int{} // "[]", as bun writes an empty tally
	}
	d.Counts, d.Voters, d.ResultsUpdatedAt = counts, voters, now
	if m := batchMemo(ctx); m != nil && m.running == d {
		m.runningTally = true // written once for the batch (ballotMemo)
		return nil
	}
	return s.execTally(ctx, tx, d)
}

// execTally writes d's cached counts, voters and results time.
func (s *Store) execTally(ctx context.Context, tx bun.IDB, d *Debate) error {
	js, err := json.Marshal(d.Counts)
	if err != nil {
		return err
	}
	return dbErr("store tally", rawExec(ctx, tx, s.hot().storeTally, string(js), d.Voters, s.timeArg(d.ResultsUpdatedAt), d.ID))
}

// resultsEvery is how often, at most, a ballot change emits
// debate.results for its debate (per process). Every ballot change
// already emits vote.cast or vote.withdrawn, which is what consumers act
// on (federation schedules its batched count Update from either, and
// reads the counts when it sends); debate.results is the periodic
// snapshot of the tally. Recount always emits it.
const resultsEvery = 10 * time.Second

// storeBallotTally writes the cached counts after a ballot change and
// emits debate.results unless this process emitted one for the debate
// within resultsEvery: under a burst of votes it was one event (an
// insert, then a claim, a schedule and a finish transaction in the
// outbox worker) per vote that said nothing vote.cast had not.
func (s *Store) storeBallotTally(ctx context.Context, tx bun.IDB, d *Debate, counts []int, voters int, now time.Time) error {
	if last, ok := s.votes.resultsAt.Load(d.ID); ok && now.Sub(last.(time.Time)) < resultsEvery && !now.Before(last.(time.Time)) {
		return s.writeTally(ctx, tx, d, counts, voters, now)
	}
	if err := s.storeTally(ctx, tx, d, counts, voters, now); err != nil {
		return err
	}
	// Remembered before the commit: if the transaction rolls back, the
	// tally did not change either, and the next change within
	// resultsEvery still emits vote.cast.
	s.votes.resultsAt.Store(d.ID, now)
	return nil
}

// fitCounts copies counts to exactly n entries.
func fitCounts(counts []int, n int) []int {
	out := make([]int, n)
	copy(out, counts)
	return out
}

// MyBallot returns an actor's ballot in a debate, or ErrNotFound.
func (s *Store) MyBallot(ctx context.Context, by *Actor, d *Debate) (*Ballot, error) {
	if by == nil {
		return nil, ErrNotFound
	}
	b := new(Ballot)
	err := s.DB.NewSelect().Model(b).Where("debate_id = ? AND actor_id = ?", d.ID, by.ID).Scan(ctx)
	if err != nil {
		return nil, dbErr("my ballot", err)
	}
	b.Options, err = ballotOptions(ctx, s.DB, d, by.ID)
	return b, err
}

// ballotOptions names the options of actorID's ballot in d.
func ballotOptions(ctx context.Context, db bun.IDB, d *Debate, actorID int64) ([]string, error) {
	idx, err := ballotIndexes(ctx, db, d.ID, actorID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, i := range idx {
		if i < len(d.Options) {
			out = append(out, d.Options[i])
		}
	}
	return out, nil
}
