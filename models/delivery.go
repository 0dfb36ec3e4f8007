package models

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDone      = "done"
	DeliveryDead      = "dead"      // gave up: final 4xx or retries exhausted
	DeliveryCancelled = "cancelled" // the domain was blocked
)

// Delivery is one POST of one activity to one inbox (the peer's shared
// inbox when it has one): the durable delivery queue. A job is leased to
// one worker at a time (LockedBy, LockedUntil) and marked done only after
// the peer answered 2xx, so it survives restarts and kill -9.
type Delivery struct {
	bun.BaseModel `bun:"table:deliveries"`
	ID            int64  `bun:",pk,autoincrement" json:"id"`
	ActivityID    string `bun:",notnull" json:"activity_id"`
	Inbox         string `bun:",notnull" json:"inbox"`
	Host          string `bun:",notnull" json:"host"`
	SignerID      int64  `bun:",notnull" json:"-"`
	// Body is the signed activity; jobs keep it in delivery_bodies, one
	// copy per activity (BodyID), and the store fills Body when it reads
	// jobs to send. Jobs queued before that table keep Body inline.
	Body          string     `bun:",notnull" json:"-"`
	BodyID        *int64     `bun:",nullzero" json:"-"`
	State         string     `bun:",notnull" json:"state"`
	Attempts      int        `bun:",notnull" json:"attempts"`
	NextAttemptAt time.Time  `bun:",notnull" json:"next_attempt_at"`
	LockedUntil   *time.Time `bun:",nullzero" json:"-"`
	LockedBy      string     `bun:",notnull" json:"-"`
	LastStatus    int        `bun:",notnull" json:"last_status"`
	LastError     string     `bun:",notnull" json:"last_error"`
	CreatedAt     time.Time  `bun:",notnull" json:"created_at"`
	UpdatedAt     time.Time  `bun:",notnull" json:"updated_at"`
	DeliveredAt   *time.Time `bun:",nullzero" json:"delivered_at,omitempty"`
	// ReportID is the report whose forward this job carries (a Flag),
	// 0 for every other job: acknowledging or burying the job records
	// the forward delivered or failed (Report.ForwardStatus).
	ReportID int64 `bun:",nullzero" json:"-"`
}

// Outgoing is an activity to deliver to some inboxes, signed by a local
// actor.
type Outgoing struct {
	ActivityID string
	Body       []byte
	SignerID   int64
	Inboxes    []string
	// ReportID is the report whose forward this is (a Flag), 0 for any
	// other activity. Its jobs carry it, and when none is queued (no
	// inbox, the domain blocked) the forward is recorded failed: an
	// Outgoing of a report without inbox is how the outbox says the
	// Flag cannot go.
	ReportID int64
	// Dropped says why a report's Flag has no inbox (a ForwardError…
	// code); when empty, EnqueueDeliveries tells a blocked domain from
	// no inbox at all.
	Dropped string
}

// EnqueueDeliveries adds one job per inbox, skipping blocked domains and
// (activity, inbox) pairs already queued, so re-running an event handler
// never delivers twice.
func (s *Store) EnqueueDeliveries(ctx context.Context, out ...Outgoing) (int, error) {
	n := 0
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		n, err = s.EnqueueDeliveriesTx(ctx, tx, out...)
		return err
	})
	return n, err
}

// EnqueueDeliveriesTx is EnqueueDeliveries inside tx (the outbox worker
// marks its event processed in the same transaction).
func (s *Store) EnqueueDeliveriesTx(ctx context.Context, tx bun.IDB, out ...Outgoing) (int, error) {
	if len(out) == 0 {
		return 0, nil
	}
	blocked, err := blockedSetOn(ctx, tx)
	if err != nil {
		return 0, err
	}
	now := s.Now()
	var jobs []Delivery
	dropped := map[string][]int64{} // reports whose Flag goes nowhere, by reason
	for _, o := range out {
		seen := map[string]bool{}
		first, reason := len(jobs), ForwardErrorNoInbox
		for _, inbox := range o.Inboxes {
			u, err := url.Parse(inbox)
			if err == nil && blocked.Has(u.Host) {
				reason = ForwardErrorBlocked
			}
			if err != nil || u.Host == "" || seen[inbox] || blocked.Has(u.Host) {
				continue
			}
			seen[inbox] = true
			jobs = append(jobs, Delivery{ActivityID: o.ActivityID, Inbox: inbox, Host: normalizeHost(u.Host),
				SignerID: o.SignerID, State: DeliveryPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now, ReportID: o.ReportID})
		}
		if len(jobs) == first {
			if o.ReportID != 0 {
				if o.Dropped != "" {
					reason = o.Dropped
				}
				dropped[reason] = append(dropped[reason], o.ReportID)
			}
			continue
		}
		b := &deliveryBody{Body: string(o.Body), CreatedAt: now}
		if _, err := tx.NewInsert().Model(b).Returning("id").Exec(ctx); err != nil {
			return 0, dbErr("enqueue deliveries", err)
		}
		for i := first; i < len(jobs); i++ {
			jobs[i].BodyID = &b.ID
		}
	}
	for reason, ids := range dropped {
		if err := forwardsFailed(ctx, tx, bun.In(ids), reason); err != nil {
			return 0, err
		}
	}
	if len(jobs) == 0 {
		return 0, nil
	}
	// No RETURNING: bun would read back 500 ids nobody uses.
	res, err := tx.NewInsert().Model(&jobs).On("CONFLICT (activity_id, inbox) DO NOTHING").Returning("NULL").Exec(ctx)
	if err != nil {
		return 0, dbErr("enqueue deliveries", err)
	}
	n, _ := res.RowsAffected()
	s.fed(ctx, tx, QueueDeliveries)
	return int(n), nil
}

