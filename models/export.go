package models

import (
	"time"
)

// Open data exports (DESIGN.md §7): what a space publishes, in a stable
// shape that does not follow the internal structs. Exports hold only
// public data: no e-mail, password hash, key, session or token, no
// hidden or deleted content, no names of signers who did not choose to
// show their name, and debate ballots only as pseudonymous receipts
// (with the voter's handle only when the debate is a public ballot).
// Only local objects are exported: for a relayed remote object, its
// origin instance is authoritative and publishes its own data.

// Licence describes the licence of a space's open data.
type Licence struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// licences describes each accepted licence identifier.
var licences = map[string]Licence{
	LicenceODbL:    {LicenceODbL, "Open Data Commons Open Database License (ODbL) v1.0", "https://opendatacommons.org/licenses/odbl/1-0/"},
	LicenceOuverte: {LicenceOuverte, "Licence Ouverte / Open Licence 2.0 (Etalab)", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"},
	LicenceCCBY:    {LicenceCCBY, "Creative Commons Attribution 4.0 International", "https://creativecommons.org/licenses/by/4.0/"},
}

// LicenceOf describes a licence identifier; an empty or unknown one is
// the default licence (ODbL), which is what a space without a choice
// publishes under.
func LicenceOf(id string) Licence {
	if l, ok := licences[id]; ok {
		return l
	}
	return licences[DefaultLicence]
}

// ExportQuery selects a space's data, or one item of it when Kind and ID
// are set.
type ExportQuery struct {
	Space string
	Kind  string // "" (whole space), ObjectTypeProposal, ObjectTypeDebate or ObjectTypePetition
	ID    int64
}

// Export is a space's open data (or one item's) at one moment.
type Export struct {
	Generator  string            `json:"generator"`
	ExportedAt time.Time         `json:"exported_at"`
	Licence    Licence           `json:"licence"`
	Space      ExportSpace       `json:"space"`
	Proposals  []*ExportProposal `json:"proposals"`
	Debates    []*ExportDebate   `json:"debates"`
	Petitions  []*ExportPetition `json:"petitions"`
	Comments   []*ExportComment  `json:"comments"`
	Notes      map[string]string `json:"notes"`
}

// ExportSpace is the exported description of the space.
type ExportSpace struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Kind        string `json:"kind"`
	Description string `json:"description"`
	Policy      string `json:"policy"`
	URI         string `json:"uri"`
	URL         string `json:"url"`
}

