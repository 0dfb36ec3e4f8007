package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// EventRelayCreated is emitted when a space relays a remote object. Data:
// {"relay_id", "object_uri"}; ObjectType and ObjectID name the local copy,
// ActorID is the space's actor (federation sends its Announce).
const EventRelayCreated = "relay.created"

// EventRelayWithdrawn is emitted when the origin deleted an object a
// space relays (same Data): the space undoes its Announce.
const EventRelayWithdrawn = "relay.withdrawn"

// Relay is a local space relaying a debate, proposal or petition of
// another instance to its followers (a shared consultation between
// towns): the space Announces it, its members see it in the space and
// take part through this instance, which sends their votes to the
// origin. One per space and object.
type Relay struct {
	bun.BaseModel `bun:"table:relays,alias:rl"`
	ID            int64     `bun:",pk,autoincrement" json:"-"`
	SpaceID       int64     `bun:",notnull" json:"-"`
	ObjectType    string    `bun:",notnull" json:"kind"`
	ObjectID      int64     `bun:",notnull" json:"-"`
	ObjectURI     string    `bun:"object_uri,notnull" json:"uri"`
	AccountID     int64     `bun:",nullzero" json:"-"`
	CreatedAt     time.Time `bun:",notnull" json:"created_at"`
}

// RelayObject lets a moderator relay a remote proposal, debate or
// petition into the space spaceName: the object (fetched through the
// Resolver when not known yet) joins the space's lists, and the space
// announces it to its followers. Local objects are refused (they are
// published by their own space), relaying twice is ErrDuplicate.
func (s *Store) RelayObject(ctx context.Context, by *Account, spaceName, objectURI string) (*Relay, error) {
	if by == nil {
		return nil, ErrUnauthorized
	}
	if !by.IsModerator() {
		return nil, ErrForbidden
	}
	sp, err := s.SpaceByName(ctx, spaceName)
	if err != nil {
		return nil, err
	}
	objectURI = strings.TrimSpace(objectURI)
	if objectURI == "" {
		return nil, Invalid("uri", "Enter the address of a debate, proposal or petition of another instance.")
	}
	typ, id, err := s.CivicObjectByURI(ctx, objectURI)
	if errors.Is(err, ErrNotFound) {
		var res *Resolved
		if res, err = s.Lookup(ctx, objectURI); err == nil {
			typ, id, objectURI = res.Kind, res.ObjectID, res.URI
		}
	}
	if err != nil {
		return nil, err
	}
	obj, err := lookupObject(ctx, s.DB, typ, id)
	if err != nil || typ == ObjectTypeComment {
		return nil, Invalid("uri", "Only debates, proposals and petitions can be relayed.")
	}
	if obj.Local {
		return nil, Invalid("uri", "This is already published here; only objects of other instances can be relayed.")
	}
	if !obj.visible() {
		return nil, ErrNotFound
	}
	r := &Relay{SpaceID: sp.ID, ObjectType: typ, ObjectID: id, ObjectURI: obj.URI, AccountID: by.ID, CreatedAt: s.Now()}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			if err := dbErr("insert relay", err); errors.Is(err, ErrDuplicate) {
				return fmt.Errorf("%w: this space already relays it", ErrDuplicate)
			} else {
				return err
			}
		}
		_, err := tx.NewUpdate().TableExpr("?", bun.Ident(civicObjects[typ].table)).Set("space_id = ?", sp.ID).
			Where("id = ? AND space_id IS NULL AND NOT local", id).Exec(ctx)
		if err != nil {
			return dbErr("relayed object space", err)
		}
		if err := s.audit(ctx, tx, by, "relay", typ, strconv.FormatInt(id, 10), sp.Name+" "+obj.URI); err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]any{"relay_id": r.ID, "object_uri": obj.URI})
		return s.emit(ctx, tx, Event{Kind: EventRelayCreated, ObjectType: typ, ObjectID: id, ActorID: sp.ActorID,
			SpaceID: sp.ID, Data: string(data)})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Relays lists what a space relays, newest first.
func (s *Store) Relays(ctx context.Context, spaceID int64) ([]Relay, error) {
	var out []Relay
	err := s.DB.NewSelect().Model(&out).Where("rl.space_id = ?", spaceID).OrderExpr("rl.id DESC").Limit(1000).Scan(ctx)
	return out, dbErr("relays", err)
}

// RelayByID loads one relay.
func (s *Store) RelayByID(ctx context.Context, id int64) (*Relay, error) {
	r := new(Relay)
	err := s.DB.NewSelect().Model(r).Where("rl.id = ?", id).Scan(ctx)
	return r, dbErr("relay", err)
}
