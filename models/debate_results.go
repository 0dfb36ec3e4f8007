package models

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// OptionCount is one option's tally.
type OptionCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
	// Percent is Count over the number of voters, rounded to 0.1 (on a
	// multiple-choice debate the percentages add up to more than 100).
	Percent float64 `json:"percent"`
}

// Results is a debate's tally: per option, in total and per instance.
type Results struct {
	DebateID int64         `json:"-"`
	Options  []OptionCount `json:"options"`
	Voters   int           `json:"voters"`
	// ByInstance counts voters per host, the local host included.
	ByInstance map[string]int `json:"by_instance"`
	UpdatedAt  time.Time      `json:"updated_at"`
	Closed     bool           `json:"closed"`
}

// BallotEntry is one line of the public list of a closed debate: the
// receipt and its choices, and the voter's handle on a public ballot
// (empty for an erased account).
type BallotEntry struct {
	Receipt string   `json:"receipt"`
	Options []string `json:"options"`
	Voter   string   `json:"voter,omitempty"`
}

// Results returns a debate's tally from the cached counts (kept in step by
// every ballot change, rebuilt by Recount) and the per-instance voters
// from the ballots. It does not apply the visibility rule: use
// PublicResults for viewers; federation must check
// d.ResultsVisible(nil) before publishing counts.
func (s *Store) Results(ctx context.Context, debateID int64) (*Results, error) {
	d, err := s.DebateByID(ctx, debateID)
	if err != nil {
		return nil, err
	}
	return s.results(ctx, d)
}

func (s *Store) results(ctx context.Context, d *Debate) (*Results, error) {
	r := &Results{DebateID: d.ID, Voters: d.Voters, UpdatedAt: d.ResultsUpdatedAt, Closed: d.Current == DebateClosed,
		ByInstance: map[string]int{}}
	counts := fitCounts(d.Counts, len(d.Options))
	for i, name := range d.Options {
		oc := OptionCount{Name: name, Count: counts[i]}
		if d.Voters > 0 {
			oc.Percent = math.Round(float64(counts[i])*1000/float64(d.Voters)) / 10
		}
		r.Options = append(r.Options, oc)
	}
	var rows []struct {
		Host string `bun:"host"`
		N    int    `bun:"n"`
	}
	err := s.DB.NewSelect().Model((*Ballot)(nil)).ColumnExpr("b.host AS host, COUNT(*) AS n").
		Where("b.debate_id = ?", d.ID).GroupExpr("b.host").Scan(ctx, &rows)
	if err != nil {
		return nil, dbErr("results by instance", err)
	}
	for _, row := range rows {
		r.ByInstance[row.Host] = row.N
	}
	if !d.Local {
		r.ByInstance = s.copyBreakdown(d, r.ByInstance)
	}
	return r, nil
}

// copyBreakdown is the voters per instance of a remote debate's copy,
// made to add up to its voters as the origin's breakdown does. The copy
// counts the origin's voters as of its last Update plus the ballot
// changes made here since, and its own ballots are this instance's
// members' (here): the origin's breakdown (odn:byInstance) then takes
// the changes since on this host; without one (a Mastodon poll), the
// voters not from here are shown under the origin's host.
func (s *Store) copyBreakdown(d *Debate, here map[string]int) map[string]int {
	out, host := here, d.Origin
	if d.OriginByInstance != nil {
		out, host = maps.Clone(d.OriginByInstance), strings.ToLower(s.URLs.Host())
	}
	rest := d.Voters
	for _, n := range out {
		rest -= n
	}
	if out[host] += rest; out[host] <= 0 {
		delete(out, host)
	}
	return out
}

