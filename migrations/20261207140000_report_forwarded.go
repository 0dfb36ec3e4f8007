package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A moderator can forward a report to the content's server after it was
// filed (the reporter did not ask to, the moderator judges that server
// must know), and the queue shows whether and when each report was
// forwarded: reports.forwarded_at is when it was sent on, forwarded_by
// the moderator's account (NULL when the reporter asked, at filing).
//
// Reports filed since 20261207130000 asking to forward were forwarded when
// filed: they get forwarded_at = created_at. Those filed before it were
// forwarded when filed whatever the member chose, and 20261207130000
// recorded them as not to forward: 20261207180000 marks them forwarded
// when filed, so that no moderator sends them a second time.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			at := "ALTER TABLE reports ADD COLUMN forwarded_at TIMESTAMP"
			if isPG(tx) {
				at = replaceTimestamp(at)
			}
			return execAll(ctx, tx, at,
				"ALTER TABLE reports ADD COLUMN forwarded_by BIGINT REFERENCES accounts (id)",
				"UPDATE reports SET forwarded_at = created_at WHERE forward")
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return execAll(ctx, tx, "ALTER TABLE reports DROP COLUMN forwarded_by", "ALTER TABLE reports DROP COLUMN forwarded_at")
		})
	})
}
