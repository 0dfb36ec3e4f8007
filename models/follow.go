package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Follow states.
const (
	FollowPending  = "pending"
	FollowAccepted = "accepted"
)

// Follow events written to the outbox when a local actor follows or stops
// following a remote one; federation sends Follow and Undo{Follow}.
// Data is the Follow's URI.
const (
	EventFollowRequested = "follow.requested"
	EventFollowUndone    = "follow.undone"
)

// Follow is a follow relation between two actors, local or remote. URI is
// the id of the Follow activity, which Accept, Reject and Undo refer to.
type Follow struct {
	bun.BaseModel `bun:"table:follows"`
	ID            int64     `bun:",pk,autoincrement" json:"-"`
	URI           string    `bun:"uri,notnull" json:"uri"`
	FollowerID    int64     `bun:",notnull" json:"-"`
	FolloweeID    int64     `bun:",notnull" json:"-"`
	State         string    `bun:",notnull" json:"state"`
	CreatedAt     time.Time `bun:",notnull" json:"created_at"`
	UpdatedAt     time.Time `bun:",notnull" json:"updated_at"`

	Follower *Actor `bun:"-" json:"-"`
	Followee *Actor `bun:"-" json:"-"`
}

// FollowURI mints the id of a Follow activity sent by a local actor.
func (u URLs) FollowURI(token string) string { return u.Base + "/follows/" + token }

// FollowActor makes the local account follow target (a local or remote
// actor, user or space). Following a local actor that does not approve
// manually is accepted at once; a remote follow stays pending until the
// peer's Accept, and the outbox sends the Follow. Following again returns
// the existing relation.
func (s *Store) FollowActor(ctx context.Context, acc *Account, target *Actor) (*Follow, error) {
	if acc == nil || acc.Actor == nil {
		return nil, ErrUnauthorized
	}
	if target == nil || target.DeletedAt != nil || target.Type == ActorApplication {
		return nil, ErrNotFound
	}
	if target.ID == acc.Actor.ID {
		return nil, Invalid("handle", "You cannot follow yourself.")
	}
	if existing, err := s.FollowBetween(ctx, acc.Actor.ID, target.ID); err == nil {
		return existing, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	now := s.Now()
	f := &Follow{URI: s.URLs.FollowURI(randomSecret()[:22]), FollowerID: acc.Actor.ID, FolloweeID: target.ID,
		State: FollowPending, CreatedAt: now, UpdatedAt: now}
	if target.Local && !target.ManuallyApprove {
		f.State = FollowAccepted
	}
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(f).Exec(ctx); err != nil {
			return dbErr("insert follow", err)
		}
		if target.Local {
			return nil
		}
		return s.emit(ctx, tx, Event{Kind: EventFollowRequested, ObjectType: "follow", ObjectID: f.ID, ActorID: acc.Actor.ID, Data: f.URI})
	})
	if errors.Is(err, ErrDuplicate) {
		return s.FollowBetween(ctx, acc.Actor.ID, target.ID)
	}
	if err != nil {
		return nil, err
	}
	f.Follower, f.Followee = acc.Actor, target
	return f, nil
}

// UnfollowActor ends the account's follow of target; for a remote target
// the outbox sends Undo{Follow}. Not following is not an error.
func (s *Store) UnfollowActor(ctx context.Context, acc *Account, target *Actor) error {
	if acc == nil || acc.Actor == nil {
		return ErrUnauthorized
	}
	f, err := s.FollowBetween(ctx, acc.Actor.ID, target.ID)
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*Follow)(nil)).Where("id = ?", f.ID).Exec(ctx); err != nil {
			return dbErr("delete follow", err)
		}
		if target.Local {
			return nil
		}
		// The follow row is gone; the event carries what Undo needs.
		return s.emit(ctx, tx, Event{Kind: EventFollowUndone, ObjectType: "follow", ObjectID: target.ID, ActorID: acc.Actor.ID, Data: f.URI})
	})
}

// ReceiveFollow records a Follow received from a remote actor for a local
// one. accept says whether it is accepted at once (public spaces, users
// who do not approve manually). A repeated Follow updates the URI (peers
// resend with a new id) and keeps an accepted state.
func (s *Store) ReceiveFollow(ctx context.Context, follower, followee *Actor, uri string, accept bool) (*Follow, error) {
	if follower == nil || followee == nil || !followee.Local || follower.Local {
		return nil, ErrForbidden
	}
	if followee.DeletedAt != nil {
		return nil, ErrNotFound
	}
	now := s.Now()
	state := FollowPending
	if accept {
		state = FollowAccepted
	}
	f := &Follow{URI: uri, FollowerID: follower.ID, FolloweeID: followee.ID, State: state, CreatedAt: now, UpdatedAt: now}
	q := s.DB.NewInsert().Model(f).On("CONFLICT (follower_id, followee_id) DO UPDATE").
		Set("uri = EXCLUDED.uri, updated_at = EXCLUDED.updated_at")
	if accept {
		q = q.Set("state = EXCLUDED.state")
	}
	if _, err := q.Exec(ctx); err != nil {
		return nil, dbErr("receive follow", err)
	}
	f, err := s.FollowBetween(ctx, follower.ID, followee.ID)
	if err != nil {
		return nil, err
	}
	f.Follower, f.Followee = follower, followee
	return f, nil
}

