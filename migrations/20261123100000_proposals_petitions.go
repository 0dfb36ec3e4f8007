package migrations

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Frozen copies of the civic proposal, petition and notification tables as
// first shipped.

// fProposal: space_id is NULL only for a remote proposal that no local
// space relays. search is the lower-cased, accent-stripped plain text of
// title and body, so one LIKE finds "École" from "ecole" on both dialects.
type fProposal struct {
	bun.BaseModel      `bun:"table:proposals"`
	ID                 int64      `bun:",pk,autoincrement"`
	URI                string     `bun:"uri,notnull,unique"`
	URL                string     `bun:"url,notnull,default:''"`
	Local              bool       `bun:",notnull,default:true"`
	Origin             string     `bun:",notnull,default:''"`
	SpaceID            *int64     `bun:",nullzero"`
	AuthorID           int64      `bun:",notnull"`
	ConsultationID     *int64     `bun:",nullzero"`
	ThemeID            *int64     `bun:",nullzero"`
	Title              string     `bun:",notnull"`
	Body               string     `bun:",notnull,default:''"`
	BodyHTML           string     `bun:"body_html,notnull,default:''"`
	Search             string     `bun:",notnull,default:''"`
	Status             string     `bun:",notnull,default:'open'"`
	SupportsCount      int        `bun:",notnull,default:0"`
	ThresholdReachedAt *time.Time `bun:",nullzero"`
	Answer             string     `bun:",notnull,default:''"`
	AnswerHTML         string     `bun:"answer_html,notnull,default:''"`
	AnsweredBy         *int64     `bun:",nullzero"`
	AnsweredAt         *time.Time `bun:",nullzero"`
	HiddenAt           *time.Time `bun:",nullzero"`
	DeletedAt          *time.Time `bun:",nullzero"`
	CreatedAt          time.Time  `bun:",notnull"`
	UpdatedAt          time.Time  `bun:",notnull"`
}

type fProposalTag struct {
	bun.BaseModel `bun:"table:proposal_tags"`
	ProposalID    int64  `bun:",pk"`
	Tag           string `bun:",pk"`
}

// fSupport: one per actor per proposal, enforced by the database.
type fSupport struct {
	bun.BaseModel `bun:"table:supports"`
	ID            int64     `bun:",pk,autoincrement"`
	ProposalID    int64     `bun:",notnull,unique:supports_proposal_actor"`
	ActorID       int64     `bun:",notnull,unique:supports_proposal_actor"`
	CreatedAt     time.Time `bun:",notnull"`
}

type fPetition struct {
	bun.BaseModel   `bun:"table:petitions"`
	ID              int64      `bun:",pk,autoincrement"`
	URI             string     `bun:"uri,notnull,unique"`
	URL             string     `bun:"url,notnull,default:''"`
	Local           bool       `bun:",notnull,default:true"`
	Origin          string     `bun:",notnull,default:''"`
	SpaceID         *int64     `bun:",nullzero"`
	AuthorID        int64      `bun:",notnull"`
	AddresseeID     *int64     `bun:",nullzero"`
	ConsultationID  *int64     `bun:",nullzero"`
	ThemeID         *int64     `bun:",nullzero"`
	Title           string     `bun:",notnull"`
	Body            string     `bun:",notnull,default:''"`
	BodyHTML        string     `bun:"body_html,notnull,default:''"`
	Search          string     `bun:",notnull,default:''"`
	Goal            int        `bun:",notnull"`
	SignaturesCount int        `bun:",notnull,default:0"`
	ClosesAt        *time.Time `bun:",nullzero"`
	Status          string     `bun:",notnull,default:'open'"`
	Response        string     `bun:",notnull,default:''"`
	ResponseHTML    string     `bun:"response_html,notnull,default:''"`
	RespondedAt     *time.Time `bun:",nullzero"`
	HiddenAt        *time.Time `bun:",nullzero"`
	DeletedAt       *time.Time `bun:",nullzero"`
	CreatedAt       time.Time  `bun:",notnull"`
	UpdatedAt       time.Time  `bun:",notnull"`
}

// fSignature: one per actor per petition, enforced by the database.
type fSignature struct {
	bun.BaseModel `bun:"table:signatures"`
	ID            int64     `bun:",pk,autoincrement"`
	PetitionID    int64     `bun:",notnull,unique:signatures_petition_actor"`
	ActorID       int64     `bun:",notnull,unique:signatures_petition_actor"`
	Public        bool      `bun:",notnull,default:false"`
	CreatedAt     time.Time `bun:",notnull"`
}

// fPetitionMilestone: each percentage of the goal is recorded once.
type fPetitionMilestone struct {
	bun.BaseModel `bun:"table:petition_milestones"`
	PetitionID    int64     `bun:",pk"`
	Percent       int       `bun:",pk"`
	Signatures    int       `bun:",notnull"`
	ReachedAt     time.Time `bun:",notnull"`
}

