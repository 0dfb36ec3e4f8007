package models

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"time"

	"github.com/uptrace/bun"
)

// Actor types, as in ActivityStreams.
const (
	ActorPerson      = "Person"
	ActorGroup       = "Group"
	ActorApplication = "Application"
	ActorService     = "Service"
)

// Actor is anyone who acts: a local account, a local space, the instance
// itself, or any remote ActivityPub actor. Supports, votes, signatures and
// comments reference actors, so local and remote participation share tables.
type Actor struct {
	bun.BaseModel   `bun:"table:actors"`
	ID              int64      `bun:",pk,autoincrement" json:"-"`
	URI             string     `bun:"uri,notnull" json:"uri"`
	Type            string     `bun:",notnull" json:"type"`
	Username        string     `bun:",notnull" json:"username"`
	Host            string     `bun:",notnull" json:"host"`
	Local           bool       `bun:",notnull" json:"local"`
	Name            string     `bun:",notnull" json:"name"`
	Summary         string     `bun:",notnull" json:"summary"`
	URL             string     `bun:"url,notnull" json:"url"`
	IconURL         string     `bun:"icon_url,notnull" json:"icon_url,omitempty"`
	IconMediaType   string     `bun:",notnull" json:"-"` // of a local avatar; "" when unknown
	Inbox           string     `bun:",notnull" json:"-"`
	SharedInbox     string     `bun:",notnull" json:"-"`
	Outbox          string     `bun:",notnull" json:"-"`
	FollowersURI    string     `bun:"followers_uri,notnull" json:"-"`
	FollowingURI    string     `bun:"following_uri,notnull" json:"-"`
	PublicKeyID     string     `bun:",notnull" json:"-"`
	PublicKeyPEM    string     `bun:"public_key_pem,notnull" json:"-"`
	PrivateKeyPEM   string     `bun:"private_key_pem,notnull" json:"-"`
	ManuallyApprove bool       `bun:",notnull" json:"-"`
	AccountID       *int64     `bun:",nullzero" json:"-"`
	SpaceID         *int64     `bun:",nullzero" json:"-"`
	FetchedAt       *time.Time `bun:",nullzero" json:"-"`
	DeletedAt       *time.Time `bun:",nullzero" json:"-"`
	CreatedAt       time.Time  `bun:",notnull" json:"-"`
	UpdatedAt       time.Time  `bun:",notnull" json:"-"`
}

// Handle is the actor's fediverse address, name@host.
func (a *Actor) Handle() string { return a.Username + "@" + a.Host }

// Erased reports whether the actor's account was deleted (here, or by
// its server's Delete): its name is kept, reserved, but no longer shown.
func (a *Actor) Erased() bool { return a != nil && a.DeletedAt != nil }

// DisplayName is the name to show, falling back to the handle.
func (a *Actor) DisplayName() string {
	if a.Name != "" {
		return a.Name
	}
	return a.Username
}

// PrivateKey parses the actor's private key; only local actors have one.
func (a *Actor) PrivateKey() (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(a.PrivateKeyPEM))
	if block == nil {
		return nil, fmt.Errorf("actor %s has no private key", a.URI)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("actor %s key is not RSA", a.URI)
	}
	return rk, nil
}

// URLs decides the ActivityPub URIs of local things. cmd/odn sets it from
// the configured base URL; models needs it to mint ids inside the same
// transaction that creates an object.
type URLs struct {
	Base string // e.g. https://city.example, no trailing slash
}

// Host is the instance's host name (with port when not default).
func (u URLs) Host() string {
	p, err := url.Parse(u.Base)
	if err != nil {
		return ""
	}
	return p.Host
}

// ActorURI is the id of a local user or space actor.
func (u URLs) ActorURI(name string) string { return u.Base + "/actors/" + name }

// InstanceActorURI is the id of the instance's Application actor.
func (u URLs) InstanceActorURI() string { return u.Base + "/actor" }

