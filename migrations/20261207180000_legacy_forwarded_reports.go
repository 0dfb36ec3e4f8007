package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Before 20261207130000, odn forwarded every local member's report of
// another server's content (a copy, a remote comment) to that server when
// it was filed, whatever the member chose; 130000 recorded those reports
// as not to forward, and 140000 as not forwarded, so the queue said "not
// forwarded" and offered to send a second Flag. They are marked forwarded
// when filed (by no moderator).
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		before := "julianday(r.created_at) < julianday(m.migrated_at)"
		if isPG(db) {
			before = "r.created_at < m.migrated_at"
		}
		return execAll(ctx, db, `UPDATE reports SET forwarded_at = created_at
WHERE forwarded_at IS NULL AND id IN (
	SELECT r.id FROM reports AS r
	JOIN bun_migrations AS m ON m.name = '20261207130000'
	JOIN actors AS a ON a.id = r.reporter_id AND a.local
	WHERE `+before+` AND (
		(r.object_type = 'proposal' AND r.object_id IN (SELECT id FROM proposals WHERE NOT local)) OR
		(r.object_type = 'debate' AND r.object_id IN (SELECT id FROM debates WHERE NOT local)) OR
		(r.object_type = 'petition' AND r.object_id IN (SELECT id FROM petitions WHERE NOT local)) OR
		(r.object_type = 'comment' AND r.object_id IN (SELECT id FROM comments WHERE NOT local))))`)
	}, func(ctx context.Context, db *bun.DB) error {
		return nil // the reports were forwarded: nothing to undo
	})
}
