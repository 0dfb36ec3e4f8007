package migrations

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Frozen copies of the debate, vote, comment and moderation tables as
// first shipped.

// fDebate is a poll put to a space. options and counts are JSON arrays
// of the same length; counts is a cache that Recount rebuilds from
// debate_votes. ballot_secret keys the pseudonymous receipts and is never
// published.
type fDebate struct {
	bun.BaseModel     `bun:"table:debates"`
	ID                int64      `bun:",pk,autoincrement"`
	URI               string     `bun:"uri,notnull,unique"`
	URL               string     `bun:"url,notnull,default:''"`
	SpaceID           *int64     `bun:",nullzero"`
	AuthorID          int64      `bun:",notnull"`
	ConsultationID    *int64     `bun:",nullzero"`
	ThemeID           *int64     `bun:",nullzero"`
	Question          string     `bun:",notnull"`
	Description       string     `bun:",notnull,default:''"`
	DescriptionHTML   string     `bun:"description_html,notnull,default:''"`
	Options           string     `bun:",notnull"`
	Multiple          bool       `bun:",notnull,default:false"`
	Phase             string     `bun:",notnull,default:'draft'"`
	OpensAt           *time.Time `bun:",nullzero"`
	ClosesAt          *time.Time `bun:",nullzero"`
	ClosedAt          *time.Time `bun:",nullzero"`
	ResultsVisibility string     `bun:",notnull,default:'live'"`
	PublicBallot      bool       `bun:",notnull,default:false"`
	BallotSecret      string     `bun:",notnull,default:''"`
	Counts            string     `bun:",notnull,default:'[]'"`
	Voters            int        `bun:",notnull,default:0"`
	ResultsUpdatedAt  time.Time  `bun:",notnull"`
	Local             bool       `bun:",notnull,default:true"`
	Origin            string     `bun:",notnull,default:''"`
	HiddenAt          *time.Time `bun:",nullzero"`
	DeletedAt         *time.Time `bun:",nullzero"`
	CreatedAt         time.Time  `bun:",notnull"`
	UpdatedAt         time.Time  `bun:",notnull"`
}

// fDebateVote is one chosen option of one voter: one row per option, so
// a multiple-choice ballot has several rows and the UNIQUE constraint
// makes a double count impossible.
type fDebateVote struct {
	bun.BaseModel `bun:"table:debate_votes"`
	ID            int64     `bun:",pk,autoincrement"`
	DebateID      int64     `bun:",notnull,unique:debate_votes_one"`
	ActorID       int64     `bun:",notnull,unique:debate_votes_one"`
	OptionIndex   int       `bun:",notnull,unique:debate_votes_one"`
	Receipt       string    `bun:",notnull"`
	CreatedAt     time.Time `bun:",notnull"`
}

// fDebateBallot is one voter's ballot: one per actor and debate.
type fDebateBallot struct {
	bun.BaseModel `bun:"table:debate_ballots"`
	ID            int64     `bun:",pk,autoincrement"`
	DebateID      int64     `bun:",notnull,unique:debate_ballots_one"`
	ActorID       int64     `bun:",notnull,unique:debate_ballots_one"`
	Receipt       string    `bun:",notnull"`
	Host          string    `bun:",notnull"`
	CreatedAt     time.Time `bun:",notnull"`
	UpdatedAt     time.Time `bun:",notnull"`
}

// fComment is a threaded comment on a proposal, debate or petition.
// root_id is the top-level comment of the thread (NULL for top-level
// ones), so a page of threads loads all its replies in one query.
type fComment struct {
	bun.BaseModel  `bun:"table:comments"`
	ID             int64      `bun:",pk,autoincrement"`
	URI            string     `bun:"uri,notnull,unique"`
	URL            string     `bun:"url,notnull,default:''"`
	ObjectType     string     `bun:",notnull"`
	ObjectID       int64      `bun:",notnull"`
	SpaceID        *int64     `bun:",nullzero"`
	ConsultationID *int64     `bun:",nullzero"`
	AuthorID       int64      `bun:",notnull"`
	ParentID       *int64     `bun:",nullzero"`
	RootID         *int64     `bun:",nullzero"`
	Depth          int        `bun:",notnull,default:0"`
	Stance         string     `bun:",notnull,default:''"`
	Body           string     `bun:",notnull,default:''"`
	BodyHTML       string     `bun:"body_html,notnull,default:''"`
	InReplyToURI   string     `bun:"in_reply_to_uri,notnull,default:''"`
	Local          bool       `bun:",notnull,default:true"`
	Origin         string     `bun:",notnull,default:''"`
	EditedAt       *time.Time `bun:",nullzero"`
	HiddenAt       *time.Time `bun:",nullzero"`
	DeletedAt      *time.Time `bun:",nullzero"`
	CreatedAt      time.Time  `bun:",notnull"`
	UpdatedAt      time.Time  `bun:",notnull"`
}