// newLocalActor builds a local actor with a fresh key pair.
func (s *Store) newLocalActor(typ, username, name, summary, uri, htmlURL string) (*Actor, error) {
	key, err := s.keyGen()
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	now := s.Now()
	return &Actor{
		URI: uri, Type: typ, Username: username, Host: s.URLs.Host(), Local: true,
		Name: name, Summary: summary, URL: htmlURL,
		Inbox: uri + "/inbox", SharedInbox: s.URLs.Base + "/inbox", Outbox: uri + "/outbox",
		FollowersURI: uri + "/followers", FollowingURI: uri + "/following",
		PublicKeyID:   uri + "#main-key",
		PublicKeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
		PrivateKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		CreatedAt:     now, UpdatedAt: now,
	}, nil
}

// ActorByID loads an actor by its local id.
func (s *Store) ActorByID(ctx context.Context, id int64) (*Actor, error) {
	a := new(Actor)
	err := s.DB.NewSelect().Model(a).Where("id = ?", id).Scan(ctx)
	return a, dbErr("actor by id", err)
}

// ActorByURI loads an actor by its ActivityPub id.
func (s *Store) ActorByURI(ctx context.Context, uri string) (*Actor, error) {
	a := new(Actor)
	err := s.scanOne(ctx, a, s.hot().actorByURI, uri)
	return a, dbErr("actor by uri", err)
}

// LocalActorByUsername loads a local user or space actor by name.
func (s *Store) LocalActorByUsername(ctx context.Context, name string) (*Actor, error) {
	a := new(Actor)
	err := s.DB.NewSelect().Model(a).Where("local AND username = ? AND deleted_at IS NULL", name).
		Where("type <> ?", ActorApplication).Scan(ctx)
	return a, dbErr("local actor", err)
}

// InstanceActor returns the instance's Application actor, creating it on
// first use. It signs outgoing fetches.
func (s *Store) InstanceActor(ctx context.Context) (*Actor, error) {
	a, err := s.ActorByURI(ctx, s.URLs.InstanceActorURI())
	if err == nil || err != ErrNotFound {
		return a, err
	}
	a, err = s.newLocalActor(ActorApplication, s.URLs.Host(), s.URLs.Host(), "", s.URLs.InstanceActorURI(), s.URLs.Base+"/about")
	if err != nil {
		return nil, err
	}
	a.ManuallyApprove = true
	if _, err := s.DB.NewInsert().Model(a).On("CONFLICT (uri) DO NOTHING").Exec(ctx); err != nil {
		return nil, dbErr("create instance actor", err)
	}
	return s.ActorByURI(ctx, a.URI)
}

// UpsertRemoteActor stores or refreshes a remote actor by URI and returns
// it with its local id. Local actors are never overwritten from outside,
// and the profile of one that deleted itself (display name, description,
// avatar: MarkActorDeleted forgot them) does not come back with a later
// fetch or key refresh: its deletion stays, so must what it withdrew.
func (s *Store) UpsertRemoteActor(ctx context.Context, a *Actor) (*Actor, error) {
	now := s.Now()
	a.Local, a.PrivateKeyPEM, a.AccountID, a.SpaceID = false, "", nil, nil
	a.FetchedAt, a.UpdatedAt = &now, now
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	_, err := s.DB.NewInsert().Model(a).
		On("CONFLICT (uri) DO UPDATE").
		Set("type = EXCLUDED.type, username = EXCLUDED.username, host = EXCLUDED.host").
		Set("name = CASE WHEN actor.deleted_at IS NULL THEN EXCLUDED.name ELSE '' END").
		Set("summary = CASE WHEN actor.deleted_at IS NULL THEN EXCLUDED.summary ELSE '' END").
		Set("icon_url = CASE WHEN actor.deleted_at IS NULL THEN EXCLUDED.icon_url ELSE '' END").
		Set("url = EXCLUDED.url, inbox = EXCLUDED.inbox").
		Set("shared_inbox = EXCLUDED.shared_inbox, outbox = EXCLUDED.outbox, followers_uri = EXCLUDED.followers_uri").
		Set("following_uri = EXCLUDED.following_uri, public_key_id = EXCLUDED.public_key_id").
		Set("public_key_pem = EXCLUDED.public_key_pem, manually_approve = EXCLUDED.manually_approve").
		Set("fetched_at = EXCLUDED.fetched_at, updated_at = EXCLUDED.updated_at").
		Where("NOT actor.local").
		Exec(ctx)
	if err != nil {
		return nil, dbErr("upsert remote actor", err)
	}
	return s.ActorByURI(ctx, a.URI)
}