// deliveryBody is one activity's body, shared by its jobs.
type deliveryBody struct {
	bun.BaseModel `bun:"table:delivery_bodies"`
	ID            int64     `bun:",pk,autoincrement"`
	Body          string    `bun:",notnull"`
	CreatedAt     time.Time `bun:",notnull"`
}

// withBodies fills the Body of jobs that keep it in delivery_bodies, with
// one query for all of them.
func withBodies(ctx context.Context, db bun.IDB, jobs []Delivery) ([]Delivery, error) {
	var ids []int64
	for _, j := range jobs {
		if j.BodyID != nil && !slices.Contains(ids, *j.BodyID) {
			ids = append(ids, *j.BodyID)
		}
	}
	if len(ids) == 0 {
		return jobs, nil
	}
	var bodies []deliveryBody
	if err := db.NewSelect().Model(&bodies).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, dbErr("delivery bodies", err)
	}
	byID := make(map[int64]string, len(bodies))
	for _, b := range bodies {
		byID[b.ID] = b.Body
	}
	for i, j := range jobs {
		if j.BodyID != nil {
			jobs[i].Body = byID[*j.BodyID]
		}
	}
	return jobs, nil
}

// ClaimDeliveries leases up to n due pending jobs to owner until
// now+lease, skipping hosts whose circuit is open. On PostgreSQL it uses
// FOR UPDATE SKIP LOCKED, so several nodes never take the same job; on
// SQLite (one process) the single UPDATE … RETURNING is atomic.
//
// Jobs of the hosts in skip are left alone: the worker passes the hosts
// that already have their share of requests in flight, so a slow peer's
// backlog does not fill the worker's slots.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, n int, lease time.Duration, skip ...string) ([]Delivery, error) {
	now := s.Now()
	down := s.DB.NewSelect().Model((*RemoteHost)(nil)).Column("host").Where("down_until > ?", now)
	sub := s.DB.NewSelect().Model((*Delivery)(nil)).Column("id").
		Where("state = ? AND next_attempt_at <= ?", DeliveryPending, now).
		Where("(locked_until IS NULL OR locked_until < ?)", now).
		Where("host NOT IN (?)", down).Order("next_attempt_at", "id").Limit(int64(n))
	if len(skip) > 0 {
		sub = sub.Where("host NOT IN (?)", bun.In(skip))
	}
	if s.Dialect == Postgres {
		sub = sub.For("UPDATE SKIP LOCKED")
	}
	var out []Delivery
	q := s.DB.NewUpdate().Model(&out).Set("locked_by = ?", owner).Set("locked_until = ?", now.Add(lease)).
		Set("attempts = attempts + 1").Set("updated_at = ?", now).Where("id IN (?)", sub)
	if s.Dialect == Postgres {
		// Another node may have finished a row between the subquery's
		// snapshot and the update. On SQLite the statement runs alone
		// under the write lock, and the check made it update by reading
		// every pending job's index entry instead of the ids it chose.
		q = q.Where("state = ?", DeliveryPending)
	}
	err := q.Returning("*").Scan(ctx)
	if err != nil {
		return nil, dbErr("claim deliveries", err)
	}
	// RETURNING has no order on PostgreSQL: dispatch oldest first, as
	// claimed (an activity's Create goes out before its Update when a
	// host has a free slot for both).
	slices.SortFunc(out, func(a, b Delivery) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	return withBodies(ctx, s.DB, out)
}

