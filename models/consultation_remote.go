package models

import (
	"cmp"
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// The consultation of another instance, as seen through copies of its
// proposals, debates and petitions. The origin names it on each of them
// (federation's odn:consultation, with its phases); this instance keeps
// one row of it, shared by those copies, and applies its phases to its own
// members' supports, votes, signatures and comments on them as the origin
// will on arrival. Without it a member could vote on a copy during the
// origin's information or synthesis phase: counted here, sent, refused
// there (a Reject, a notification), while the page had offered the form.
//
// Whom to believe: a copy's description creates the row (its host vouches
// for it, as for the copy), but changes it no more; what changes it is the
// consultation's own document, fetched from its id by federation
// (RefreshRemoteConsultation) when a copy names a newer version, when the
// space sends the consultation's Update (a hint, not believed as such:
// another account or group of the host could send one), or when nothing
// was heard of it for an hour (ClaimRemoteConsultations).

// RemoteConsultation is another instance's consultation that copies held
// here belong to. It is federation's input to UpsertRemoteProposal,
// UpsertRemoteDebate and UpsertRemotePetition (ID, Origin unset), and the
// stored row.
type RemoteConsultation struct {
	bun.BaseModel  `bun:"table:remote_consultations"`
	ID             int64      `bun:",pk,autoincrement"`
	URI            string     `bun:"uri,notnull"`
	URL            string     `bun:"url,notnull"` // its page at the origin
	Origin         string     `bun:",notnull"`    // host
	Title          string     `bun:",notnull"`
	OpensAt        time.Time  `bun:",notnull"`
	ContributionAt time.Time  `bun:",notnull"`
	SynthesisAt    time.Time  `bun:",notnull"`
	ClosesAt       time.Time  `bun:",notnull"`
	WithdrawnAt    *time.Time `bun:",nullzero"`
	// UpdatedAt is the version of the consultation's document last
	// fetched (its own last change; the Unix epoch while only a copy's
	// description is held): an older document, such as a retried
	// delivery, does not move the phases back.
	UpdatedAt time.Time `bun:",notnull"`
	// CheckedAt is when its origin last answered a fetch of the
	// consultation's document (nil: never): with the document, a
	// withdrawal (410) or another answer (a 404…).
	CheckedAt *time.Time `bun:",nullzero"`
	// NextCheckAt is when the hourly refetch takes it again (nil: at
	// once), and CheckFailures how many fetches in a row got no answer
	// from its origin (ClaimRemoteConsultations).
	NextCheckAt   *time.Time `bun:",nullzero"`
	CheckFailures int        `bun:",notnull"`
}

// consultation is r as a Consultation, so that the rules of a local one
// (Check, PhaseAt, AllowedUntil) apply to it unchanged.
func (r *RemoteConsultation) consultation() *Consultation {
	return &Consultation{URI: r.URI, Title: r.Title, OpensAt: r.OpensAt, ContributionAt: r.ContributionAt,
		SynthesisAt: r.SynthesisAt, ClosesAt: r.ClosesAt, DeletedAt: r.WithdrawnAt, Origin: r.Origin}
}

// ConsultationRef names the consultation whose phases govern taking part
// in an object: ID a local consultation; RemoteID, on a copy, its origin's
// (a RemoteConsultation). Zero: none.
type ConsultationRef struct{ ID, RemoteID int64 }

// ConsultationRef is the consultation whose phases govern p.
func (p *Proposal) ConsultationRef() ConsultationRef {
	return ConsultationRef{p.ConsultationID, p.RemoteConsultationID}
}

// ConsultationRef is the consultation whose phases govern d.
func (d *Debate) ConsultationRef() ConsultationRef {
	return ConsultationRef{d.ConsultationID, d.RemoteConsultationID}
}

// ConsultationRef is the consultation whose phases govern p.
func (p *Petition) ConsultationRef() ConsultationRef {
	return ConsultationRef{p.ConsultationID, p.RemoteConsultationID}
}

// copyConsultation reads the remote consultation of the copy typ/id (a
// proposal, debate or petition), 0 when it has none.
func copyConsultation(ctx context.Context, tx bun.IDB, typ string, id int64) (int64, error) {
	var rid *int64
	err := tx.NewSelect().TableExpr("?", bun.Ident(civicObjects[typ].table)).Column("remote_consultation_id").
		Where("id = ?", id).Scan(ctx, &rid)
	if err != nil || rid == nil {
		return 0, dbErr("copy consultation", err)
	}
	return *rid, nil
}

// maxRemoteConsultationURI bounds a remote consultation's id and page:
// longer ones are not believed (a unique index entry has a size limit on
// PostgreSQL, and no real id is that long).
const maxRemoteConsultationURI = 2000

// remoteConsultationURL reports whether s is an http(s) URL on host, with
// no user information (https://a.example@h.example/ is on h.example but
// reads as a.example's).
func remoteConsultationURL(s, host string) bool {
	u, err := url.Parse(s)
	return err == nil && len(s) <= maxRemoteConsultationURI && (u.Scheme == "https" || u.Scheme == "http") &&
		u.User == nil && strings.EqualFold(u.Host, host)
}

// believable returns the row in stands for when its origin, the host of
// the copy or actor that sent it, says it; nil when it is not to be
// believed: an id elsewhere than on origin (or with user information),
// phases out of order. Its page must be on origin too, else the id stands
// for it. A version a little ahead (clocks differ) is kept as it is, one
// further ahead is taken as now.
func (s *Store) believable(origin string, in *RemoteConsultation) *RemoteConsultation {
	if in == nil || !remoteConsultationURL(in.URI, origin) {
		return nil
	}
	b := []time.Time{in.OpensAt, in.ContributionAt, in.SynthesisAt, in.ClosesAt}
	for i, t := range b {
		if t.IsZero() || (i > 0 && t.Before(b[i-1])) {
			return nil
		}
		b[i] = t.UTC().Truncate(time.Microsecond)
	}
	now := s.Now()
	// To the microsecond, as stored: a version with more digits would
	// always look newer than itself read back.
	updated := orNow(in.UpdatedAt, now).Truncate(time.Microsecond)
	if updated.After(now.Add(maxClockAhead)) {
		// A version from the future would make every later, real change
		// look older: at most now, as copies' own versions. Within a
		// few minutes it is kept, so that two versions sent by a clock a
		// little ahead still compare in order.
		updated = now
	}
	r := &RemoteConsultation{
		URI: in.URI, URL: in.URL, Origin: strings.ToLower(origin),
		Title:   Excerpt(oneLine(PlainText(in.Title)), MaxConsultationTitle),
		OpensAt: b[0], ContributionAt: b[1], SynthesisAt: b[2], ClosesAt: b[3],
		UpdatedAt: updated,
	}
	if !remoteConsultationURL(r.URL, origin) {
		r.URL = r.URI // pages link to it
	}
	if in.WithdrawnAt != nil {
		t := in.WithdrawnAt.UTC().Truncate(time.Microsecond)
		r.WithdrawnAt = &t
	}
	return r
}

// maxClockAhead is how far ahead of this instance's clock a remote
// consultation's version may be and be kept as it is.
const maxClockAhead = 5 * time.Minute

// unconfirmed is the version of a record made from a copy's description,
// which the consultation's own document has not confirmed yet: any
// version it names is newer, so federation fetches it at once, and the
// document replaces the record whatever its own version.
var unconfirmed = time.Unix(0, 0).UTC()

// upsertRemoteConsultation returns the id of the consultation in that a
// copy from origin names, storing it when none is held (0 when in is nil
// or not believable, so that the copy is kept without it). A new record
// takes the copy's phases, unconfirmed (its version and check left
// empty, its withdrawal not believed): a bogus first description, from
// another account of the host, can then neither outlast the document nor
// withdraw the consultation for good. A record held is not changed: only
// the consultation's own document does that (RefreshRemoteConsultation),
// which federation fetches when a copy names a newer version
// (RemoteConsultationVersion). Read first, written only when new: on
// PostgreSQL an INSERT … ON CONFLICT locks the row it meets, and every
// copy of the consultation would wait on the others.
func (s *Store) upsertRemoteConsultation(ctx context.Context, tx bun.IDB, origin string, in *RemoteConsultation) (int64, error) {
	r := s.believable(origin, in)
	if r == nil {
		return 0, nil
	}
	r.UpdatedAt, r.CheckedAt, r.WithdrawnAt = unconfirmed, nil, nil
	var id int64
	err := tx.NewSelect().Model((*RemoteConsultation)(nil)).Column("id").Where("uri = ?", r.URI).Scan(ctx, &id)
	if err := dbErr("remote consultation", err); !errors.Is(err, ErrNotFound) {
		return id, err
	}
	if _, err := tx.NewInsert().Model(r).On("CONFLICT (uri) DO NOTHING").Exec(ctx); err != nil {
		return 0, dbErr("insert remote consultation", err)
	}
	// A concurrent copy may have inserted it first: its id either way.
	err = tx.NewSelect().Model((*RemoteConsultation)(nil)).Column("id").Where("uri = ?", r.URI).Scan(ctx, &id)
	return id, dbErr("remote consultation id", err)
}

// RemoteConsultationVersion returns the version held of the remote
// consultation uri (the Unix epoch while unconfirmed) and when its
// document was last fetched (nil: never); ok false when none is held (no
// copy of it here).
func (s *Store) RemoteConsultationVersion(ctx context.Context, uri string) (version time.Time, checked *time.Time, ok bool, err error) {
	r := new(RemoteConsultation)
	err = s.DB.NewSelect().Model(r).Column("updated_at", "checked_at").Where("uri = ?", uri).Scan(ctx)
	if err = dbErr("remote consultation version", err); errors.Is(err, ErrNotFound) {
		return time.Time{}, nil, false, nil
	}
	return r.UpdatedAt, r.CheckedAt, err == nil, err
}

// RefreshRemoteConsultation applies the consultation's own document, as
// federation fetched it from its id at origin, when this instance holds
// copies of it (a row exists; none is created) and it is a newer version;
// the row is marked checked either way (MarkRemoteConsultationChecked),
// even when the document is not to be believed (phases out of order…):
// its origin answered, and is asked again in an hour, not minutes later.
// A withdrawal stays: odn has no way to restore a withdrawn consultation,
// and a document older than the withdrawal (a retried delivery, a relay)
// must not reopen it.
func (s *Store) RefreshRemoteConsultation(ctx context.Context, origin string, in *RemoteConsultation) error {
	r := s.believable(origin, in)
	if r == nil {
		if in == nil || !remoteConsultationURL(in.URI, origin) {
			return nil // not origin's to answer for
		}
		return s.MarkRemoteConsultationChecked(ctx, in.URI)
	}
	_, err := s.DB.NewUpdate().Model((*RemoteConsultation)(nil)).
		Set("url = ?, title = ?, opens_at = ?, contribution_at = ?", r.URL, r.Title, r.OpensAt, r.ContributionAt).
		Set("synthesis_at = ?, closes_at = ?, updated_at = ?", r.SynthesisAt, r.ClosesAt, r.UpdatedAt).
		Set("withdrawn_at = COALESCE(withdrawn_at, ?)", r.WithdrawnAt).
		Where("uri = ? AND updated_at < ?", r.URI, r.UpdatedAt).Exec(ctx)
	if err != nil {
		return dbErr("refresh remote consultation", err)
	}
	return s.MarkRemoteConsultationChecked(ctx, r.URI)
}

// MarkRemoteConsultationChecked records that the origin of the remote
// consultation uri answered now (its document, or another answer such as
// a 404), so that ClaimRemoteConsultations takes it again in about an
// hour (remoteConsultationRecheck).
func (s *Store) MarkRemoteConsultationChecked(ctx context.Context, uri string) error {
	now := s.Now()
	_, err := s.DB.NewUpdate().Model((*RemoteConsultation)(nil)).Set("checked_at = ?", now).
		Set("next_check_at = ?, check_failures = 0", now.Add(remoteConsultationRecheck)).Where("uri = ?", uri).Exec(ctx)
	return dbErr("remote consultation checked", err)
}

// RemoteConsultationUnanswered records that the origin of the remote
// consultation uri gave no answer (unreachable, too slow, failing): it is
// due again after a wait that grows with each fetch in a row that got
// none (remoteConsultationRetry), and its last answer (CheckedAt) stays
// what it was.
func (s *Store) RemoteConsultationUnanswered(ctx context.Context, uri string) error {
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var failures int
		q := tx.NewSelect().Model((*RemoteConsultation)(nil)).Column("check_failures").Where("uri = ?", uri)
		if s.Dialect == Postgres {
			// Two nodes' failed fetches must both count (SQLite's write
			// transaction already holds the database).
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx, &failures); err != nil {
			return err
		}
		failures++
		_, err := tx.NewUpdate().Model((*RemoteConsultation)(nil)).Set("check_failures = ?", failures).
			Set("next_check_at = ?", s.Now().Add(remoteConsultationRetry(failures))).Where("uri = ?", uri).Exec(ctx)
		return err
	})
	return dbErr("remote consultation unanswered", err)
}

