package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Tags keep their accents ("écologie", shown and federated as such) and
// are matched by a folded key without accents (models.TagKey:
// "Écologie", "ecologie" and "écologie" are one tag, as Mastodon folds
// hashtags). SQLite cannot fold accents in SQL, so proposal_tags.tag_key
// stores the key, unique per proposal, and the tag filter reads it
// (proposal_tags_key replaces proposal_tags_tag). Rows written before
// were stored folded already (lower-case ASCII slugs): their key is
// their tag; their lost accents cannot be recovered.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db,
			"ALTER TABLE proposal_tags ADD COLUMN tag_key VARCHAR NOT NULL DEFAULT ''",
			"UPDATE proposal_tags SET tag_key = tag",
			"DROP INDEX IF EXISTS proposal_tags_tag",
			"CREATE UNIQUE INDEX proposal_tags_key ON proposal_tags (tag_key, proposal_id)",
		)
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db,
			"DROP INDEX IF EXISTS proposal_tags_key",
			"ALTER TABLE proposal_tags DROP COLUMN tag_key",
			"CREATE INDEX proposal_tags_tag ON proposal_tags (tag, proposal_id)",
		)
	})
}
