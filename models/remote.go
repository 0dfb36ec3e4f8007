package models

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// RemoteHost is a peer's delivery health: consecutive failures and, when
// the circuit is open, until when nothing is sent there; and the software
// it runs. It lives in the database so every node honours the same breaker.
type RemoteHost struct {
	bun.BaseModel `bun:"table:remote_hosts"`
	Host          string     `bun:",pk" json:"host"`
	Failures      int        `bun:",notnull" json:"failures"`
	DownUntil     *time.Time `bun:",nullzero" json:"down_until,omitempty"`
	LastError     string     `bun:",notnull" json:"last_error"`
	LastFailureAt *time.Time `bun:",nullzero" json:"last_failure_at,omitempty"`
	LastSuccessAt *time.Time `bun:",nullzero" json:"last_success_at,omitempty"`
	// Software is the peer's NodeInfo software name ("mastodon", "odn"…),
	// empty while unknown; SoftwareCheckedAt is when it was last asked.
	Software          string     `bun:",notnull" json:"software,omitempty"`
	SoftwareCheckedAt *time.Time `bun:",nullzero" json:"software_checked_at,omitempty"`
}

// HostSoftware returns what host's NodeInfo said it runs and when it was
// asked (nil: never).
func (s *Store) HostSoftware(ctx context.Context, host string) (string, *time.Time, error) {
	var h RemoteHost
	err := s.DB.NewSelect().Model(&h).Column("software", "software_checked_at").Where("host = ?", normalizeHost(host)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil
	}
	return h.Software, h.SoftwareCheckedAt, dbErr("host software", err)
}

// SetHostSoftware records the software host runs (empty: the peer did not
// say), asked now.
func (s *Store) SetHostSoftware(ctx context.Context, host, software string) error {
	now := s.Now()
	h := &RemoteHost{Host: normalizeHost(host), Software: truncateBytes(software, 64), SoftwareCheckedAt: &now}
	_, err := s.DB.NewInsert().Model(h).On("CONFLICT (host) DO UPDATE").
		Set("software = EXCLUDED.software, software_checked_at = EXCLUDED.software_checked_at").Exec(ctx)
	return dbErr("set host software", err)
}

// HostSucceeded closes the host's circuit.
func (s *Store) HostSucceeded(ctx context.Context, host string) error {
	now := s.Now()
	h := &RemoteHost{Host: normalizeHost(host), LastSuccessAt: &now}
	_, err := s.DB.NewInsert().Model(h).On("CONFLICT (host) DO UPDATE").
		Set("failures = 0, down_until = NULL, last_success_at = EXCLUDED.last_success_at").Exec(ctx)
	return dbErr("host succeeded", err)
}

// HostFailed counts a failed delivery to host; once failures reach
// threshold the circuit opens for openFor (doubling with each further
// failure, up to 24 h). It returns the host's state.
func (s *Store) HostFailed(ctx context.Context, host, msg string, threshold int, openFor time.Duration) (*RemoteHost, error) {
	now := s.Now()
	host = normalizeHost(host)
	var h RemoteHost
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// While the circuit is open, a failure is that of a request
		// started before it opened (up to HostConcurrency in flight):
		// counting those would double the open time once per request,
		// closing a briefly failing host for hours.
		err := tx.NewSelect().Model(&h).Where("host = ?", host).Scan(ctx)
		if err == nil && h.DownUntil != nil && h.DownUntil.After(now) {
			return nil
		}
		ins := &RemoteHost{Host: host, Failures: 1, LastError: truncateBytes(msg, 300), LastFailureAt: &now}
		if _, err := tx.NewInsert().Model(ins).On("CONFLICT (host) DO UPDATE").
			Set("failures = remote_host.failures + 1, last_error = EXCLUDED.last_error, last_failure_at = EXCLUDED.last_failure_at").
			Exec(ctx); err != nil {
			return err
		}
		if err := tx.NewSelect().Model(&h).Where("host = ?", host).Scan(ctx); err != nil {
			return err
		}
		if h.Failures < threshold {
			return nil
		}
		d := openFor
		for i := threshold; i < h.Failures && d < 24*time.Hour; i++ {
			d *= 2
		}
		until := now.Add(min(d, 24*time.Hour))
		h.DownUntil = &until
		_, err = tx.NewUpdate().Model(&h).Set("down_until = ?", until).WherePK().Exec(ctx)
		return err
	})
	return &h, dbErr("host failed", err)
}

// RemoteHosts lists peers with failures or an open circuit.
func (s *Store) RemoteHosts(ctx context.Context) ([]RemoteHost, error) {
	var out []RemoteHost
	err := s.DB.NewSelect().Model(&out).Where("failures > 0 OR down_until IS NOT NULL").Order("host").Limit(200).Scan(ctx)
	return out, dbErr("remote hosts", err)
}

// Resolved is what a Resolver found behind a handle or URL.
type Resolved struct {
	// Kind is "actor" for users, spaces and other actors; the next civic
	// kinds ("proposal", "debate", "petition", "comment") come with the
	// civic federation mapping.
	Kind  string `json:"kind"`
	URI   string `json:"uri"`
	Actor *Actor `json:"-"`
	// ObjectID is the local id of a stored civic object (Kind != "actor").
	ObjectID int64 `json:"-"`
}

// Resolver looks up remote things by handle (name@host, @name@host,
// acct:name@host) or URL, fetching and storing them. federation provides
// the implementation; cmd/odn installs it with SetResolver.
type Resolver interface {
	Resolve(ctx context.Context, query string) (*Resolved, error)
}

// resolvers maps a Store to its Resolver without touching Store's struct
// (several stores live in one test process, so no single global value).
var resolvers sync.Map // *Store → Resolver