// WithdrawRemoteConsultation records that the origin no longer serves
// the consultation uri (410 Gone: withdrawn there), so that its copies
// here take nothing more, as the origin would refuse.
func (s *Store) WithdrawRemoteConsultation(ctx context.Context, uri string) error {
	now := s.Now()
	_, err := s.DB.NewUpdate().Model((*RemoteConsultation)(nil)).Set("withdrawn_at = ?", now).Set("checked_at = ?", now).
		Where("uri = ? AND withdrawn_at IS NULL", uri).Exec(ctx)
	return dbErr("withdraw remote consultation", err)
}

// RemoteConsultationCheckEvery is how long a remote consultation's
// phases are believed without a word from its origin: copies that get no
// Update (fetched by a lookup, or through a relay, on an instance whose
// members neither follow the space nor took part) would otherwise keep
// the phases they were first read with, and refuse wrongly when the
// origin moves its dates.
const RemoteConsultationCheckEvery = time.Hour

// remoteConsultationRecheck is how long after its origin answered a
// remote consultation is due again: a little less than
// RemoteConsultationCheckEvery, so that an hourly round finds again what
// the previous round took late in its run.
const remoteConsultationRecheck = RemoteConsultationCheckEvery - 10*time.Minute

// remoteConsultationRetry is how long a remote consultation waits after
// failures fetches in a row got no answer from its origin: 15 minutes,
// doubling, at most a day. An origin down for long is asked about each
// of its consultations once a day, not at each node's round; one back
// after a blip is asked again soon (a node's round is hourly, but the
// nodes of a deployment run theirs at different times), and its own
// deliveries (a copy naming a newer version, the consultation's Update)
// have it fetched at once meanwhile.
func remoteConsultationRetry(failures int) time.Duration {
	d := 15 * time.Minute
	for i := 1; i < failures && d < 24*time.Hour; i++ {
		d *= 2
	}
	return min(d, 24*time.Hour)
}

