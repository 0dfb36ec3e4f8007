package models

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// RemoteDebate is a poll (ActivityStreams Question) of another server,
// as federation read it: its origin is authoritative for the options,
// the tally and the closing.
type RemoteDebate struct {
	URI             string
	URL             string
	Question        string // plain text; cut to MaxDebateQuestion
	DescriptionHTML string // sanitised here
	Options         []string
	Counts          []int // per option (replies.totalItems); may be nil
	Voters          int   // votersCount
	Multiple        bool  // anyOf rather than oneOf
	ClosesAt        *time.Time
	Closed          bool
	// Updated is the Question's "updated" (or "published"): an update
	// not newer than the stored one is ignored (FEP-9967). It is kept in
	// the debate's updated_at, which local votes do not touch.
	Updated time.Time
	// SpaceID is a local space that relays the debate (0: none).
	SpaceID int64
	// ResultsVisibility is the origin's rule (odn:resultsVisibility):
	// ResultsAfterClose keeps the copy's results hidden until it closes;
	// anything else is ResultsLive.
	ResultsVisibility string
	// ByInstance is the origin's voters per instance host
	// (odn:byInstance); nil when not published.
	ByInstance map[string]int
	// Consultation is the origin's consultation the debate belongs to
	// (nil: none), whose phases then govern votes here.
	Consultation *RemoteConsultation
}

// Bounds of a remote debate's breakdown per instance: a host name's
// length and a number of hosts no real network of towns exceeds.
const (
	maxByInstanceHosts = 1000
	maxHostLen         = 253
)

// originBreakdown keeps a remote debate's voters per instance when it
// is plausible — host names of a sane length, counts that are not
// negative and add up to no more than its voters — and nil otherwise.
func originBreakdown(in map[string]int, voters int) map[string]int {
	if len(in) == 0 || len(in) > maxByInstanceHosts {
		return nil
	}
	out, sum := make(map[string]int, len(in)), 0
	for host, n := range in {
		if host == "" || len(host) > maxHostLen || n < 0 {
			return nil
		}
		out[strings.ToLower(host)] += n
		sum += n
	}
	if sum > voters {
		return nil
	}
	return out
}

// UpsertRemoteDebate stores or refreshes the local copy of a remote
// debate, keyed by its URI. by must be its author (the actor the origin
// attributes it to), on the URI's host. Local members then vote on it
// with CastVote; federation sends their ballot to the origin (vote.cast)
// and the origin's Update{Question} brings the tally back here. A stale
// update (Updated not newer) changes nothing.
func (s *Store) UpsertRemoteDebate(ctx context.Context, by *Actor, in RemoteDebate) (*Debate, error) {
	if by == nil || by.Local {
		return nil, ErrForbidden
	}
	if u, err := url.Parse(in.URI); err != nil || u.Host == "" || !strings.EqualFold(u.Host, by.Host) {
		return nil, fmt.Errorf("%w: debate %s is not from %s", ErrForbidden, in.URI, by.Host)
	}
	question := Excerpt(oneLine(PlainText(in.Question)), MaxDebateQuestion)
	opts := make([]string, 0, len(in.Options))
	for _, o := range in.Options {
		if o = Excerpt(oneLine(o), MaxDebateOption); o != "" {
			opts = append(opts, o)
		}
	}
	if question == "" || len(opts) < MinDebateOptions || len(opts) > MaxDebateOptions || len(opts) != len(in.Options) {
		return nil, Invalid("options", fmt.Sprintf("A debate needs %d to %d options.", MinDebateOptions, MaxDebateOptions))
	}
	now := s.Now()
	updated := in.Updated.UTC().Truncate(time.Microsecond)
	if updated.IsZero() || updated.After(now) {
		updated = now
	}
	phase := DebateOpen
	if in.Closed {
		phase = DebateClosed
	}
	d := &Debate{
		URI: in.URI, URL: in.URL, SpaceID: in.SpaceID, AuthorID: by.ID, Question: question,
		DescriptionHTML: SanitizeHTML(in.DescriptionHTML), Options: opts, Multiple: in.Multiple, Phase: phase,
		ClosesAt: in.ClosesAt, ResultsVisibility: ResultsLive, BallotSecret: newBallotSecret(),
		OriginByInstance: originBreakdown(in.ByInstance, in.Voters),
		Counts:           fitCounts(in.Counts, len(opts)), Voters: max(in.Voters, 0), ResultsUpdatedAt: updated,
		Local: false, Origin: strings.ToLower(by.Host), CreatedAt: now, UpdatedAt: updated,
	}
	if in.ResultsVisibility == ResultsAfterClose {
		d.ResultsVisibility = ResultsAfterClose
	}
	d.Search = d.searchText()
	if d.URL == "" {
		d.URL = d.URI
	}
	if phase == DebateClosed {
		d.ClosedAt = &updated
	}
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rid, err := s.upsertRemoteConsultation(ctx, tx, d.Origin, in.Consultation)
		if err != nil {
			return err
		}
		d.RemoteConsultationID = rid
		old := new(Debate)
		q := tx.NewSelect().Model(old).Where("d.uri = ?", in.URI)
		if s.Dialect == Postgres {
			// The row lock ballot changes take last (castBallot, lockDebate):
			// a ballot in flight commits first and its rows are then reset
			// with the others, or it waits and finds the new options.
			q = q.For("NO KEY UPDATE")
		}
		err = q.Scan(ctx)
		if err := dbErr("remote debate", err); errors.Is(err, ErrNotFound) {
			_, err := tx.NewInsert().Model(d).Exec(ctx)
			return dbErr("insert remote debate", err)
		} else if err != nil {
			return err
		}
		if old.Local || old.AuthorID != by.ID {
			return ErrForbidden
		}
		if old.DeletedAt != nil || !updated.After(old.UpdatedAt) {
			*d = *old // tombstoned, or a stale or replayed update
			if d.DeletedAt != nil {
				return nil
			}
			// It may still name the consultation of a copy that lacks it.
			d.RemoteConsultationID, err = linkCopyConsultation(ctx, tx, "debates", d.ID, d.RemoteConsultationID, rid)
			return err
		}
		d.ID, d.BallotSecret, d.CreatedAt, d.HiddenAt = old.ID, old.BallotSecret, old.CreatedAt, old.HiddenAt
		if d.SpaceID == 0 {
			d.SpaceID = old.SpaceID
		}
		if !slices.Equal(old.Options, d.Options) {
			// New options void the ballots cast on the old ones, as in
			// Mastodon; the origin's counts say what stands.
			for _, m := range []any{(*debateVote)(nil), (*Ballot)(nil)} {
				if _, err := tx.NewDelete().Model(m).Where("debate_id = ?", old.ID).Exec(ctx); err != nil {
					return dbErr("reset remote ballots", err)
				}
			}
		}
		_, err = tx.NewUpdate().Model(d).WherePK().
			Column("url", "space_id", "question", "description_html", "search", "options", "multiple", "phase", "closes_at", "closed_at",
				"counts", "voters", "results_updated_at", "updated_at", "results_visibility", "origin_by_instance",
				"remote_consultation_id").Exec(ctx)
		if err != nil {
			return dbErr("update remote debate", err)
		}
		if old.Phase != DebateClosed && d.Phase == DebateClosed {
			// The origin closed it: its results are final, and the local
			// voters are told as the origin's own are. Under the row lock
			// and only for a newer version, so a replay, the space's
			// relay of the same Update or a refetch tells no one twice.
			return s.notifyDebateClosed(ctx, tx, d.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.Author, d.Current = by, d.PhaseAt(now)
	return d, nil
}
