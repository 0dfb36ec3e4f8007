package models

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Tombstone remembers that an object id was deleted, locally or by its
// remote origin, so the id is never re-created (a late Create or an old
// Announce of it is ignored) and fetching it answers 410 Gone.
type Tombstone struct {
	bun.BaseModel `bun:"table:tombstones"`
	URI           string    `bun:"uri,pk" json:"id"`
	Type          string    `bun:",notnull" json:"formerType,omitempty"`
	ActorURI      string    `bun:"actor_uri,notnull" json:"-"`
	DeletedAt     time.Time `bun:",notnull" json:"deleted"`
}

// AddTombstone records a deleted id; recording it twice is not an error.
func (s *Store) AddTombstone(ctx context.Context, uri, typ, actorURI string) error {
	return addTombstone(ctx, s.DB, &Tombstone{URI: uri, Type: typ, ActorURI: actorURI, DeletedAt: s.Now()})
}

// AddTombstoneTx is AddTombstone inside a transaction: civic delete
// functions record the tombstone of a local object with the deletion.
func (s *Store) AddTombstoneTx(ctx context.Context, tx bun.IDB, uri, typ, actorURI string) error {
	return addTombstone(ctx, tx, &Tombstone{URI: uri, Type: typ, ActorURI: actorURI, DeletedAt: s.Now()})
}

func addTombstone(ctx context.Context, db bun.IDB, t *Tombstone) error {
	_, err := db.NewInsert().Model(t).On("CONFLICT (uri) DO NOTHING").Exec(ctx)
	return dbErr("add tombstone", err)
}

// TombstoneByURI returns the tombstone of a deleted id, or ErrNotFound.
func (s *Store) TombstoneByURI(ctx context.Context, uri string) (*Tombstone, error) {
	t := new(Tombstone)
	err := s.DB.NewSelect().Model(t).Where("uri = ?", uri).Scan(ctx)
	return t, dbErr("tombstone", err)
}

// IsTombstoned reports whether uri was deleted. Every Create or Update
// received asks, so the query stays prepared (hot_store.go): formatted by
// bun it was parsed anew each time, 7 % of the CPU of remote votes.
func (s *Store) IsTombstoned(ctx context.Context, uri string) (bool, error) {
	rows, err := rawQuery(ctx, s.DB, s.hot().tombstoned, uri)
	if err != nil {
		return false, dbErr("is tombstoned", err)
	}
	defer rows.Close()
	found := rows.Next()
	return found, dbErr("is tombstoned", rows.Err())
}