// perOriginClaim bounds the remote consultations of one origin in a claim.
const perOriginClaim = 5

// ClaimRemoteConsultations leases up to limit remote consultations to
// the caller for lease, for federation to fetch again: those not
// withdrawn nor closed for more than a week (the origin may extend one
// just closed), of which copies are held here, that are due (NextCheckAt
// past or unset), the longest due first. The lease is the claim: each
// node of a deployment runs the housekeeping, and a record one node took
// is not due for another until the lease ends. The caller then records
// the outcome, which sets when it is next due: the origin's answer
// (RefreshRemoteConsultation, MarkRemoteConsultationChecked,
// WithdrawRemoteConsultation) or its silence
// (RemoteConsultationUnanswered). A record the caller did not settle (it
// stopped mid-round, or its round ran out of time) is due again for any
// node once the lease ends, instead of being taken as checked for an
// hour. lease must outlast the longest the caller holds a record before
// settling it, or two nodes may fetch it.
func (s *Store) ClaimRemoteConsultations(ctx context.Context, limit int, lease time.Duration) ([]RemoteConsultation, error) {
	now := s.Now()
	// At most perOriginClaim of one origin's: a host that made this
	// instance record many consultations (one per copy it sent) does not
	// crowd out the others'.
	ranked := s.DB.NewSelect().Model((*RemoteConsultation)(nil)).Column("id", "next_check_at").
		ColumnExpr("ROW_NUMBER() OVER (PARTITION BY origin ORDER BY next_check_at IS NOT NULL, next_check_at, id) AS n").
		Where("withdrawn_at IS NULL AND closes_at > ?", now.Add(-7*24*time.Hour)).
		Where("(EXISTS (SELECT 1 FROM proposals WHERE remote_consultation_id = remote_consultation.id AND deleted_at IS NULL)"+
			" OR EXISTS (SELECT 1 FROM debates WHERE remote_consultation_id = remote_consultation.id AND deleted_at IS NULL)"+
			" OR EXISTS (SELECT 1 FROM petitions WHERE remote_consultation_id = remote_consultation.id AND deleted_at IS NULL))").
		Where("(next_check_at IS NULL OR next_check_at <= ?)", now)
	candidates := s.DB.NewSelect().TableExpr("(?) AS r", ranked).Column("r.id").Where("r.n <= ?", perOriginClaim).
		OrderExpr("r.next_check_at IS NOT NULL, r.next_check_at, r.id").Limit(int64(clampLimit(limit)))
	var out []RemoteConsultation
	// The due condition again in the update: on PostgreSQL a node that
	// waited for another's claim of the same rows re-reads them, and
	// finds them leased.
	err := s.DB.NewRaw("UPDATE remote_consultations SET next_check_at = ? WHERE id IN (?) AND (next_check_at IS NULL OR next_check_at <= ?)"+
		" RETURNING id, uri, origin", now.Add(lease), candidates, now).Scan(ctx, &out)
	slices.SortFunc(out, func(a, b RemoteConsultation) int { return cmp.Compare(a.ID, b.ID) })
	return out, dbErr("claim remote consultations", err)
}

// linkCopyConsultation attaches the copy id of table, whose stored
// consultation is held, to its origin's consultation rid when the stored
// version left it without one (held 0) although the document at hand
// names one (rid not 0), and returns the consultation the copy now has:
// a copy stored before its origin named consultations learns it from any
// version, even one not newer than the copy (an Update after a change of
// the consultation's dates leaves the object's own version as it was).
// A newer version detaching the copy goes through the versioned upsert.
func linkCopyConsultation(ctx context.Context, tx bun.IDB, table string, id, held, rid int64) (int64, error) {
	if rid == 0 || held != 0 {
		return held, nil
	}
	_, err := tx.NewUpdate().TableExpr("?", bun.Ident(table)).Set("remote_consultation_id = ?", rid).
		Where("id = ? AND NOT local AND remote_consultation_id IS NULL", id).Exec(ctx)
	return rid, dbErr("link copy consultation", err)
}
