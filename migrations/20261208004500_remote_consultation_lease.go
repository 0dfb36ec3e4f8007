package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// The hourly refetch of remote consultations claimed a record by marking
// it checked before fetching it: a node stopped mid-round, a fetch that
// failed or timed out, or one the round's time did not reach, left it
// unasked for an hour, and an origin down was asked every hour forever.
// A claim is now a lease. next_check_at is when a record is next due
// (NULL: at once): a claim moves it a few minutes ahead, an answer from
// the origin about an hour ahead, no answer by a wait that grows with
// check_failures (the fetches in a row that got none). checked_at keeps
// its meaning: when the origin last answered.
//
// Rows held are left due at once: each is refetched within the hour
// anyway, and a claim takes at most five of one origin.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		at := "ALTER TABLE remote_consultations ADD COLUMN next_check_at TIMESTAMP"
		if isPG(db) {
			at = replaceTimestamp(at)
		}
		return execAll(ctx, db, at,
			"ALTER TABLE remote_consultations ADD COLUMN check_failures INTEGER NOT NULL DEFAULT 0")
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db,
			"ALTER TABLE remote_consultations DROP COLUMN check_failures",
			"ALTER TABLE remote_consultations DROP COLUMN next_check_at")
	})
}
