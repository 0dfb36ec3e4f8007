package models

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Debate limits.
const (
	MinDebateQuestion    = 5
	MaxDebateQuestion    = 200
	MaxDebateDescription = 10000
	MinDebateOptions     = 2
	MaxDebateOptions     = 20
	MaxDebateOption      = 100
)

// Debate phases. A debate created without opens_at is a draft until a
// moderator opens it; with opens_at it opens by itself then. Once
// closes_at passes it is closed, whatever the stored phase says: the
// phase is computed at read and vote time (PhaseAt), and SettleDebates
// records the change and emits its event.
const (
	DebateDraft  = "draft"
	DebateOpen   = "open"
	DebateClosed = "closed"
)

// Results visibility: counts shown while voting, or only once closed.
// Moderators always see them.
const (
	ResultsLive       = "live"
	ResultsAfterClose = "after_close"
)

// Event kinds of debates and votes, written in the transaction of the
// change. Data JSON:
//   - debate.created, debate.opened, debate.closed: {}
//   - vote.cast: {"options": ["…"]} the voter's whole ballot after the change
//   - vote.withdrawn: {}
//   - debate.results: {"voters": n, "counts": [n…]} after any change of the
//     tally, so federation can batch one Update{Question} per debate.
const (
	EventDebateCreated = "debate.created"
	EventDebateOpened  = "debate.opened"
	EventDebateClosed  = "debate.closed"
	EventVoteCast      = "vote.cast"
	EventVoteWithdrawn = "vote.withdrawn"
	EventDebateResults = "debate.results"
)

// Notification kinds of debates and comments.
const (
	NotifyDebateClosed = "debate.closed" // to local voters: the results are final
	NotifyCommentReply = "comment.reply" // to the local author of the answered comment
)

const (
	receiptLen        = 16  // characters of a receipt (80 bits)
	ballotSecretBytes = 32  // random bytes of a debate's receipt key
	maxDebatesSettled = 100 // debates settled per SettleDebates call
	notifyExcerpt     = 80  // characters of a comment quoted in a notification
)

// Debate is a question put to a space with a fixed list of options, voted
// on by actors (local or remote) with one ballot each.
type Debate struct {
	bun.BaseModel  `bun:"table:debates,alias:d"`
	ID             int64  `bun:",pk,autoincrement"`
	URI            string `bun:"uri,notnull"`
	URL            string `bun:"url,notnull"`
	SpaceID        int64  `bun:",nullzero"`
	AuthorID       int64  `bun:",notnull"`
	ConsultationID int64  `bun:",nullzero"`
	// RemoteConsultationID is, on a copy, its origin's consultation
	// (RemoteConsultation); 0 for local objects and copies of none.
	RemoteConsultationID int64  `bun:",nullzero"`
	ThemeID              int64  `bun:",nullzero"`
	Question             string `bun:",notnull"`
	Description          string `bun:",notnull"`
	DescriptionHTML      string `bun:"description_html,notnull"`
	// Search is the folded question and description (searchText).
	Search            string     `bun:",notnull"`
	Options           []string   `bun:"options,notnull"`
	Multiple          bool       `bun:",notnull"`
	Phase             string     `bun:",notnull"`
	OpensAt           *time.Time `bun:",nullzero"`
	ClosesAt          *time.Time `bun:",nullzero"`
	ClosedAt          *time.Time `bun:",nullzero"`
	ResultsVisibility string     `bun:",notnull"`
	PublicBallot      bool       `bun:",notnull"`
	// BallotSecret keys the receipts; it never leaves the instance.
	BallotSecret     string    `bun:",notnull"`
	Counts           []int     `bun:"counts,notnull"`
	Voters           int       `bun:",notnull"`
	ResultsUpdatedAt time.Time `bun:",notnull"`
	Local            bool      `bun:",notnull"`
	Origin           string    `bun:",notnull"`
	// OriginByInstance is, on a remote copy, the origin's voters per
	// instance host as of its last Update (odn:byInstance); nil when the
	// origin does not publish it (Mastodon) and on local debates.
	OriginByInstance map[string]int `bun:"origin_by_instance"`
	HiddenAt         *time.Time     `bun:",nullzero"`
	DeletedAt        *time.Time     `bun:",nullzero"`
	CreatedAt        time.Time      `bun:",notnull"`
	UpdatedAt        time.Time      `bun:",notnull"`
	// Version counts its edits (from 1): an edit made from another one is
	// refused with ErrEditConflict (see EditVersion).
	Version int64 `bun:",notnull,default:1"`

	Author *Actor `bun:"rel:belongs-to,join:author_id=id"`
	// Current is the phase at load time (PhaseAt(s.Now())).
	Current string `bun:"-"`
	// unlocked: read for a ballot change on PostgreSQL without its row
	// lock, taken only for the tally (writeBallot).
	unlocked bool
	// space and ballot, when ballotRead, were read with the debate for a
	// ballot change on PostgreSQL (debateForBallot): its space (nil
	// without one) and the voter's option indexes.
	space      *Space
	ballot     []int
	ballotRead bool
	// withdrawal: the running ballot change only takes options out,
	// which a hidden debate allows (changeBallotThen).
	withdrawal bool
	// voterErased: the voter's account was erased (debateBallot).
	voterErased bool
}

