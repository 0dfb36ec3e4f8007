package migrations

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Frozen copies of the federation tables as first shipped.

// fedFollow is a follow relation between two actors, local or remote. uri
// is the id of the Follow activity, so Accept, Reject and Undo find it.
type fedFollow struct {
	bun.BaseModel `bun:"table:follows"`
	ID            int64     `bun:",pk,autoincrement"`
	URI           string    `bun:"uri,notnull,unique"`
	FollowerID    int64     `bun:",notnull"`
	FolloweeID    int64     `bun:",notnull"`
	State         string    `bun:",notnull,default:'pending'"`
	CreatedAt     time.Time `bun:",notnull"`
	UpdatedAt     time.Time `bun:",notnull"`
}

// fedInboxItem is a received activity, stored raw before answering 202
// and processed by a worker; activity_id makes receiving idempotent.
type fedInboxItem struct {
	bun.BaseModel `bun:"table:inbox_items"`
	ID            int64      `bun:",pk,autoincrement"`
	ActivityID    string     `bun:",notnull,unique"`
	Type          string     `bun:",notnull,default:''"`
	ActorURI      string     `bun:"actor_uri,notnull,default:''"`
	KeyOwner      string     `bun:",notnull,default:''"`
	Host          string     `bun:",notnull,default:''"`
	Recipient     string     `bun:",notnull,default:''"`
	Body          string     `bun:",notnull"`
	Attempts      int        `bun:",notnull,default:0"`
	NextAttemptAt time.Time  `bun:",notnull"`
	LockedUntil   *time.Time `bun:",nullzero"`
	LockedBy      string     `bun:",notnull,default:''"`
	Error         string     `bun:",notnull,default:''"`
	ReceivedAt    time.Time  `bun:",notnull"`
	ProcessedAt   *time.Time `bun:",nullzero"`
}

// fedDelivery is one POST of one activity to one inbox (a shared inbox
// when the peer has one): the durable delivery queue.
type fedDelivery struct {
	bun.BaseModel `bun:"table:deliveries"`
	ID            int64      `bun:",pk,autoincrement"`
	ActivityID    string     `bun:",notnull"`
	Inbox         string     `bun:",notnull"`
	Host          string     `bun:",notnull"`
	SignerID      int64      `bun:",notnull"`
	Body          string     `bun:",notnull"`
	State         string     `bun:",notnull,default:'pending'"`
	Attempts      int        `bun:",notnull,default:0"`
	NextAttemptAt time.Time  `bun:",notnull"`
	LockedUntil   *time.Time `bun:",nullzero"`
	LockedBy      string     `bun:",notnull,default:''"`
	LastStatus    int        `bun:",notnull,default:0"`
	LastError     string     `bun:",notnull,default:''"`
	CreatedAt     time.Time  `bun:",notnull"`
	UpdatedAt     time.Time  `bun:",notnull"`
	DeliveredAt   *time.Time `bun:",nullzero"`
}

// fedTombstone remembers a deleted object id so it is never re-created.
type fedTombstone struct {
	bun.BaseModel `bun:"table:tombstones"`
	URI           string    `bun:"uri,pk"`
	Type          string    `bun:",notnull,default:''"`
	ActorURI      string    `bun:"actor_uri,notnull,default:''"`
	DeletedAt     time.Time `bun:",notnull"`
}

// fedDomainBlock refuses a remote domain (and its subdomains).
type fedDomainBlock struct {
	bun.BaseModel `bun:"table:domain_blocks"`
	Domain        string    `bun:",pk"`
	Reason        string    `bun:",notnull,default:''"`
	CreatedBy     *int64    `bun:",nullzero"`
	CreatedAt     time.Time `bun:",notnull"`
}

// fedRemoteHost is the delivery health of a peer: the circuit breaker,
// shared by every node.
type fedRemoteHost struct {
	bun.BaseModel `bun:"table:remote_hosts"`
	Host          string     `bun:",pk"`
	Failures      int        `bun:",notnull,default:0"`
	DownUntil     *time.Time `bun:",nullzero"`
	LastError     string     `bun:",notnull,default:''"`
	LastFailureAt *time.Time `bun:",nullzero"`
	LastSuccessAt *time.Time `bun:",nullzero"`
}

var federationTables = []any{
	(*fedFollow)(nil), (*fedInboxItem)(nil), (*fedDelivery)(nil),
	(*fedTombstone)(nil), (*fedDomainBlock)(nil), (*fedRemoteHost)(nil),
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := createTables(ctx, tx, federationTables...); err != nil {
				return err
			}
			// The outbox consumer leases events so several nodes can share
			// the events table (claimed_by + claimed_until, like deliveries).
			for _, q := range []string{
				"ALTER TABLE events ADD COLUMN claimed_by VARCHAR NOT NULL DEFAULT ''",
				"ALTER TABLE events ADD COLUMN claimed_until TIMESTAMP",
			} {
				if isPG(tx) {
					q = replaceTimestamp(q)
				}
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return createIndexes(ctx, tx,
				index{name: "follows_pair", table: "follows", unique: true, columns: []string{"follower_id", "followee_id"}},
				index{name: "follows_followee", table: "follows", columns: []string{"followee_id", "state"}},
				index{name: "inbox_items_pending", table: "inbox_items", columns: []string{"next_attempt_at"}, where: "processed_at IS NULL"},
				index{name: "deliveries_activity_inbox", table: "deliveries", unique: true, columns: []string{"activity_id", "inbox"}},
				index{name: "deliveries_pending", table: "deliveries", columns: []string{"next_attempt_at"}, where: "state = 'pending'"},
				index{name: "deliveries_state", table: "deliveries", columns: []string{"state", "host"}},
			)
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := execAll(ctx, tx, "ALTER TABLE events DROP COLUMN claimed_until", "ALTER TABLE events DROP COLUMN claimed_by"); err != nil {
				return err
			}
			return dropTables(ctx, tx, federationTables...)
		})
	})
}

// replaceTimestamp uses PostgreSQL's zone-aware type, as bun does for
// time.Time columns there.
func replaceTimestamp(q string) string {
	const ts = "TIMESTAMP"
	if n := len(q); n >= len(ts) && q[n-len(ts):] == ts {
		return q[:n-len(ts)] + "TIMESTAMPTZ"
	}
	return q
}
