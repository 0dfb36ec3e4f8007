package migrations

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Frozen copies of the consultation tables as first shipped.

// fConsultation is a question put to the public within a space; its four
// phases are contiguous, each starting when the previous one ends.
type fConsultation struct {
	bun.BaseModel  `bun:"table:consultations"`
	ID             int64      `bun:",pk,autoincrement"`
	URI            string     `bun:"uri,notnull,unique"`
	SpaceID        int64      `bun:",notnull"`
	Title          string     `bun:",notnull"`
	Summary        string     `bun:",notnull,default:''"`
	Body           string     `bun:",notnull,default:''"`
	BodyHTML       string     `bun:"body_html,notnull,default:''"`
	BannerID       *int64     `bun:",nullzero"`
	BannerAlt      string     `bun:",notnull,default:''"`
	OpensAt        time.Time  `bun:",notnull"`
	ContributionAt time.Time  `bun:",notnull"`
	SynthesisAt    time.Time  `bun:",notnull"`
	ClosesAt       time.Time  `bun:",notnull"`
	MapEnabled     bool       `bun:",notnull,default:false"`
	CreatedBy      *int64     `bun:",nullzero"`
	AuthorID       int64      `bun:",notnull"`
	Local          bool       `bun:",notnull,default:true"`
	Origin         string     `bun:",notnull,default:''"`
	CreatedAt      time.Time  `bun:",notnull"`
	UpdatedAt      time.Time  `bun:",notnull"`
	DeletedAt      *time.Time `bun:",nullzero"`
}

// fTheme is a sub-section of a consultation grouping contributions.
type fTheme struct {
	bun.BaseModel  `bun:"table:consultation_themes"`
	ID             int64     `bun:",pk,autoincrement"`
	ConsultationID int64     `bun:",notnull,unique:consultation_themes_name"`
	Name           string    `bun:",notnull,unique:consultation_themes_name"`
	Description    string    `bun:",notnull,default:''"`
	Position       int       `bun:",notnull,default:0"`
	CreatedAt      time.Time `bun:",notnull"`
}

// fUpload is a file stored on disk under a random name.
type fUpload struct {
	bun.BaseModel `bun:"table:uploads"`
	ID            int64     `bun:",pk,autoincrement"`
	Key           string    `bun:",notnull,unique"`
	SpaceID       int64     `bun:",notnull"`
	AccountID     *int64    `bun:",nullzero"`
	ContentType   string    `bun:",notnull"`
	Size          int64     `bun:",notnull"`
	Name          string    `bun:",notnull,default:''"`
	SHA256        string    `bun:"sha256,notnull"`
	CreatedAt     time.Time `bun:",notnull"`
}

// fDocument is an information sheet, an attached file or a FAQ entry.
type fDocument struct {
	bun.BaseModel  `bun:"table:consultation_documents"`
	ID             int64     `bun:",pk,autoincrement"`
	ConsultationID int64     `bun:",notnull"`
	Kind           string    `bun:",notnull"`
	Title          string    `bun:",notnull"`
	Body           string    `bun:",notnull,default:''"`
	BodyHTML       string    `bun:"body_html,notnull,default:''"`
	UploadID       *int64    `bun:",nullzero"`
	Position       int       `bun:",notnull,default:0"`
	CreatedAt      time.Time `bun:",notnull"`
	UpdatedAt      time.Time `bun:",notnull"`
}

// fWorkshop is a contribution made in a physical workshop and recorded by
// a moderator.
type fWorkshop struct {
	bun.BaseModel  `bun:"table:workshop_contributions"`
	ID             int64      `bun:",pk,autoincrement"`
	URI            string     `bun:"uri,notnull,unique"`
	SpaceID        int64      `bun:",notnull"`
	ConsultationID int64      `bun:",notnull"`
	ThemeID        *int64     `bun:",nullzero"`
	AuthorID       int64      `bun:",notnull"`
	RecordedBy     *int64     `bun:",nullzero"`
	Title          string     `bun:",notnull"`
	Body           string     `bun:",notnull,default:''"`
	BodyHTML       string     `bun:"body_html,notnull,default:''"`
	HeldAt         time.Time  `bun:",notnull"`
	Place          string     `bun:",notnull,default:''"`
	Participants   int        `bun:",notnull,default:0"`
	SheetID        *int64     `bun:",nullzero"`
	Lat            *float64   `bun:",nullzero"`
	Lon            *float64   `bun:",nullzero"`
	HiddenAt       *time.Time `bun:",nullzero"`
	DeletedAt      *time.Time `bun:",nullzero"`
	CreatedAt      time.Time  `bun:",notnull"`
	UpdatedAt      time.Time  `bun:",notnull"`
}

