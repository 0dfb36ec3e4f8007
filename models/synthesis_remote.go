package models

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// The synthesis of another instance's consultation. A shared
// consultation reaches this instance as copies of its proposals, debates
// and petitions; the members who took part through those copies are
// contributors as much as the origin's own, and are told when the
// origin's space publishes the synthesis, as the origin tells its own
// (tellContributors). The synthesis stays at the origin: what is kept
// here is what a notification needs to name and link it.

// MaxRemoteSynthesisItems bounds the items a remote synthesis may name
// (federation sends at most this many; a peer's longer list is cut).
const MaxRemoteSynthesisItems = 500

// ObjectTypeRemoteSynthesis is the ObjectType of notifications about a
// remote synthesis; ObjectID is a RemoteSynthesis id.
const ObjectTypeRemoteSynthesis = "remote_synthesis"

// RemoteSynthesis is a synthesis published by another instance's space,
// recorded the first time it arrives, so its contributors here are told
// once whatever the number of Creates, Updates and relays.
type RemoteSynthesis struct {
	bun.BaseModel `bun:"table:remote_syntheses"`
	ID            int64     `bun:",pk,autoincrement"`
	URI           string    `bun:"uri,notnull,unique"`
	Origin        string    `bun:",notnull"` // the origin's host
	ActorID       int64     `bun:",notnull"` // the space (Group) that published it
	URL           string    `bun:"url,notnull"`
	Title         string    `bun:",notnull"` // the consultation's title
	ReceivedAt    time.Time `bun:",notnull"`
	UpdatedAt     time.Time `bun:",notnull"`
}

// RemoteSynthesisRecipient is a member told of a remote synthesis, to be
// e-mailed once when SMTP is configured (PendingSynthesisEmails).
type RemoteSynthesisRecipient struct {
	bun.BaseModel     `bun:"table:remote_synthesis_recipients"`
	RemoteSynthesisID int64      `bun:",pk"`
	ActorID           int64      `bun:",pk"`
	EmailedAt         *time.Time `bun:",nullzero"`
}

// RemoteSynthesisIn is a synthesis as its origin's space sent it.
type RemoteSynthesisIn struct {
	URI   string   // the synthesis' id
	URL   string   // the consultation's page at the origin; URI when empty
	Title string   // the consultation's title (plain text)
	Items []string // ids of the consultation's proposals, debates and petitions
}

// maxRemoteTitle bounds a remote synthesis' title, in characters.
const maxRemoteTitle = 300

// ReceiveRemoteSynthesis records a synthesis sent by by, the space of its
// consultation at another instance, and tells the local members who took
// part in the copies of its items held here (supported, voted, signed,
// commented), once: a synthesis received again only refreshes its title
// and link. Items that are not copies from by's host are ignored; when
// none is held here, nothing is recorded. It returns how many members
// were told.
func (s *Store) ReceiveRemoteSynthesis(ctx context.Context, by *Actor, in RemoteSynthesisIn) (int, error) {
	if by == nil || by.Local {
		return 0, ErrForbidden
	}
	origin, err := s.remoteOrigin(in.URI)
	if err != nil {
		return 0, err
	}
	if origin != normalizeHost(by.Host) {
		return 0, fmt.Errorf("%w: synthesis %s is not from %s", ErrForbidden, in.URI, by.Host)
	}
	link := in.URI
	if h, err := s.remoteOrigin(in.URL); err == nil && h == origin {
		link = in.URL // a link elsewhere would be the sender's word only
	}
	title := Excerpt(strings.TrimSpace(PlainText(in.Title)), maxRemoteTitle)
	if title == "" {
		return 0, Invalid("name", "The synthesis has no title.")
	}
	var items []string
	for _, it := range in.Items[:min(len(in.Items), MaxRemoteSynthesisItems)] {
		if sameHost(it, origin) {
			items = append(items, it)
		}
	}
	now := s.Now()
	told := 0
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		told = 0
		syn := new(RemoteSynthesis)
		err := tx.NewSelect().Model(syn).Where("uri = ?", in.URI).Scan(ctx)
		if err = dbErr("remote synthesis", err); err == nil {
			if syn.ActorID != by.ID {
				return fmt.Errorf("%w: synthesis %s was published by another actor", ErrForbidden, in.URI)
			}
			_, err := tx.NewUpdate().Model(syn).Set("title = ?, url = ?, updated_at = ?", title, link, now).WherePK().Exec(ctx)
			return dbErr("update remote synthesis", err)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		members, err := copyContributors(ctx, tx, origin, items)
		if err != nil || len(members) == 0 {
			return err
		}
		syn = &RemoteSynthesis{URI: in.URI, Origin: origin, ActorID: by.ID, URL: link, Title: title, ReceivedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(syn).Exec(ctx); err != nil {
			return dbErr("insert remote synthesis", err)
		}
		accounts := make([]int64, 0, len(members))
		for _, chunk := range chunkIDs(slices.Sorted(maps.Keys(members)), 400) {
			recs := make([]RemoteSynthesisRecipient, len(chunk))
			for i, a := range chunk {
				recs[i] = RemoteSynthesisRecipient{RemoteSynthesisID: syn.ID, ActorID: a}
				accounts = append(accounts, members[a])
			}
			if _, err := tx.NewInsert().Model(&recs).Exec(ctx); err != nil {
				return dbErr("record remote synthesis recipients", err)
			}
		}
		told = len(members)
		return s.Notify(ctx, tx, accounts, Notification{Kind: NotifySynthesisPublished, ObjectType: ObjectTypeRemoteSynthesis,
			ObjectID: syn.ID, ActorID: by.ID, Data: title})
	})
	if errors.Is(err, ErrDuplicate) {
		return 0, nil // a concurrent delivery recorded it and told them
	}
	return told, err
}

