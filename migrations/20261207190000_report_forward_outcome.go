package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// The moderation queue said "forwarded" as soon as a report's Flag was
// queued, though the outbox may drop it (its domain blocked since) or its
// delivery die (a final 4xx, retries exhausted). A report now follows its
// Flag: reports.forward_status is empty (not forwarded), 'queued', 'delivered'
// (forward_delivered_at: when the peer answered 2xx) or 'failed'; a failed
// forward may be sent again, and forward_attempts numbers each try (each
// is its own Flag). deliveries.report_id links a Flag's job to its report,
// NULL for every other job, so that acknowledging or burying the job can
// update the report; nothing looks jobs up by it, so it has no index and
// ordinary deliveries pay one NULL column.
//
// Reports forwarded before this migration read 'sent', one attempt: their
// Flag went to the outbox, and what became of it is not known (its job
// carries no report, and done jobs are purged after a while). Calling them
// delivered or failed would be a guess; they are not offered again.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			at := "ALTER TABLE reports ADD COLUMN forward_delivered_at TIMESTAMP"
			if isPG(tx) {
				at = replaceTimestamp(at)
			}
			return execAll(ctx, tx,
				"ALTER TABLE reports ADD COLUMN forward_status TEXT NOT NULL DEFAULT ''",
				"ALTER TABLE reports ADD COLUMN forward_attempts INTEGER NOT NULL DEFAULT 0",
				at,
				"ALTER TABLE deliveries ADD COLUMN report_id BIGINT",
				"UPDATE reports SET forward_status = 'sent', forward_attempts = 1 WHERE forwarded_at IS NOT NULL")
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return execAll(ctx, tx,
				"ALTER TABLE deliveries DROP COLUMN report_id",
				"ALTER TABLE reports DROP COLUMN forward_delivered_at",
				"ALTER TABLE reports DROP COLUMN forward_attempts",
				"ALTER TABLE reports DROP COLUMN forward_status")
		})
	})
}
