package migrations

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// A new proposal in a space followed by 10,000 remote actors lists their
// distinct delivery inboxes first. Joined to actors, that read 10,000
// actor rows (a kilobyte each, with the public key) for 500 answers:
// 13 ms, before the first delivery could start. Each follow now carries
// its follower's delivery inbox (the shared inbox, or the personal one
// when there is none; empty for local or deleted actors, who get no
// deliveries) and host, kept by triggers whatever code writes actors or
// follows, and the follower index covers them: 0.7 ms.
//
// The triggers and not the Go code keep them, because actors change in
// many places (fetches, Update{Person}, Move, erasure) and a stale inbox
// means a follower silently stops receiving.

// followerInboxExpr is the delivery inbox of actor row a.
const followerInboxExpr = "CASE WHEN %[1]s.local OR %[1]s.deleted_at IS NOT NULL THEN '' " +
	"WHEN %[1]s.shared_inbox <> '' THEN %[1]s.shared_inbox ELSE %[1]s.inbox END"

var followerInboxSQLite = []string{
	"ALTER TABLE follows ADD COLUMN follower_inbox VARCHAR NOT NULL DEFAULT ''",
	"ALTER TABLE follows ADD COLUMN follower_host VARCHAR NOT NULL DEFAULT ''",
	// SQLite's BEFORE triggers cannot change NEW: set the row after.
	`CREATE TRIGGER follows_follower_inbox_insert AFTER INSERT ON follows BEGIN
		UPDATE follows SET (follower_inbox, follower_host) =
			(SELECT COALESCE(` + fmt.Sprintf(followerInboxExpr, "a") + `, ''), a.host FROM actors AS a WHERE a.id = NEW.follower_id)
		WHERE id = NEW.id;
	END`,
	`CREATE TRIGGER follows_follower_inbox_update AFTER UPDATE OF follower_id ON follows BEGIN
		UPDATE follows SET (follower_inbox, follower_host) =
			(SELECT COALESCE(` + fmt.Sprintf(followerInboxExpr, "a") + `, ''), a.host FROM actors AS a WHERE a.id = NEW.follower_id)
		WHERE id = NEW.id;
	END`,
	`CREATE TRIGGER actors_follower_inbox AFTER UPDATE OF inbox, shared_inbox, host, local, deleted_at ON actors
	WHEN OLD.inbox IS NOT NEW.inbox OR OLD.shared_inbox IS NOT NEW.shared_inbox OR OLD.host IS NOT NEW.host
		OR OLD.local IS NOT NEW.local OR OLD.deleted_at IS NOT NEW.deleted_at
	BEGIN
		UPDATE follows SET follower_inbox = COALESCE(` + fmt.Sprintf(followerInboxExpr, "NEW") + `, ''), follower_host = NEW.host
		WHERE follower_id = NEW.id;
	END`,
}

var followerInboxPG = []string{
	"ALTER TABLE follows ADD COLUMN follower_inbox VARCHAR NOT NULL DEFAULT ''",
	"ALTER TABLE follows ADD COLUMN follower_host VARCHAR NOT NULL DEFAULT ''",
	`CREATE FUNCTION follows_follower_inbox() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		SELECT COALESCE(` + fmt.Sprintf(followerInboxExpr, "a") + `, ''), a.host INTO NEW.follower_inbox, NEW.follower_host
		FROM actors AS a WHERE a.id = NEW.follower_id;
		RETURN NEW;
	END $$`,
	`CREATE TRIGGER follows_follower_inbox BEFORE INSERT OR UPDATE OF follower_id ON follows
	FOR EACH ROW EXECUTE FUNCTION follows_follower_inbox()`,
	`CREATE FUNCTION actors_follower_inbox() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		UPDATE follows SET follower_inbox = COALESCE(` + fmt.Sprintf(followerInboxExpr, "NEW") + `, ''), follower_host = NEW.host
		WHERE follower_id = NEW.id;
		RETURN NULL;
	END $$`,
	`CREATE TRIGGER actors_follower_inbox AFTER UPDATE OF inbox, shared_inbox, host, local, deleted_at ON actors
	FOR EACH ROW WHEN (OLD.inbox IS DISTINCT FROM NEW.inbox OR OLD.shared_inbox IS DISTINCT FROM NEW.shared_inbox
		OR OLD.host IS DISTINCT FROM NEW.host OR OLD.local IS DISTINCT FROM NEW.local OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
	EXECUTE FUNCTION actors_follower_inbox()`,
}

var followerInboxDown = map[bool][]string{
	false: {
		"DROP TRIGGER IF EXISTS actors_follower_inbox",
		"DROP TRIGGER IF EXISTS follows_follower_inbox_update",
		"DROP TRIGGER IF EXISTS follows_follower_inbox_insert",
	},
	true: {
		"DROP TRIGGER IF EXISTS actors_follower_inbox ON actors",
		"DROP FUNCTION IF EXISTS actors_follower_inbox()",
		"DROP TRIGGER IF EXISTS follows_follower_inbox ON follows",
		"DROP FUNCTION IF EXISTS follows_follower_inbox()",
	},
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			qs := followerInboxSQLite
			if isPG(tx) {
				qs = followerInboxPG
			}
			qs = append(qs[:len(qs):len(qs)],
				"UPDATE follows SET (follower_inbox, follower_host) = (SELECT COALESCE("+fmt.Sprintf(followerInboxExpr, "a")+
					", ''), a.host FROM actors AS a WHERE a.id = follows.follower_id)",
				"DROP INDEX IF EXISTS follows_followee")
			if err := execAll(ctx, tx, qs...); err != nil {
				return err
			}
			return createIndexes(ctx, tx, index{name: "follows_followee_inbox", table: "follows",
				columns: []string{"followee_id", "state", "follower_inbox", "follower_host"}})
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			down := followerInboxDown[isPG(tx)]
			qs := append(down[:len(down):len(down)],
				"DROP INDEX IF EXISTS follows_followee_inbox",
				"ALTER TABLE follows DROP COLUMN follower_host",
				"ALTER TABLE follows DROP COLUMN follower_inbox")
			if err := execAll(ctx, tx, qs...); err != nil {
				return err
			}
			return createIndexes(ctx, tx, index{name: "follows_followee", table: "follows", columns: []string{"followee_id", "state"}})
		})
	})
}