// PhaseAt is the debate's phase at now: a passed closes_at closes it and a
// passed opens_at opens a draft, whatever the stored phase.
func (d *Debate) PhaseAt(now time.Time) string {
	switch {
	case d.Phase == DebateClosed:
		return DebateClosed
	case d.ClosesAt != nil && !now.Before(*d.ClosesAt):
		return DebateClosed
	case d.Phase == DebateOpen:
		return DebateOpen
	case d.OpensAt != nil && !now.Before(*d.OpensAt):
		return DebateOpen
	}
	return DebateDraft
}

// IsOpen reports whether the debate accepted votes when it was loaded.
func (d *Debate) IsOpen() bool { return d.Current == DebateOpen }

// IsClosed reports whether the debate was closed when it was loaded.
func (d *Debate) IsClosed() bool { return d.Current == DebateClosed }

// ResultsVisible applies the results-visibility rule for a viewer (nil:
// anonymous, or a remote server): live results are public, after_close
// results only once closed; moderators always see those of local
// debates (a copy counts only this instance's ballots until the origin's
// final Update: not the results, even for them).
func (d *Debate) ResultsVisible(viewer *Account) bool {
	return d.ResultsVisibility != ResultsAfterClose || d.Current == DebateClosed || (d.Local && viewer.IsModerator())
}

// Hidden reports whether moderation hid the debate.
func (d *Debate) Hidden() bool { return d.HiddenAt != nil }

// optionIndex returns the index of the option named name, or -1.
func (d *Debate) optionIndex(name string) int {
	for i, o := range d.Options {
		if o == name {
			return i
		}
	}
	return -1
}

// DebateInput is what a moderator fills in to create a debate.
type DebateInput struct {
	Question          string     `json:"question"`
	Description       string     `json:"description"`
	Options           []string   `json:"options"`
	Multiple          bool       `json:"multiple"`
	OpensAt           *time.Time `json:"opens_at"`
	ClosesAt          *time.Time `json:"closes_at"`
	ResultsVisibility string     `json:"results_visibility"`
	PublicBallot      bool       `json:"public_ballot"`
	ConsultationID    int64      `json:"consultation"`
	// IfVersion is the version the edit was made from (its If-Match, a
	// form's hidden field): another is refused with ErrEditConflict; 0
	// accepts any. Creating ignores it.
	IfVersion int64 `json:"-"`
}

// Validate checks in as CreateDebate does at now, for a form that joins
// these problems to its own (ValidationError.Join).
func (in *DebateInput) Validate(now time.Time) error { return in.validate(now) }

func (in *DebateInput) validate(now time.Time) error {
	v := &ValidationError{}
	in.Question = strings.TrimSpace(in.Question)
	if n := utf8.RuneCountInString(in.Question); n < MinDebateQuestion || n > MaxDebateQuestion {
		v.Add("question", fmt.Sprintf("The question must have %d to %d characters.", MinDebateQuestion, MaxDebateQuestion))
	}
	in.Description = strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(in.Description) > MaxDebateDescription {
		v.Add("description", fmt.Sprintf("The description must have at most %d characters.", MaxDebateDescription))
	}
	opts := make([]string, 0, len(in.Options))
	for _, o := range in.Options {
		o = oneLine(o)
		if o == "" {
			continue
		}
		if utf8.RuneCountInString(o) > MaxDebateOption {
			v.Add("options", fmt.Sprintf("Each option must have at most %d characters.", MaxDebateOption))
		}
		for _, prev := range opts {
			if strings.EqualFold(prev, o) {
				v.Add("options", "The options must all be different.")
			}
		}
		opts = append(opts, o)
	}
	in.Options = opts
	if len(opts) < MinDebateOptions || len(opts) > MaxDebateOptions {
		v.Add("options", fmt.Sprintf("A debate needs %d to %d options.", MinDebateOptions, MaxDebateOptions))
	}
	switch in.ResultsVisibility {
	case "":
		in.ResultsVisibility = ResultsLive
	case ResultsLive, ResultsAfterClose:
	default:
		v.Add("results_visibility", "Results are shown live or after the close.")
	}
	if in.OpensAt != nil {
		t := in.OpensAt.UTC().Truncate(time.Microsecond)
		in.OpensAt = &t
	}
	if in.ClosesAt != nil {
		t := in.ClosesAt.UTC().Truncate(time.Microsecond)
		in.ClosesAt = &t
		switch {
		case !t.After(now):
			v.Add("closes_at", "The closing date must be in the future.")
		case in.OpensAt != nil && !t.After(*in.OpensAt):
			v.Add("closes_at", "The closing date must come after the opening date.")
		}
	}
	if in.ConsultationID < 0 {
		v.Add("consultation", "Unknown consultation.")
	}
	return v.Err()
}

// oneLine collapses runs of white space (newlines included) to one space
// and trims, for questions and option names.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
