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
//
// comments_hidden indexes the few comments moderation hid: the search
// walks down from them to leave out their threads (models.belowHidden),
// which without it read the whole comments table twice a search.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := execAll(ctx, tx, "ALTER TABLE comments ADD COLUMN search VARCHAR NOT NULL DEFAULT ''",
				"CREATE INDEX comments_hidden ON comments (id) WHERE hidden_at IS NOT NULL"); err != nil {
				return err
			}
			return backfillSearch(ctx, tx, "comments", "body", "''")
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "DROP INDEX comments_hidden", "ALTER TABLE comments DROP COLUMN search")
	})
}
