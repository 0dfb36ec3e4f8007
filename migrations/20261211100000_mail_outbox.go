package migrations

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// mail_outbox holds the e-mails the web door sends (password reset and
// confirmation links, the notice to an address being replaced) until the
// mail server takes them, so that a server down or answering 4xx, or the
// process stopping, no longer loses them (models/mail_outbox.go). A row
// is deleted as soon as its e-mail is sent, refused or given up, and
// never outlives expires_at, its link's. A link's secret token is not in
// the body: link_kind and link_id name the link, whose token the sender
// mints at each attempt (models.MintLinkToken).
//
// Claims follow the delivery queues': locked_by/locked_until lease a row
// to one node, next_attempt_at moves with the lease.
type mailOutbox20261211 struct {
	bun.BaseModel `bun:"table:mail_outbox"`
	ID            int64      `bun:",pk,autoincrement"`
	AccountID     int64      `bun:",notnull"`
	Username      string     `bun:",notnull"`
	Kind          string     `bun:",notnull"`
	Address       string     `bun:",notnull"`
	Subject       string     `bun:",notnull"`
	Body          string     `bun:",notnull"`
	LinkKind      string     `bun:",notnull,default:''"`
	LinkID        int64      `bun:",notnull,default:0"`
	Attempts      int        `bun:",notnull"`
	NextAttemptAt time.Time  `bun:",notnull"`
	LockedBy      string     `bun:",notnull"`
	LockedUntil   *time.Time `bun:",nullzero"`
	LastError     string     `bun:",notnull"`
	CreatedAt     time.Time  `bun:",notnull"`
	ExpiresAt     time.Time  `bun:",notnull"`
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := createTables(ctx, tx, (*mailOutbox20261211)(nil)); err != nil {
				return err
			}
			// The claim reads due rows in order; the sweep, expired
			// ones; an erasure, an account's.
			return createIndexes(ctx, tx,
				index{name: "mail_outbox_due", table: "mail_outbox", columns: []string{"next_attempt_at", "id"}},
				index{name: "mail_outbox_expires", table: "mail_outbox", columns: []string{"expires_at"}},
				index{name: "mail_outbox_account", table: "mail_outbox", columns: []string{"account_id"}})
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return dropTables(ctx, tx, (*mailOutbox20261211)(nil))
		})
	})
}