// fReport is a moderation report (local form or remote Flag). One report
// per reporter and object.
type fReport struct {
	bun.BaseModel `bun:"table:reports"`
	ID            int64      `bun:",pk,autoincrement"`
	URI           *string    `bun:"uri,nullzero,unique"`
	ObjectType    string     `bun:",notnull,unique:reports_one"`
	ObjectID      int64      `bun:",notnull,unique:reports_one"`
	ReporterID    int64      `bun:",notnull,unique:reports_one"`
	SpaceID       *int64     `bun:",nullzero"`
	Reason        string     `bun:",notnull"`
	Status        string     `bun:",notnull,default:'open'"`
	Resolution    string     `bun:",notnull,default:''"`
	ResolvedBy    *int64     `bun:",nullzero"`
	ResolvedAt    *time.Time `bun:",nullzero"`
	CreatedAt     time.Time  `bun:",notnull"`
}

// debateTables are created in order with their foreign keys; as in the
// civic tables, a debate deletes its votes and ballots, while actors and
// spaces (erased in place, never deleted) restrict.
var debateTables = []civicTable{
	{(*fDebate)(nil), []string{"(space_id) REFERENCES spaces (id)", "(author_id) REFERENCES actors (id)"}},
	{(*fDebateVote)(nil), []string{"(debate_id) REFERENCES debates (id) ON DELETE CASCADE", "(actor_id) REFERENCES actors (id)"}},
	{(*fDebateBallot)(nil), []string{"(debate_id) REFERENCES debates (id) ON DELETE CASCADE", "(actor_id) REFERENCES actors (id)"}},
	{(*fComment)(nil), []string{"(space_id) REFERENCES spaces (id)", "(author_id) REFERENCES actors (id)", "(parent_id) REFERENCES comments (id)"}},
	{(*fReport)(nil), []string{"(reporter_id) REFERENCES actors (id)", "(resolved_by) REFERENCES accounts (id)"}},
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, t := range debateTables {
				q := tx.NewCreateTable().Model(t.model)
				for _, fk := range t.fks {
					q = q.ForeignKey(fk)
				}
				if _, err := q.Exec(ctx); err != nil {
					return fmt.Errorf("create table %T: %w", t.model, err)
				}
			}
			return createIndexes(ctx, tx,
				index{name: "debates_space", table: "debates", columns: []string{"space_id", "id"}},
				index{name: "debate_votes_count", table: "debate_votes", columns: []string{"debate_id", "option_index"}},
				index{name: "debate_ballots_receipt", table: "debate_ballots", columns: []string{"debate_id", "receipt"}},
				index{name: "debate_ballots_actor", table: "debate_ballots", columns: []string{"actor_id"}},
				index{name: "comments_threads", table: "comments", columns: []string{"object_type", "object_id", "stance", "id"}, where: "parent_id IS NULL"},
				index{name: "comments_root", table: "comments", columns: []string{"root_id", "id"}},
				index{name: "comments_parent", table: "comments", columns: []string{"parent_id"}},
				index{name: "comments_author", table: "comments", columns: []string{"author_id"}},
				index{name: "comments_in_reply_to", table: "comments", columns: []string{"in_reply_to_uri"}},
				index{name: "reports_queue", table: "reports", columns: []string{"status", "id"}},
				index{name: "reports_object", table: "reports", columns: []string{"object_type", "object_id"}},
			)
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for i := len(debateTables) - 1; i >= 0; i-- {
				if _, err := tx.NewDropTable().Model(debateTables[i].model).IfExists().Exec(ctx); err != nil {
					return fmt.Errorf("drop table %T: %w", debateTables[i].model, err)
				}
			}
			return nil
		})
	})
}
