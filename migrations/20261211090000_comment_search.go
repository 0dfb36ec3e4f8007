package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// comments.search is the folded text (models/fold) a comment is found by
// in the site-wide search (models.Search), as 20261209090000 gave debates,
// news and consultations theirs. Every comment has its text in body (a
// local one's Markdown, a remote one's text drawn from its HTML), so the
// backfill folds body; a deleted comment's body is empty already.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := execAll(ctx, tx, "ALTER TABLE comments ADD COLUMN search VARCHAR NOT NULL DEFAULT ''"); err != nil {
				return err
			}
			return backfillSearch(ctx, tx, "comments", "body", "''")
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "ALTER TABLE comments DROP COLUMN search")
	})
}
