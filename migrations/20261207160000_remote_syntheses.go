package migrations

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// The synthesis of another instance's consultation, recorded when its
// space sends it, so that the members who took part here through copies
// of its proposals, debates and petitions are told once
// (models/synthesis_remote.go).
type remoteSynthesis20261207 struct {
	bun.BaseModel `bun:"table:remote_syntheses"`
	ID            int64     `bun:",pk,autoincrement"`
	URI           string    `bun:"uri,notnull,unique"`
	Origin        string    `bun:",notnull"`
	ActorID       int64     `bun:",notnull"`
	URL           string    `bun:"url,notnull"`
	Title         string    `bun:",notnull"`
	ReceivedAt    time.Time `bun:",notnull"`
	UpdatedAt     time.Time `bun:",notnull"`
}

// Who was told of a remote synthesis, so the SMTP worker e-mails each of
// them once, as synthesis_recipients does for local syntheses.
type remoteSynthesisRecipient20261207 struct {
	bun.BaseModel     `bun:"table:remote_synthesis_recipients"`
	RemoteSynthesisID int64      `bun:",pk"`
	ActorID           int64      `bun:",pk"`
	EmailedAt         *time.Time `bun:",nullzero"`
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return createTables(ctx, db, (*remoteSynthesis20261207)(nil), (*remoteSynthesisRecipient20261207)(nil))
	}, func(ctx context.Context, db *bun.DB) error {
		return dropTables(ctx, db, (*remoteSynthesis20261207)(nil), (*remoteSynthesisRecipient20261207)(nil))
	})
}
