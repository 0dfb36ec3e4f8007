package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Every delivery job was written to six b-trees: the table and five
// indexes, three of which led with or filtered on state. Since the claim
// has deliveries_claim (state, next_attempt_at), deliveries_pending
// (next_attempt_at of pending jobs) and deliveries_state (state, host)
// serve nothing it does not: the counts per state, the dead letters and
// the purge read deliveries_claim's state prefix, and a domain block
// matches hosts by suffix, which no index helps. A new proposal to 500
// servers inserts 500 jobs and changes each one's state once delivered:
// two index entries fewer for each.
//
// Each claim also skips the hosts whose circuit is open (down_until in
// the future): without an index it read every known host, thousands on
// an instance that has federated for a while.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		if err := execAll(ctx, db, "DROP INDEX IF EXISTS deliveries_pending", "DROP INDEX IF EXISTS deliveries_state"); err != nil {
			return err
		}
		return createIndexes(ctx, db, index{name: "remote_hosts_down", table: "remote_hosts", columns: []string{"down_until"}})
	}, func(ctx context.Context, db *bun.DB) error {
		if err := execAll(ctx, db, "DROP INDEX IF EXISTS remote_hosts_down"); err != nil {
			return err
		}
		return createIndexes(ctx, db,
			index{name: "deliveries_pending", table: "deliveries", columns: []string{"next_attempt_at"}, where: "state = 'pending'"},
			index{name: "deliveries_state", table: "deliveries", columns: []string{"state", "host"}},
		)
	})
}