type fPetitionUpdate struct {
	bun.BaseModel `bun:"table:petition_updates"`
	ID            int64     `bun:",pk,autoincrement"`
	URI           string    `bun:"uri,notnull,unique"`
	PetitionID    int64     `bun:",notnull"`
	AuthorID      int64     `bun:",notnull"`
	Body          string    `bun:",notnull"`
	BodyHTML      string    `bun:"body_html,notnull"`
	CreatedAt     time.Time `bun:",notnull"`
}

type fNotification struct {
	bun.BaseModel `bun:"table:notifications"`
	ID            int64      `bun:",pk,autoincrement"`
	AccountID     int64      `bun:",notnull"`
	Kind          string     `bun:",notnull"`
	ObjectType    string     `bun:",notnull,default:''"`
	ObjectID      int64      `bun:",notnull,default:0"`
	ActorID       *int64     `bun:",nullzero"`
	Data          string     `bun:",notnull,default:''"`
	CreatedAt     time.Time  `bun:",notnull"`
	ReadAt        *time.Time `bun:",nullzero"`
}

// civicTable is one table with its foreign keys. Parents delete their
// children (supports, signatures…); actors and spaces are never deleted
// (they are erased in place), so references to them restrict.
type civicTable struct {
	model any
	fks   []string
}

var civicTables = []civicTable{
	{(*fProposal)(nil), []string{
		"(space_id) REFERENCES spaces (id)", "(author_id) REFERENCES actors (id)", "(answered_by) REFERENCES actors (id)"}},
	{(*fProposalTag)(nil), []string{"(proposal_id) REFERENCES proposals (id) ON DELETE CASCADE"}},
	{(*fSupport)(nil), []string{
		"(proposal_id) REFERENCES proposals (id) ON DELETE CASCADE", "(actor_id) REFERENCES actors (id)"}},
	{(*fPetition)(nil), []string{
		"(space_id) REFERENCES spaces (id)", "(author_id) REFERENCES actors (id)", "(addressee_id) REFERENCES actors (id)"}},
	{(*fSignature)(nil), []string{
		"(petition_id) REFERENCES petitions (id) ON DELETE CASCADE", "(actor_id) REFERENCES actors (id)"}},
	{(*fPetitionMilestone)(nil), []string{"(petition_id) REFERENCES petitions (id) ON DELETE CASCADE"}},
	{(*fPetitionUpdate)(nil), []string{
		"(petition_id) REFERENCES petitions (id) ON DELETE CASCADE", "(author_id) REFERENCES actors (id)"}},
	{(*fNotification)(nil), []string{
		"(account_id) REFERENCES accounts (id) ON DELETE CASCADE", "(actor_id) REFERENCES actors (id)"}},
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, t := range civicTables {
				q := tx.NewCreateTable().Model(t.model)
				for _, fk := range t.fks {
					q = q.ForeignKey(fk)
				}
				if _, err := q.Exec(ctx); err != nil {
					return fmt.Errorf("create table %T: %w", t.model, err)
				}
			}
			return createIndexes(ctx, tx,
				index{name: "proposals_space_status", table: "proposals", columns: []string{"space_id", "status", "id"}},
				index{name: "proposals_space_supports", table: "proposals", columns: []string{"space_id", "supports_count", "id"}},
				index{name: "proposals_author", table: "proposals", columns: []string{"author_id"}},
				index{name: "proposals_consultation", table: "proposals", columns: []string{"consultation_id"}},
				index{name: "proposal_tags_tag", table: "proposal_tags", columns: []string{"tag", "proposal_id"}},
				index{name: "supports_actor", table: "supports", columns: []string{"actor_id"}},
				index{name: "petitions_space_status", table: "petitions", columns: []string{"space_id", "status", "id"}},
				index{name: "petitions_author", table: "petitions", columns: []string{"author_id"}},
				index{name: "petitions_addressee", table: "petitions", columns: []string{"addressee_id"}},
				index{name: "petitions_consultation", table: "petitions", columns: []string{"consultation_id"}},
				index{name: "signatures_actor", table: "signatures", columns: []string{"actor_id"}},
				index{name: "signatures_petition_public", table: "signatures", columns: []string{"petition_id", "id"}, where: "public"},
				index{name: "petition_updates_petition", table: "petition_updates", columns: []string{"petition_id", "id"}},
				index{name: "notifications_account", table: "notifications", columns: []string{"account_id", "id"}},
				index{name: "notifications_unread", table: "notifications", columns: []string{"account_id"}, where: "read_at IS NULL"},
			)
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for i := len(civicTables) - 1; i >= 0; i-- {
				if _, err := tx.NewDropTable().Model(civicTables[i].model).IfExists().Exec(ctx); err != nil {
					return fmt.Errorf("drop table %T: %w", civicTables[i].model, err)
				}
			}
			return nil
		})
	})
}
