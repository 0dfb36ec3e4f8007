package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Comments are looked up by consultation when its dates change: their
// remote authors' instances hold copies of what they commented, and get
// the consultation's Update (models.ConsultationAudience). Partial: most
// comments are of no consultation.
func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return createIndexes(ctx, db, index{name: "comments_consultation", table: "comments", columns: []string{"consultation_id"},
			where: "consultation_id IS NOT NULL"})
	}, func(ctx context.Context, db *bun.DB) error {
		return execAll(ctx, db, "DROP INDEX comments_consultation")
	})
}