// SetResolver installs the remote lookup used by Lookup and FollowHandle.
func (s *Store) SetResolver(r Resolver) { resolvers.Store(s, r) }

func (s *Store) resolver() Resolver {
	r, _ := resolvers.Load(s)
	res, _ := r.(Resolver)
	return res
}

// Lookup finds a local or remote actor (or, later, civic object) by
// handle or URL. Local names and URLs are answered from the database;
// others go through the Resolver, which fetches them.
func (s *Store) Lookup(ctx context.Context, query string) (*Resolved, error) {
	q := strings.TrimSpace(query)
	if q == "" || len(q) > 2048 {
		return nil, Invalid("uri", "Enter an address such as name@town.example or a URL.")
	}
	if a, err := s.localActorFor(ctx, q); err == nil {
		return &Resolved{Kind: "actor", URI: a.URI, Actor: a}, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	a, err := s.knownRemoteActor(ctx, q)
	if err == nil && !a.Local && a.DeletedAt == nil && a.FetchedAt != nil && s.Now().Sub(*a.FetchedAt) < 24*time.Hour {
		return &Resolved{Kind: "actor", URI: a.URI, Actor: a}, nil
	}
	r := s.resolver()
	if r == nil {
		return nil, ErrNotFound
	}
	return r.Resolve(ctx, q)
}

// localActorFor answers a handle or URL naming a local user or space.
func (s *Store) localActorFor(ctx context.Context, q string) (*Actor, error) {
	host := normalizeHost(s.URLs.Host())
	name := ""
	switch {
	case strings.HasPrefix(q, s.URLs.Base+"/actors/"):
		name = strings.TrimPrefix(q, s.URLs.Base+"/actors/")
	case strings.HasPrefix(q, s.URLs.Base+"/@"):
		name = strings.TrimPrefix(q, s.URLs.Base+"/@")
	case strings.HasPrefix(q, s.URLs.Base+"/s/"):
		name = strings.TrimPrefix(q, s.URLs.Base+"/s/")
	case !strings.Contains(q, "/"):
		h := strings.TrimPrefix(strings.TrimPrefix(q, "acct:"), "@")
		user, dom, ok := strings.Cut(h, "@")
		if !ok {
			user, dom = h, host
		}
		if normalizeHost(dom) != host {
			return nil, ErrNotFound
		}
		name = user
	default:
		return nil, ErrNotFound
	}
	if name == "" || strings.ContainsAny(name, "/?#") {
		return nil, ErrNotFound
	}
	return s.LocalActorByUsername(ctx, strings.ToLower(name))
}

// FollowHandle looks up a handle or URL and follows the actor found.
func (s *Store) FollowHandle(ctx context.Context, acc *Account, handle string) (*Follow, error) {
	res, err := s.Lookup(ctx, handle)
	if err != nil {
		return nil, err
	}
	if res.Actor == nil {
		return nil, Invalid("handle", "This address is not an account or a space.")
	}
	return s.FollowActor(ctx, acc, res.Actor)
}

// UnfollowHandle stops following the actor behind a handle or URL; only
// actors already known are looked up (no fetch).
func (s *Store) UnfollowHandle(ctx context.Context, acc *Account, handle string) error {
	a, err := s.localActorFor(ctx, strings.TrimSpace(handle))
	if errors.Is(err, ErrNotFound) {
		a, err = s.knownRemoteActor(ctx, strings.TrimSpace(handle))
	}
	if err != nil {
		return err
	}
	return s.UnfollowActor(ctx, acc, a)
}

// knownRemoteActor finds a stored remote actor by URI or name@host.
func (s *Store) knownRemoteActor(ctx context.Context, q string) (*Actor, error) {
	if strings.Contains(q, "/") {
		return s.ActorByURI(ctx, q)
	}
	user, host, ok := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(q, "acct:"), "@"), "@")
	if !ok {
		return nil, ErrNotFound
	}
	a := new(Actor)
	err := s.DB.NewSelect().Model(a).Where("NOT local AND username = ? AND host = ?", user, normalizeHost(host)).
		Order("id").Limit(1).Scan(ctx)
	return a, dbErr("remote actor", err)
}

// MarkActorDeleted records that a remote actor deleted itself (Delete of
// the actor): its follows go, and so does the copy of its profile
// (display name, description, avatar), as a local erasure's does
// (DeleteAccount): the person withdrew it. Its key stays so later signed
// requests can still be checked, and the URI is tombstoned.
func (s *Store) MarkActorDeleted(ctx context.Context, a *Actor) error {
	if a == nil || a.Local {
		return ErrForbidden
	}
	now := s.Now()
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model((*Actor)(nil)).Set("deleted_at = ?", now).Set("updated_at = ?", now).
			Set("name = ''").Set("summary = ''").Set("icon_url = ''").
			Where("id = ? AND NOT local", a.ID).Exec(ctx); err != nil {
			return dbErr("delete remote actor", err)
		}
		if _, err := tx.NewDelete().Model((*Follow)(nil)).Where("follower_id = ? OR followee_id = ?", a.ID, a.ID).Exec(ctx); err != nil {
			return dbErr("delete remote actor follows", err)
		}
		return addTombstone(ctx, tx, &Tombstone{URI: a.URI, Type: a.Type, ActorURI: a.URI, DeletedAt: now})
	})
}

// ActorsByIDs loads actors by local id (for rendering lists).
func (s *Store) ActorsByIDs(ctx context.Context, ids []int64) ([]*Actor, error) {
	var out []*Actor
	if len(ids) == 0 {
		return out, nil
	}
	err := s.DB.NewSelect().Model(&out).Where("id IN (?)", bun.In(ids)).Scan(ctx)
	return out, dbErr("actors by ids", err)
}
