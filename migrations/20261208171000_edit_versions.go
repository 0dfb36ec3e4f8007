package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// editVersions are the tables (and columns) of what a person edits
// through a form or a PATCH: each edit adds 1 to the version, and an edit
// made from another version than the current one is refused (If-Match,
// the forms' hidden version) instead of silently overwriting what someone
// else saved meanwhile. A counter rather than updated_at: two edits in
// the same clock tick (or under a test's fixed clock) would share a
// timestamp, and a timestamp must round-trip exactly through PostgreSQL's
// microseconds and SQLite's text to be compared. A petition's only
// editable part is its official response, hence response_version.
var editVersions = [][2]string{
	{"proposals", "version"},
	{"debates", "version"},
	{"comments", "version"},
	{"news", "version"},
	{"consultations", "version"},
	{"spaces", "version"},
	{"petition_updates", "version"},
	{"petitions", "response_version"},
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, tc := range editVersions {
				if err := execAll(ctx, tx, "ALTER TABLE "+tc[0]+" ADD COLUMN "+tc[1]+" BIGINT NOT NULL DEFAULT 1"); err != nil {
					return err
				}
			}
			return nil
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, tc := range editVersions {
				if err := execAll(ctx, tx, "ALTER TABLE "+tc[0]+" DROP COLUMN "+tc[1]); err != nil {
					return err
				}
			}
			return nil
		})
	})
}