// AcceptFollow marks the follow whose activity id is uri accepted. by is
// the actor accepting: it must be the followee.
func (s *Store) AcceptFollow(ctx context.Context, uri string, by *Actor) (*Follow, error) {
	f, err := s.FollowByURI(ctx, uri)
	if err != nil {
		return nil, err
	}
	if by == nil || f.FolloweeID != by.ID {
		return nil, ErrForbidden
	}
	_, err = s.DB.NewUpdate().Model((*Follow)(nil)).Set("state = ?", FollowAccepted).
		Set("updated_at = ?", s.Now()).Where("id = ?", f.ID).Exec(ctx)
	f.State = FollowAccepted
	return f, dbErr("accept follow", err)
}

// AcceptFollowBetween accepts the pending follow of follower for followee
// (for peers whose Accept names the Follow only by actor and object).
func (s *Store) AcceptFollowBetween(ctx context.Context, followerID, followeeID int64) error {
	res, err := s.DB.NewUpdate().Model((*Follow)(nil)).Set("state = ?", FollowAccepted).Set("updated_at = ?", s.Now()).
		Where("follower_id = ? AND followee_id = ?", followerID, followeeID).Exec(ctx)
	if err != nil {
		return dbErr("accept follow", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// RemoveFollow deletes the follow of follower for followee (Undo{Follow},
// Reject, Block); it is not an error when there is none.
func (s *Store) RemoveFollow(ctx context.Context, followerID, followeeID int64) error {
	_, err := s.DB.NewDelete().Model((*Follow)(nil)).Where("follower_id = ? AND followee_id = ?", followerID, followeeID).Exec(ctx)
	return dbErr("remove follow", err)
}

// ForgetErasedFollows deletes the follows, both ways, of erased local
// accounts' actors once the outbox has handled their events. Whom a
// member follows and who follows them is personal data, erased with the
// account (the privacy page says so), but not in DeleteAccount's own
// transaction: its account.deleted event reads these follows
// (RelatedInboxes) to send the Delete to every follower and followee.
// The server calls it hourly; it returns how many it deleted.
func (s *Store) ForgetErasedFollows(ctx context.Context) (int64, error) {
	erased := s.DB.NewSelect().Model((*Actor)(nil)).Column("actor.id").
		Where("actor.local AND actor.account_id IS NOT NULL AND actor.deleted_at IS NOT NULL").
		Where("NOT EXISTS (SELECT 1 FROM events AS e WHERE e.actor_id = actor.id AND e.processed_at IS NULL)")
	res, err := s.DB.NewDelete().Model((*Follow)(nil)).Where("follower_id IN (?) OR followee_id IN (?)", erased, erased).Exec(ctx)
	if err != nil {
		return 0, dbErr("forget erased follows", err)
	}
	return res.RowsAffected()
}

// FollowByURI loads a follow by its activity id.
func (s *Store) FollowByURI(ctx context.Context, uri string) (*Follow, error) {
	f := new(Follow)
	err := s.DB.NewSelect().Model(f).Where("uri = ?", uri).Scan(ctx)
	return f, dbErr("follow by uri", err)
}

// FollowBetween loads the follow of follower for followee.
func (s *Store) FollowBetween(ctx context.Context, followerID, followeeID int64) (*Follow, error) {
	f := new(Follow)
	err := s.DB.NewSelect().Model(f).Where("follower_id = ? AND followee_id = ?", followerID, followeeID).Scan(ctx)
	return f, dbErr("follow", err)
}

// FollowerInboxes lists the distinct inboxes to deliver to for the
// accepted remote followers of a local actor: each follower's shared
// inbox, or its personal inbox when it has none. Followers of blocked
// domains are left out.
func (s *Store) FollowerInboxes(ctx context.Context, actorID int64) ([]string, error) {
	rs, err := s.FollowerRecipients(ctx, actorID)
	return inboxURLs(rs), err
}

// Recipient is an inbox to deliver to and the software of its server
// (NodeInfo's name, empty while unknown).
type Recipient struct {
	Inbox    string
	Software string
}

// FollowerRecipients is FollowerInboxes with each inbox's server software,
// for activities whose form depends on the receiver.
func (s *Store) FollowerRecipients(ctx context.Context, actorID int64) ([]Recipient, error) {
	return s.followRecipients(ctx, true, actorID, nil)
}

// RelatedInboxes lists the inboxes of every remote actor that follows or
// is followed by the actor, whatever the state: where a Delete of the
// actor must go.
func (s *Store) RelatedInboxes(ctx context.Context, actorID int64) ([]string, error) {
	states := []string{FollowAccepted, FollowPending}
	out, err := s.followRecipients(ctx, true, actorID, states)
	if err != nil {
		return nil, err
	}
	out, err = s.followRecipients(ctx, false, actorID, states, out...)
	return inboxURLs(out), err
}

func inboxURLs(rs []Recipient) []string {
	if rs == nil {
		return nil
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Inbox
	}
	return out
}

// followRecipients lists the inboxes of the remote actors on the other
// side of actorID's follows in states (accepted when nil): its followers,
// or the actors it follows; after seenList and each once, leaving out
// blocked domains.
func (s *Store) followRecipients(ctx context.Context, followers bool, actorID int64, states []string, seenList ...Recipient) ([]Recipient, error) {
	if states == nil {
		states = []string{FollowAccepted}
	}
	var rows []struct {
		Inbox    string
		Host     string
		Software string
	}
	// The distinct inboxes first (10,000 followers are ~500 servers),
	// then each one's host software: joining remote_hosts inside would
	// look it up once per follower.
	var inboxes *bun.SelectQuery
	if followers {
		// A follow carries its follower's delivery inbox and host, kept by
		// triggers (migration 20261206090000): one covering index read,
		// not one actor row per follower.
		inboxes = s.DB.NewSelect().TableExpr("follows AS f").
			ColumnExpr("DISTINCT f.follower_inbox AS inbox, f.follower_host AS host").
			Where("f.followee_id = ? AND f.state IN (?) AND f.follower_inbox <> ''", actorID, bun.In(states))
	} else {
		inboxes = s.DB.NewSelect().TableExpr("follows AS f").Join("JOIN actors AS a ON a.id = f.followee_id").
			ColumnExpr("DISTINCT CASE WHEN a.shared_inbox <> '' THEN a.shared_inbox ELSE a.inbox END AS inbox, a.host AS host").
			Where("f.follower_id = ? AND f.state IN (?) AND NOT a.local AND a.deleted_at IS NULL", actorID, bun.In(states))
	}
	err := s.DB.NewSelect().TableExpr("(?) AS i", inboxes).Join("LEFT JOIN remote_hosts AS h ON h.host = i.host").
		ColumnExpr("i.inbox, i.host, COALESCE(h.software, '') AS software").
		Scan(ctx, &rows)
	if err != nil {
		return nil, dbErr("follow inboxes", err)
	}
	blocked, err := s.blockedSet(ctx)
	if err != nil {
		return nil, err
	}
	out := append([]Recipient{}, seenList...)
	seen := map[string]bool{}
	for _, r := range out {
		seen[r.Inbox] = true
	}
	for _, r := range rows {
		if r.Inbox == "" || seen[r.Inbox] || blocked.has(r.Host) {
			continue
		}
		seen[r.Inbox] = true
		out = append(out, Recipient{Inbox: r.Inbox, Software: r.Software})
	}
	return out, nil
}

// FollowPage is one page of a followers or following list.
type FollowPage struct {
	Actors []*Actor
	Total  int
}

// Followers lists the accepted followers of an actor, newest first.
func (s *Store) Followers(ctx context.Context, actorID int64, offset, limit int) (*FollowPage, error) {
	return s.followPage(ctx, "f.followee_id", "f.follower_id", actorID, offset, limit)
}

// Following lists the actors an actor follows (accepted), newest first.
func (s *Store) Following(ctx context.Context, actorID int64, offset, limit int) (*FollowPage, error) {
	return s.followPage(ctx, "f.follower_id", "f.followee_id", actorID, offset, limit)
}

// PendingFollowing lists the follows an actor sent that await an Accept.
func (s *Store) PendingFollowing(ctx context.Context, actorID int64) ([]*Actor, error) {
	var out []*Actor
	err := s.DB.NewSelect().Model(&out).Join("JOIN follows AS f ON f.followee_id = actor.id").
		Where("f.follower_id = ? AND f.state = ?", actorID, FollowPending).OrderExpr("f.id DESC").Limit(100).Scan(ctx)
	return out, dbErr("pending following", err)
}

// followPage lists (and counts) the live actors on the other side of
// actorID's accepted follows. An erased account is left out: DeleteAccount
// keeps its follow rows (its Delete{Person} goes to those it followed) but
// it is listed in no public collection.
func (s *Store) followPage(ctx context.Context, self, other string, actorID int64, offset, limit int) (*FollowPage, error) {
	page := &FollowPage{}
	q := s.DB.NewSelect().Model(&page.Actors).Join("JOIN follows AS f ON "+other+" = actor.id").
		Where(self+" = ? AND f.state = ? AND actor.deleted_at IS NULL", actorID, FollowAccepted)
	n, err := q.OrderExpr("f.id DESC").Offset(int64(max(offset, 0))).Limit(int64(clampLimit(limit))).ScanAndCount(ctx)
	page.Total = int(n)
	return page, dbErr("follow page", err)
}

// IsFollowing reports whether follower follows followee (accepted).
func (s *Store) IsFollowing(ctx context.Context, followerID, followeeID int64) (bool, error) {
	f, err := s.FollowBetween(ctx, followerID, followeeID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil && f.State == FollowAccepted, err
}

// normalizeHost lower-cases a host and drops a trailing dot.
func normalizeHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}