// PublicResults returns the results a viewer may see, with the ballot
// list once the debate is closed; before that, on a debate whose results
// are shown after the close, it is ErrForbidden for everyone but
// moderators.
func (s *Store) PublicResults(ctx context.Context, viewer *Account, d *Debate) (*Results, []BallotEntry, error) {
	if !d.ResultsVisible(viewer) {
		return nil, nil, fmt.Errorf("%w: results are published when the debate closes", ErrForbidden)
	}
	r, err := s.results(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	if d.Current != DebateClosed {
		return r, nil, nil
	}
	list, err := s.Ballots(ctx, d)
	return r, list, err
}

// Ballots lists every ballot of a closed debate by receipt, with the
// voters' handles on a public ballot. It is how anyone recounts and how a
// voter checks their vote (docs/COUNTING.md); before the close it is
// ErrForbidden.
func (s *Store) Ballots(ctx context.Context, d *Debate) ([]BallotEntry, error) {
	return ballotList(ctx, s.DB, d)
}

// ballotList is Ballots read through db: the open-data export reads it in
// its own transaction, so that receipts and counts are one snapshot.
func ballotList(ctx context.Context, db bun.IDB, d *Debate) ([]BallotEntry, error) {
	if d.Current != DebateClosed {
		return nil, fmt.Errorf("%w: the ballot list is published when the debate closes", ErrForbidden)
	}
	var rows []struct {
		Receipt     string `bun:"receipt"`
		OptionIndex int    `bun:"option_index"`
		Username    string `bun:"username"`
		Host        string `bun:"host"`
		Erased      bool   `bun:"erased"`
	}
	err := db.NewSelect().TableExpr("debate_votes AS v").Join("JOIN actors AS a ON a.id = v.actor_id").
		ColumnExpr("v.receipt, v.option_index, a.username, a.host, a.deleted_at IS NOT NULL AS erased").
		Where("v.debate_id = ?", d.ID).OrderExpr("v.receipt, v.option_index").Scan(ctx, &rows)
	if err != nil {
		return nil, dbErr("ballot list", err)
	}
	out := []BallotEntry{}
	for _, row := range rows {
		if len(out) == 0 || out[len(out)-1].Receipt != row.Receipt {
			e := BallotEntry{Receipt: row.Receipt}
			if d.PublicBallot && !row.Erased {
				// An erased account (DeleteAccount, Delete{Person})
				// keeps its name claimed, but is no longer named
				// beside its choices: its vote stays, anonymous.
				e.Voter = row.Username + "@" + row.Host
			}
			out = append(out, e)
		}
		if row.OptionIndex < len(d.Options) {
			last := &out[len(out)-1]
			last.Options = append(last.Options, d.Options[row.OptionIndex])
		}
	}
	return out, nil
}

// RecountReport compares the cached tally with a count of the stored
// votes.
type RecountReport struct {
	Stored        []int    `json:"stored"`
	Counted       []int    `json:"counted"`
	StoredVoters  int      `json:"stored_voters"`
	CountedVoters int      `json:"counted_voters"`
	Differences   []string `json:"differences"`
	// Corrected is true when the cache was rewritten from the count.
	Corrected bool `json:"corrected"`
}

// ErrRemoteTally is Recount's answer for the copy of another instance's
// debate. Its tally is the origin's, brought by the origin's updates and
// counting every instance's ballots; this instance stores only its own
// members' share, so it has nothing to recount the tally from, and
// rewriting it from that share would replace, say, 201 voters by 1.
var ErrRemoteTally = fmt.Errorf("%w: the debate is a copy of another instance's, whose origin counts the votes", ErrConflict)

// Recount counts a debate's stored votes again, compares with the cached
// tally, rewrites the cache when they differ (audited, by may be nil for
// the command line) and reports every difference. It also checks that
// every vote row has its ballot and every ballot at least one vote. The
// copy of a remote debate is ErrRemoteTally: its origin recounts it (as
// RecountSupports and RecountSignatures leave remote copies alone).
func (s *Store) Recount(ctx context.Context, by *Account, debateID int64) (*RecountReport, error) {
	if by != nil && !by.IsModerator() {
		return nil, ErrForbidden
	}
	rep := &RecountReport{}
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		d, err := s.lockDebate(ctx, tx, debateID)
		if err != nil {
			return err
		}
		if !d.Local {
			return fmt.Errorf("%w (debate %d, %s)", ErrRemoteTally, d.ID, d.URI)
		}
		rep.Stored, rep.StoredVoters = slices.Clone(d.Counts), d.Voters
		rep.Counted = make([]int, len(d.Options))
		var rows []struct {
			OptionIndex int `bun:"option_index"`
			N           int `bun:"n"`
		}
		err = tx.NewSelect().Model((*debateVote)(nil)).ColumnExpr("v.option_index AS option_index, COUNT(*) AS n").
			Where("v.debate_id = ?", d.ID).GroupExpr("v.option_index").Scan(ctx, &rows)
		if err != nil {
			return dbErr("recount votes", err)
		}
		for _, row := range rows {
			if row.OptionIndex < 0 || row.OptionIndex >= len(d.Options) {
				rep.Differences = append(rep.Differences, fmt.Sprintf("%d vote(s) for unknown option index %d", row.N, row.OptionIndex))
				continue
			}
			rep.Counted[row.OptionIndex] = row.N
		}
		voters, err := tx.NewSelect().Model((*Ballot)(nil)).Where("b.debate_id = ?", d.ID).Count(ctx)
		if err != nil {
			return dbErr("recount voters", err)
		}
		rep.CountedVoters = int(voters)
		orphans, err := tx.NewSelect().Model((*debateVote)(nil)).Where("v.debate_id = ?", d.ID).
			Where("NOT EXISTS (SELECT 1 FROM debate_ballots AS b WHERE b.debate_id = v.debate_id AND b.actor_id = v.actor_id)").Count(ctx)
		if err != nil {
			return dbErr("recount orphan votes", err)
		}
		if orphans > 0 {
			rep.Differences = append(rep.Differences, fmt.Sprintf("%d vote row(s) without a ballot", orphans))
		}
		empty, err := tx.NewSelect().Model((*Ballot)(nil)).Where("b.debate_id = ?", d.ID).
			Where("NOT EXISTS (SELECT 1 FROM debate_votes AS v WHERE v.debate_id = b.debate_id AND v.actor_id = b.actor_id)").Count(ctx)
		if err != nil {
			return dbErr("recount empty ballots", err)
		}
		if empty > 0 {
			rep.Differences = append(rep.Differences, fmt.Sprintf("%d ballot(s) without a vote", empty))
		}
		stored := fitCounts(d.Counts, len(d.Options))
		for i, name := range d.Options {
			if stored[i] != rep.Counted[i] || len(d.Counts) != len(d.Options) {
				rep.Differences = append(rep.Differences, fmt.Sprintf("option %q: cached %d, counted %d", name, stored[i], rep.Counted[i]))
			}
		}
		if rep.StoredVoters != rep.CountedVoters {
			rep.Differences = append(rep.Differences, fmt.Sprintf("voters: cached %d, counted %d", rep.StoredVoters, rep.CountedVoters))
		}
		if slices.Equal(d.Counts, rep.Counted) && rep.StoredVoters == rep.CountedVoters {
			return nil
		}
		rep.Corrected = true
		if err := s.storeTally(ctx, tx, d, slices.Clone(rep.Counted), rep.CountedVoters, s.Now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "recount_debate", ObjectTypeDebate, strconv.FormatInt(d.ID, 10), strings.Join(rep.Differences, "; "))
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}
