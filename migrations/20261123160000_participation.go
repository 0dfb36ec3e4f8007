package migrations

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Frozen copies of the participation tables as first shipped.

// fRelay is a local space relaying (Announcing) a remote debate,
// proposal or petition to its followers: one per space and object.
type fRelay struct {
	bun.BaseModel `bun:"table:relays"`
	ID            int64     `bun:",pk,autoincrement"`
	SpaceID       int64     `bun:",notnull,unique:relays_one"`
	ObjectType    string    `bun:",notnull"`
	ObjectID      int64     `bun:",notnull"`
	ObjectURI     string    `bun:"object_uri,notnull,unique:relays_one"`
	AccountID     int64     `bun:",nullzero"`
	CreatedAt     time.Time `bun:",notnull"`
}

// fParticipation remembers the ActivityPub ids of supports, votes and
// signatures that crossed servers: received ones (so a Delete of a vote
// Note or an Undo by id finds what to withdraw) and sent ones (so a
// withdrawal undoes exactly the activities the origin received).
type fParticipation struct {
	bun.BaseModel `bun:"table:participations"`
	ID            int64     `bun:",pk,autoincrement"`
	URI           string    `bun:"uri,notnull,unique"`
	ActivityURI   string    `bun:"activity_uri,notnull"`
	Kind          string    `bun:",notnull"`
	ObjectType    string    `bun:",notnull"`
	ObjectID      int64     `bun:",notnull"`
	ActorID       int64     `bun:",notnull"`
	Option        string    `bun:",notnull,default:''"`
	Outgoing      bool      `bun:",notnull"`
	CreatedAt     time.Time `bun:",notnull"`
}

var participationTables = []any{(*fRelay)(nil), (*fParticipation)(nil)}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := createTables(ctx, tx, participationTables...); err != nil {
				return err
			}
			return createIndexes(ctx, tx,
				index{name: "participations_object_actor", table: "participations", columns: []string{"object_type", "object_id", "actor_id"}},
			)
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return dropTables(ctx, tx, participationTables...)
		})
	})
}
