package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// A petition's updates and its official response may be edited (by the
// author, a moderator for updates; by the addressee for the response):
// petition_updates.edited_at and petitions.response_edited_at are when
// they last were (NULL: never), shown on the page and sent as the Note's
// updated. The response's events (its Create, then its edits' Updates)
// are kept as history like proposal answers, and read per petition by
// federation (models.PetitionResponses): a partial index holds them only.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		qs := []string{
			"ALTER TABLE petition_updates ADD COLUMN edited_at TIMESTAMP",
			"ALTER TABLE petitions ADD COLUMN response_edited_at TIMESTAMP",
		}
		if isPG(db) {
			for i := range qs {
				qs[i] = replaceTimestamp(qs[i])
			}
		}
		if err := execAll(ctx, db, qs...); err != nil {
			return err
		}
		return createIndexes(ctx, db, index{name: "events_petition_responses", table: "events",
			columns: []string{"object_type", "object_id"}, where: "kind IN ('petition.answered', 'petition.response_edited')"})
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db,
			"DROP INDEX IF EXISTS events_petition_responses",
			"ALTER TABLE petitions DROP COLUMN response_edited_at",
			"ALTER TABLE petition_updates DROP COLUMN edited_at",
		)
	})
}