// ExportProposal is one proposal with its support count and status.
type ExportProposal struct {
	ID             int64      `json:"id"`
	URI            string     `json:"uri"`
	URL            string     `json:"url"`
	Title          string     `json:"title"`
	Body           string     `json:"body"`
	Author         string     `json:"author"`
	Tags           []string   `json:"tags"`
	Status         string     `json:"status"`
	Supports       int        `json:"supports"`
	ThresholdAt    *time.Time `json:"threshold_reached_at"`
	Answer         string     `json:"answer"`
	AnsweredAt     *time.Time `json:"answered_at"`
	ConsultationID int64      `json:"consultation_id,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// ExportDebate is one debate with its options and, once published, its
// results, per-instance breakdown and receipts.
type ExportDebate struct {
	ID             int64      `json:"id"`
	URI            string     `json:"uri"`
	URL            string     `json:"url"`
	Question       string     `json:"question"`
	Description    string     `json:"description"`
	Author         string     `json:"author"`
	Multiple       bool       `json:"multiple"`
	Phase          string     `json:"phase"`
	OpensAt        *time.Time `json:"opens_at"`
	ClosesAt       *time.Time `json:"closes_at"`
	ClosedAt       *time.Time `json:"closed_at"`
	PublicBallot   bool       `json:"public_ballot"`
	ConsultationID int64      `json:"consultation_id,omitempty"`
	// ResultsPublished is false while the results are kept secret until
	// the close; counts, breakdown and receipts are then left out.
	ResultsPublished bool            `json:"results_published"`
	Options          []ExportOption  `json:"options"`
	Voters           int             `json:"voters"`
	ByInstance       map[string]int  `json:"by_instance"`
	ResultsUpdatedAt time.Time       `json:"results_updated_at"`
	Receipts         []ExportReceipt `json:"receipts"`
	CreatedAt        time.Time       `json:"created_at"`
}

// ExportOption is one option of a debate with its published count.
type ExportOption struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// ExportReceipt is one ballot as published: a pseudonymous receipt (a
// voter finds theirs on their ballot page) and the chosen options, so
// anyone can recount. Voter is set only for a public ballot.
type ExportReceipt struct {
	Receipt string   `json:"receipt"`
	Options []string `json:"options"`
	Voter   string   `json:"voter,omitempty"`
}

// ExportPetition is one petition with its counts, milestones, updates,
// response and the signers who chose to show their name.
type ExportPetition struct {
	ID         int64      `json:"id"`
	URI        string     `json:"uri"`
	URL        string     `json:"url"`
	Title      string     `json:"title"`
	Body       string     `json:"body"`
	Author     string     `json:"author"`
	Addressee  string     `json:"addressee"`
	Goal       int        `json:"goal"`
	Signatures int        `json:"signatures"`
	Status     string     `json:"status"`
	ClosesAt   *time.Time `json:"closes_at"`
	// ClosedBy: "author" or "moderator" when the petition was closed
	// before its deadline (its closes_at is then the moment of the close).
	ClosedBy       string            `json:"closed_by,omitempty"`
	Response       string            `json:"response"`
	RespondedAt    *time.Time        `json:"responded_at"`
	ConsultationID int64             `json:"consultation_id,omitempty"`
	Milestones     []ExportMilestone `json:"milestones"`
	PublicSigners  []ExportSigner    `json:"public_signers"`
	Updates        []ExportUpdate    `json:"updates"`
	CreatedAt      time.Time         `json:"created_at"`
}

// ExportMilestone is a share of the goal reached at a moment.
type ExportMilestone struct {
	Percent    int       `json:"percent"`
	Signatures int       `json:"signatures"`
	ReachedAt  time.Time `json:"reached_at"`
}

// ExportSigner is a signer who chose public display.
type ExportSigner struct {
	Signer   string    `json:"signer"`
	SignedAt time.Time `json:"signed_at"`
}

// ExportUpdate is a news item the petition's author sent to signers.
type ExportUpdate struct {
	URI       string    `json:"uri"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// ExportComment is a visible comment on an exported object.
type ExportComment struct {
	ID         int64      `json:"id"`
	URI        string     `json:"uri"`
	ObjectType string     `json:"object_type"`
	ObjectID   int64      `json:"object_id"`
	ParentID   int64      `json:"parent_id,omitempty"`
	Author     string     `json:"author"`
	Stance     string     `json:"stance,omitempty"`
	Body       string     `json:"body"`
	CreatedAt  time.Time  `json:"created_at"`
	EditedAt   *time.Time `json:"edited_at"`
}

// exportNotes explain the export to its readers; they are part of every
// JSON export and of the README of the ZIP.
var exportNotes = map[string]string{
	"scope":     "Local, visible content of the space only. Hidden and deleted content, and copies of other instances' content, are left out.",
	"personal":  "No e-mail address, password, key or private setting. Authors are fediverse handles (name@host); \"\" is an erased account. Petition signers appear only when they chose to show their name.",
	"receipts":  "Each debate ballot appears as a pseudonymous receipt (an HMAC of the voter with a secret of the debate) with the chosen options, so anyone can recount; the voter is named only for a public ballot. The receipt list is published once the debate is closed; results kept secret until the close are left out until then.",
	"authority": "The instance that publishes this file is authoritative for these objects and tallies.",
}