// fSynthesis is the one synthesis of a consultation.
type fSynthesis struct {
	bun.BaseModel  `bun:"table:syntheses"`
	ID             int64      `bun:",pk,autoincrement"`
	URI            string     `bun:"uri,notnull,unique"`
	SpaceID        int64      `bun:",notnull"`
	ConsultationID int64      `bun:",notnull,unique"`
	AuthorID       int64      `bun:",notnull"`
	Body           string     `bun:",notnull,default:''"`
	BodyHTML       string     `bun:"body_html,notnull,default:''"`
	PublishedAt    *time.Time `bun:",nullzero"`
	CreatedAt      time.Time  `bun:",notnull"`
	UpdatedAt      time.Time  `bun:",notnull"`
}

// fSynthesisRecipient records that a contributor was told about a
// synthesis: the primary key makes "exactly once" a database rule.
type fSynthesisRecipient struct {
	bun.BaseModel `bun:"table:synthesis_recipients"`
	SynthesisID   int64      `bun:",pk"`
	ActorID       int64      `bun:",pk"`
	NotifiedAt    time.Time  `bun:",notnull"`
	EmailedAt     *time.Time `bun:",nullzero"`
}

// fNews is an announcement of a space.
type fNews struct {
	bun.BaseModel  `bun:"table:news"`
	ID             int64      `bun:",pk,autoincrement"`
	URI            string     `bun:"uri,notnull,unique"`
	SpaceID        int64      `bun:",notnull"`
	ConsultationID *int64     `bun:",nullzero"`
	AuthorID       int64      `bun:",notnull"`
	Title          string     `bun:",notnull"`
	Body           string     `bun:",notnull,default:''"`
	BodyHTML       string     `bun:"body_html,notnull,default:''"`
	PublishedAt    time.Time  `bun:",notnull"`
	CreatedAt      time.Time  `bun:",notnull"`
	UpdatedAt      time.Time  `bun:",notnull"`
	DeletedAt      *time.Time `bun:",nullzero"`
}

// fLocation places a contribution (proposal, debate, petition…) on a map.
type fLocation struct {
	bun.BaseModel  `bun:"table:contribution_locations"`
	ObjectType     string    `bun:",pk"`
	ObjectID       int64     `bun:",pk"`
	ConsultationID int64     `bun:",notnull"`
	Lat            float64   `bun:",notnull"`
	Lon            float64   `bun:",notnull"`
	CreatedAt      time.Time `bun:",notnull"`
}

var consultationTables = []any{
	(*fConsultation)(nil), (*fTheme)(nil), (*fUpload)(nil), (*fDocument)(nil), (*fWorkshop)(nil),
	(*fSynthesis)(nil), (*fSynthesisRecipient)(nil), (*fNews)(nil), (*fLocation)(nil),
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := createTables(ctx, tx, consultationTables...); err != nil {
				return err
			}
			return createIndexes(ctx, tx,
				index{name: "consultations_space", table: "consultations", columns: []string{"space_id", "opens_at"}},
				index{name: "consultation_documents_consultation", table: "consultation_documents", columns: []string{"consultation_id", "kind", "position"}},
				index{name: "workshop_contributions_consultation", table: "workshop_contributions", columns: []string{"consultation_id", "held_at"}},
				index{name: "news_space", table: "news", columns: []string{"space_id", "published_at"}},
				index{name: "contribution_locations_consultation", table: "contribution_locations", columns: []string{"consultation_id"}},
				index{name: "uploads_space", table: "uploads", columns: []string{"space_id"}},
			)
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return dropTables(ctx, db, consultationTables...)
	})
}