// copyContributors returns the local members (actor id to account id)
// who supported, voted on, signed or commented the live copies from
// origin whose ids are in uris.
func copyContributors(ctx context.Context, tx bun.IDB, origin string, uris []string) (map[int64]int64, error) {
	copies := func(table string) *bun.SelectQuery {
		return tx.NewSelect().Table(table).Column("id").
			Where("uri IN (?) AND NOT local AND origin = ? AND deleted_at IS NULL", bun.In(uris), origin)
	}
	participants := tx.NewSelect().Table("supports").Column("actor_id").Where("proposal_id IN (?)", copies("proposals")).
		UnionAll(tx.NewSelect().Table("debate_ballots").Column("actor_id").Where("debate_id IN (?)", copies("debates"))).
		UnionAll(tx.NewSelect().Table("signatures").Column("actor_id").Where("petition_id IN (?)", copies("petitions")))
	for _, typ := range CommentableTypes {
		participants = participants.UnionAll(tx.NewSelect().Table("comments").Column("author_id").
			Where("object_type = ? AND object_id IN (?) AND deleted_at IS NULL", typ, copies(civicObjects[typ].table)))
	}
	var rows []struct {
		ID        int64 `bun:"id"`
		AccountID int64 `bun:"account_id"`
	}
	err := tx.NewSelect().Model((*Actor)(nil)).Column("id", "account_id").
		Where("local AND account_id IS NOT NULL AND deleted_at IS NULL AND id IN (?)", participants).Scan(ctx, &rows)
	if err != nil {
		return nil, dbErr("copy contributors", err)
	}
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.ID] = r.AccountID
	}
	return out, nil
}

// DeleteRemoteSynthesis forgets a synthesis its space (by) deleted, with
// its consultation; the notifications about it then name a removed item.
// ErrNotFound when by published no synthesis uri received here.
func (s *Store) DeleteRemoteSynthesis(ctx context.Context, by *Actor, uri string) error {
	if by == nil || by.Local {
		return ErrForbidden
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var id int64
		err := tx.NewSelect().Model((*RemoteSynthesis)(nil)).Column("id").Where("uri = ? AND actor_id = ?", uri, by.ID).Scan(ctx, &id)
		if err := dbErr("remote synthesis", err); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*RemoteSynthesisRecipient)(nil)).Where("remote_synthesis_id = ?", id).Exec(ctx); err != nil {
			return dbErr("delete remote synthesis recipients", err)
		}
		_, err = tx.NewDelete().Model((*RemoteSynthesis)(nil)).Where("id = ?", id).Exec(ctx)
		return dbErr("delete remote synthesis", err)
	})
}

func init() {
	// Recipients are personal data: forget them with the account's actor.
	accountDeletedHooks = append(accountDeletedHooks, func(ctx context.Context, s *Store, tx bun.Tx, acc *Account) error {
		_, err := tx.NewDelete().Model((*RemoteSynthesisRecipient)(nil)).
			Where("actor_id IN (SELECT id FROM actors WHERE account_id = ?)", acc.ID).Exec(ctx)
		return dbErr("forget remote synthesis recipients", err)
	})
	notificationObjects[ObjectTypeRemoteSynthesis] = func(ctx context.Context, s *Store, ids []int64) (map[int64]NotificationObject, error) {
		var rows []RemoteSynthesis
		if err := s.DB.NewSelect().Model(&rows).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
			return nil, dbErr("remote syntheses", err)
		}
		out := make(map[int64]NotificationObject, len(rows))
		for _, r := range rows {
			out[r.ID] = NotificationObject{Title: r.Title, URL: r.URL}
		}
		return out, nil
	}
}
