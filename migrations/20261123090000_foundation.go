package migrations

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Frozen copies of the foundation tables as first shipped.
type fAccount struct {
	bun.BaseModel `bun:"table:accounts"`
	ID            int64      `bun:",pk,autoincrement"`
	Username      string     `bun:",notnull,unique"`
	Email         string     `bun:",notnull,default:''"`
	PasswordHash  string     `bun:",notnull,default:''"`
	Role          string     `bun:",notnull,default:'member'"`
	Decider       bool       `bun:",notnull,default:false"`
	Disabled      bool       `bun:",notnull,default:false"`
	Locale        string     `bun:",notnull,default:''"`
	CreatedAt     time.Time  `bun:",notnull"`
	DeletedAt     *time.Time `bun:",nullzero"`
}

type fActor struct {
	bun.BaseModel   `bun:"table:actors"`
	ID              int64      `bun:",pk,autoincrement"`
	URI             string     `bun:"uri,notnull,unique"`
	Type            string     `bun:",notnull"`
	Username        string     `bun:",notnull,default:''"`
	Host            string     `bun:",notnull"`
	Local           bool       `bun:",notnull,default:false"`
	Name            string     `bun:",notnull,default:''"`
	Summary         string     `bun:",notnull,default:''"`
	URL             string     `bun:"url,notnull,default:''"`
	IconURL         string     `bun:"icon_url,notnull,default:''"`
	Inbox           string     `bun:",notnull,default:''"`
	SharedInbox     string     `bun:",notnull,default:''"`
	Outbox          string     `bun:",notnull,default:''"`
	FollowersURI    string     `bun:"followers_uri,notnull,default:''"`
	FollowingURI    string     `bun:"following_uri,notnull,default:''"`
	PublicKeyID     string     `bun:",notnull,default:''"`
	PublicKeyPEM    string     `bun:"public_key_pem,notnull,default:''"`
	PrivateKeyPEM   string     `bun:"private_key_pem,notnull,default:''"`
	ManuallyApprove bool       `bun:",notnull,default:false"`
	AccountID       *int64     `bun:",nullzero"`
	SpaceID         *int64     `bun:",nullzero"`
	FetchedAt       *time.Time `bun:",nullzero"`
	DeletedAt       *time.Time `bun:",nullzero"`
	CreatedAt       time.Time  `bun:",notnull"`
	UpdatedAt       time.Time  `bun:",notnull"`
}

// fHandle is the single acct: namespace shared by users and spaces: a
// primary key, so a space can never take a user's name or the reverse.
type fHandle struct {
	bun.BaseModel `bun:"table:handles"`
	Name          string `bun:",pk"`
	Kind          string `bun:",notnull"`
}

type fSpace struct {
	bun.BaseModel    `bun:"table:spaces"`
	ID               int64     `bun:",pk,autoincrement"`
	Name             string    `bun:",notnull,unique"`
	Kind             string    `bun:",notnull"`
	Title            string    `bun:",notnull"`
	Description      string    `bun:",notnull,default:''"`
	DescriptionHTML  string    `bun:"description_html,notnull,default:''"`
	Policy           string    `bun:",notnull,default:'open'"`
	AllowedHosts     string    `bun:",notnull,default:''"`
	SupportThreshold int       `bun:",notnull,default:0"`
	Licence          string    `bun:",notnull,default:''"`
	ActorID          int64     `bun:",notnull"`
	CreatedBy        *int64    `bun:",nullzero"`
	CreatedAt        time.Time `bun:",notnull"`
	UpdatedAt        time.Time `bun:",notnull"`
}

type fSession struct {
	bun.BaseModel `bun:"table:sessions"`
	ID            string    `bun:",pk"`
	AccountID     int64     `bun:",notnull"`
	CreatedAt     time.Time `bun:",notnull"`
	ExpiresAt     time.Time `bun:",notnull"`
	LastSeenAt    time.Time `bun:",notnull"`
	UserAgent     string    `bun:",notnull,default:''"`
}

type fToken struct {
	bun.BaseModel `bun:"table:api_tokens"`
	ID            int64      `bun:",pk,autoincrement"`
	AccountID     int64      `bun:",notnull"`
	TokenHash     string     `bun:",notnull,unique"`
	Name          string     `bun:",notnull,default:''"`
	CreatedAt     time.Time  `bun:",notnull"`
	LastUsedAt    *time.Time `bun:",nullzero"`
}

type fSetting struct {
	bun.BaseModel `bun:"table:settings"`
	Key           string `bun:",pk"`
	Value         string `bun:",notnull"`
}

type fAudit struct {
	bun.BaseModel `bun:"table:audit_log"`
	ID            int64     `bun:",pk,autoincrement"`
	AccountID     *int64    `bun:",nullzero"`
	Action        string    `bun:",notnull"`
	TargetType    string    `bun:",notnull,default:''"`
	TargetID      string    `bun:",notnull,default:''"`
	Detail        string    `bun:",notnull,default:''"`
	CreatedAt     time.Time `bun:",notnull"`
}

// fEvent is the transactional outbox: models writes an event in the same
// transaction as the change, federation and notifications consume it.
type fEvent struct {
	bun.BaseModel `bun:"table:events"`
	ID            int64      `bun:",pk,autoincrement"`
	Kind          string     `bun:",notnull"`
	ObjectType    string     `bun:",notnull,default:''"`
	ObjectID      int64      `bun:",notnull,default:0"`
	ActorID       int64      `bun:",notnull,default:0"`
	SpaceID       int64      `bun:",notnull,default:0"`
	Data          string     `bun:",notnull,default:''"`
	CreatedAt     time.Time  `bun:",notnull"`
	ProcessedAt   *time.Time `bun:",nullzero"`
}

// fInvite is a single-use sign-up invitation (registration mode invite).
type fInvite struct {
	bun.BaseModel `bun:"table:invites"`
	CodeHash      string     `bun:",pk"`
	CreatedBy     *int64     `bun:",nullzero"`
	CreatedAt     time.Time  `bun:",notnull"`
	ExpiresAt     time.Time  `bun:",notnull"`
	UsedBy        *int64     `bun:",nullzero"`
	UsedAt        *time.Time `bun:",nullzero"`
}

var foundationTables = []any{
	(*fAccount)(nil), (*fActor)(nil), (*fHandle)(nil), (*fSpace)(nil), (*fSession)(nil),
	(*fToken)(nil), (*fSetting)(nil), (*fAudit)(nil), (*fEvent)(nil), (*fInvite)(nil),
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := createTables(ctx, tx, foundationTables...); err != nil {
				return err
			}
			return createIndexes(ctx, tx,
				index{name: "actors_host_username", table: "actors", columns: []string{"host", "username"}},
				index{name: "actors_account", table: "actors", columns: []string{"account_id"}},
				index{name: "sessions_account", table: "sessions", columns: []string{"account_id"}},
				index{name: "events_pending", table: "events", columns: []string{"id"}, where: "processed_at IS NULL"},
				index{name: "audit_created", table: "audit_log", columns: []string{"created_at"}},
			)
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return dropTables(ctx, db, foundationTables...)
	})
}