// CompleteDelivery marks a job delivered; it reports false when owner no
// longer holds the lease (another node took the job after it expired).
func (s *Store) CompleteDelivery(ctx context.Context, id int64, owner string, status int) (bool, error) {
	now := s.Now()
	res, err := s.DB.NewUpdate().Model((*Delivery)(nil)).Set("state = ?", DeliveryDone).
		Set("delivered_at = ?", now).Set("updated_at = ?", now).Set("last_status = ?", status).
		Set("last_error = ''").Set("locked_until = NULL").Set("locked_by = ''").
		Where("id = ? AND locked_by = ?", id, owner).Exec(ctx)
	if err != nil {
		return false, dbErr("complete delivery", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Delivered is a job the peer answered 2xx, for CompleteDeliveries.
// ReportID is the job's (Delivery.ReportID): passed along, so that only
// a Flag's acknowledgement writes to its report.
type Delivered struct {
	ID       int64
	Host     string
	Status   int
	ReportID int64
}

// CompleteDeliveries marks jobs delivered and closes their hosts'
// circuits (HostSucceeded) in one transaction, so the delivery worker
// acknowledges a burst of 2xx answers with one write instead of two per
// job. Only jobs owner still holds are marked; it returns how many.
func (s *Store) CompleteDeliveries(ctx context.Context, owner string, done []Delivered) (int, error) {
	if len(done) == 0 {
		return 0, nil
	}
	now := s.Now()
	byStatus := map[int][]int64{}
	hostSet := map[string]bool{}
	var reports []int64
	for _, d := range done {
		byStatus[d.Status] = append(byStatus[d.Status], d.ID)
		hostSet[normalizeHost(d.Host)] = true
		if d.ReportID != 0 {
			reports = append(reports, d.ReportID)
		}
	}
	hosts := make([]RemoteHost, 0, len(hostSet))
	for h := range hostSet {
		hosts = append(hosts, RemoteHost{Host: h, LastSuccessAt: &now})
	}
	// A fixed order: two nodes upserting the same hosts never deadlock.
	slices.SortFunc(hosts, func(a, b RemoteHost) int { return strings.Compare(a.Host, b.Host) })
	n := 0
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n = 0
		for status, ids := range byStatus {
			res, err := tx.NewUpdate().Model((*Delivery)(nil)).Set("state = ?", DeliveryDone).
				Set("delivered_at = ?", now).Set("updated_at = ?", now).Set("last_status = ?", status).
				Set("last_error = ''").Set("locked_until = NULL").Set("locked_by = ''").
				Where("id IN (?) AND locked_by = ?", bun.In(ids), owner).Exec(ctx)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		// A Flag's report is delivered even if this node lost the job's
		// lease meanwhile: the peer answered 2xx to it.
		if len(reports) > 0 {
			if err := forwardsDelivered(ctx, tx, now, reports); err != nil {
				return err
			}
		}
		// Only the host rows that change are written: new hosts, open or
		// failing circuits, and last successes older than a minute. A
		// fan-out to 500 healthy peers rewrote 500 rows every 5 ms.
		names := make([]string, len(hosts))
		for i, h := range hosts {
			names[i] = h.Host
		}
		// (bun may rescan the slice: take the names first.)
		if _, err := tx.NewInsert().Model(&hosts).On("CONFLICT (host) DO NOTHING").Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewUpdate().Model((*RemoteHost)(nil)).Set("failures = 0, down_until = NULL, last_success_at = ?", now).
			Where("host IN (?)", bun.In(names)).
			Where("failures > 0 OR down_until IS NOT NULL OR last_success_at IS NULL OR last_success_at < ?", now.Add(-time.Minute)).
			Exec(ctx)
		return err
	})
	return n, dbErr("complete deliveries", err)
}

// ReleaseDeliveries is ReleaseDelivery for several jobs at once (claimed
// jobs not yet started when the worker stops).
func (s *Store) ReleaseDeliveries(ctx context.Context, ids []int64, owner string, next time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.DB.NewUpdate().Model((*Delivery)(nil)).Set("locked_until = NULL").Set("locked_by = ''").
		Set("attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END").Set("next_attempt_at = ?", next).
		Where("id IN (?) AND locked_by = ?", bun.In(ids), owner).Exec(ctx)
	return dbErr("release deliveries", err)
}

// FailDelivery records a failed attempt: retry at next, or, when next is
// zero (final 4xx, retries exhausted), move the job to the dead letters,
// and a Flag's report with it: its forward failed for why (a
// ForwardError… code; the sender knows which answers were final).
func (s *Store) FailDelivery(ctx context.Context, id int64, owner string, status int, msg string, next time.Time, why string) error {
	now := s.Now()
	failed := func(db bun.IDB) *bun.UpdateQuery {
		return db.NewUpdate().Model((*Delivery)(nil)).Set("updated_at = ?", now).Set("last_status = ?", status).
			Set("last_error = ?", truncateBytes(msg, 500)).Set("locked_until = NULL").Set("locked_by = ''").
			Where("id = ? AND locked_by = ?", id, owner)
	}
	if !next.IsZero() {
		_, err := failed(s.DB).Set("next_attempt_at = ?", next).Exec(ctx)
		return dbErr("fail delivery", err)
	}
	// Dead: one statement more only for a Flag's job.
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var reports []int64
		if err := failed(tx).Set("state = ?", DeliveryDead).Returning("COALESCE(report_id, 0)").Scan(ctx, &reports); err != nil {
			return err
		}
		if len(reports) == 1 && reports[0] != 0 {
			return forwardsFailed(ctx, tx, bun.In(reports), why)
		}
		return nil
	})
	return dbErr("fail delivery", err)
}

