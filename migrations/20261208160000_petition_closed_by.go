package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A petition's author, or a moderator, may close it before its deadline
// (models.Store.ClosePetition: the decision was taken elsewhere, the
// petition moved): its closes_at becomes the moment of the close, so that
// every reader of the deadline (signing, lists, federation's closed) sees
// it closed, and petitions.closed_by says who closed it early ("author"
// or "moderator"; empty when it closed at its deadline or is open), for its
// page, the API and the exports.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE petitions ADD COLUMN closed_by VARCHAR NOT NULL DEFAULT ''")
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE petitions DROP COLUMN closed_by")
	})
}
