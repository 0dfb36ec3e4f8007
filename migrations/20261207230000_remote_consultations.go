package migrations

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// The consultation of another instance that copies of its proposals,
// debates and petitions belong to, as its origin describes it on each
// of them (odn:consultation): its phases, so that this instance refuses
// its members' supports, votes, signatures and comments on those copies
// when the origin would (models/consultation_remote.go). One row per
// consultation, shared by its copies, versioned by the consultation's
// own updated time; checked_at is when its origin last confirmed it (a
// copy's document, the consultation's Update, or a refetch).
type remoteConsultation20261207 struct {
	bun.BaseModel  `bun:"table:remote_consultations"`
	ID             int64      `bun:",pk,autoincrement"`
	URI            string     `bun:"uri,notnull,unique"`
	URL            string     `bun:"url,notnull"`
	Origin         string     `bun:",notnull"`
	Title          string     `bun:",notnull"`
	OpensAt        time.Time  `bun:",notnull"`
	ContributionAt time.Time  `bun:",notnull"`
	SynthesisAt    time.Time  `bun:",notnull"`
	ClosesAt       time.Time  `bun:",notnull"`
	WithdrawnAt    *time.Time `bun:",nullzero"`
	UpdatedAt      time.Time  `bun:",notnull"`
	CheckedAt      *time.Time `bun:",nullzero"`
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		if err := createTables(ctx, db, (*remoteConsultation20261207)(nil)); err != nil {
			return err
		}
		if err := execAll(ctx, db,
			"ALTER TABLE proposals ADD COLUMN remote_consultation_id BIGINT",
			"ALTER TABLE debates ADD COLUMN remote_consultation_id BIGINT",
			"ALTER TABLE petitions ADD COLUMN remote_consultation_id BIGINT"); err != nil {
			return err
		}
		// Which remote consultations still have copies here (the hourly
		// refetch asks only for those): partial, as local objects and
		// copies of no consultation, nearly every row, have none.
		var idx []index
		for _, table := range []string{"proposals", "debates", "petitions"} {
			idx = append(idx, index{name: table + "_remote_consultation", table: table, columns: []string{"remote_consultation_id"},
				where: "remote_consultation_id IS NOT NULL"})
		}
		return createIndexes(ctx, db, idx...)
	}, func(ctx context.Context, db *bun.DB) error {
		if err := execAll(ctx, db,
			"DROP INDEX proposals_remote_consultation",
			"DROP INDEX debates_remote_consultation",
			"DROP INDEX petitions_remote_consultation",
			"ALTER TABLE proposals DROP COLUMN remote_consultation_id",
			"ALTER TABLE debates DROP COLUMN remote_consultation_id",
			"ALTER TABLE petitions DROP COLUMN remote_consultation_id"); err != nil {
			return err
		}
		return dropTables(ctx, db, (*remoteConsultation20261207)(nil))
	})
}