// ReleaseDelivery gives a claimed job back without counting an attempt
// (the worker is shutting down, or the host's circuit opened meanwhile).
func (s *Store) ReleaseDelivery(ctx context.Context, id int64, owner string, next time.Time) error {
	_, err := s.DB.NewUpdate().Model((*Delivery)(nil)).Set("locked_until = NULL").Set("locked_by = ''").
		Set("attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END").Set("next_attempt_at = ?", next).
		Where("id = ? AND locked_by = ?", id, owner).Exec(ctx)
	return dbErr("release delivery", err)
}

// DeadDeliveries lists a page of at most limit dead letters (1 to 100),
// newest first by id (when queued: a stable order to page by, which a
// retry leaving the list and dying again does not reshuffle), those
// older than the delivery before when it is not 0.
func (s *Store) DeadDeliveries(ctx context.Context, before int64, limit int) ([]Delivery, error) {
	var out []Delivery
	q := s.DB.NewSelect().Model(&out).ExcludeColumn("body").Where("state = ?", DeliveryDead)
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	err := q.Order("id DESC").Limit(int64(clampLimit(limit))).Scan(ctx)
	return out, dbErr("dead deliveries", err)
}

// RetryDeadDelivery puts a dead letter back in the queue (admin action).
func (s *Store) RetryDeadDelivery(ctx context.Context, by *Account, id int64) error {
	if by != nil && !by.IsAdmin() {
		return ErrForbidden
	}
	now := s.Now()
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var reports []int64
		err := tx.NewUpdate().Model((*Delivery)(nil)).Set("state = ?", DeliveryPending).Set("attempts = 0").
			Set("next_attempt_at = ?", now).Set("updated_at = ?", now).Where("id = ? AND state = ?", id, DeliveryDead).
			Returning("COALESCE(report_id, 0)").Scan(ctx, &reports)
		if err != nil {
			return dbErr("retry delivery", err)
		}
		if len(reports) == 0 {
			return ErrNotFound
		}
		if reports[0] != 0 { // a Flag: its report is queued again
			if err := forwardRequeued(ctx, tx, reports[0]); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, by, "retry_delivery", "delivery", strconv.FormatInt(id, 10), "")
	})
}

// DeliveryCounts counts jobs per state, for /metrics and the admin page.
func (s *Store) DeliveryCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		State string
		N     int
	}
	err := s.DB.NewSelect().Model((*Delivery)(nil)).ColumnExpr("state, COUNT(*) AS n").Group("state").Scan(ctx, &rows)
	out := map[string]int{DeliveryPending: 0, DeliveryDone: 0, DeliveryDead: 0, DeliveryCancelled: 0}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, dbErr("delivery counts", err)
}

// DeliveriesFor lists the jobs of one activity (tests, audit of what was
// delivered where).
func (s *Store) DeliveriesFor(ctx context.Context, activityID string) ([]Delivery, error) {
	var out []Delivery
	if err := s.DB.NewSelect().Model(&out).Where("activity_id = ?", activityID).Order("id").Scan(ctx); err != nil {
		return nil, dbErr("deliveries for", err)
	}
	return withBodies(ctx, s.DB, out)
}

// PurgeDeliveries deletes delivered and cancelled jobs older than keep,
// then the bodies no job points at any more.
func (s *Store) PurgeDeliveries(ctx context.Context, keep time.Duration) (int64, error) {
	before := s.Now().Add(-keep)
	n, err := s.deleteInBatches(ctx, (*Delivery)(nil), func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("state IN (?) AND updated_at < ?", bun.In([]string{DeliveryDone, DeliveryCancelled}), before)
	})
	if err != nil {
		return n, dbErr("purge deliveries", err)
	}
	// Bodies are written with their jobs in one transaction, so one
	// without jobs is either purged or was never needed (every job of a
	// re-run event already queued); created_at spares the ones of
	// transactions still open.
	_, err = s.deleteInBatches(ctx, (*deliveryBody)(nil), func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("created_at < ?", before).Where("NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.body_id = delivery_body.id)")
	})
	return n, dbErr("purge delivery bodies", err)
}
