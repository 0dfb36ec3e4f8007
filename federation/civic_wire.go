package federation

import "time"

// Wire names of odn's civic objects (docs/FEDERATION.md, notes WIRE.md).
// Both directions use these: the publish side writes them, the
// participation side reads them back from peers' documents.

// SignOption is the single poll option of a petition Question: a vote
// Create{Note{name: SignOption, inReplyTo: petition}} is a signature.
const SignOption = "Signer / Sign"

// Values of the odn:type property, the civic kind of a Note or Question.
const (
	ODNTypeProposal       = "Proposal"
	ODNTypeDebate         = "Debate"
	ODNTypePetition       = "Petition"
	ODNTypeComment        = "Comment"
	ODNTypeArgument       = "Argument"
	ODNTypeAnswer         = "Answer"
	ODNTypePetitionUpdate = "PetitionUpdate"
	ODNTypeNews           = "News"
	ODNTypeSynthesis      = "Synthesis"
	ODNTypeConsultation   = "Consultation"
)

// Keys of odn's extension properties as they appear in documents (bare
// "odn:" prefixed terms; peers read plain keys without JSON-LD expansion).
const (
	PropODNType       = "odn:type"
	PropODNStatus     = "odn:status"
	PropODNSupports   = "odn:supports"
	PropODNThreshold  = "odn:threshold"
	PropODNSignatures = "odn:signatures"
	PropODNGoal       = "odn:goal"
	PropODNByInstance = "odn:byInstance"
	PropODNResults    = "odn:resultsVisibility"
	PropODNStance     = "odn:stance"
	PropODNAsOf       = "odn:asOf"
	// PropODNAnsweredAt is when a proposal was last decided (a status
	// set by a moderator, with or without an answer text), to the
	// millisecond, as the published of its answer Note says: a copy tells
	// its supporters once per decision, whichever of the two arrives
	// first.
	PropODNAnsweredAt = "odn:answeredAt"
	// PropODNItems lists the ids of a consultation's proposals, debates
	// and petitions on its synthesis.
	PropODNItems = "odn:items"
	// PropODNPhases lists a consultation's phases ({name, startTime,
	// endTime}, the last without an end); PropODNSynthesis is its
	// published synthesis' id.
	PropODNPhases    = "odn:phases"
	PropODNSynthesis = "odn:synthesis"
	// PropODNConsultation names, on a proposal, debate or petition, the
	// consultation it belongs to, with its phases (ConsultationRef);
	// PropODNWithdrawn is when that consultation was withdrawn.
	PropODNConsultation = "odn:consultation"
	PropODNWithdrawn    = "odn:withdrawn"
	// PropODNOneOf and PropODNAnyOf carry the options of a poll of a
	// consultation before its contribution phase, in place of oneOf and
	// anyOf (which would show Mastodon an open poll): see pollOpensAt.
	PropODNOneOf = "odn:oneOf"
	PropODNAnyOf = "odn:anyOf"
)

// Values of odn:stance on comments that are arguments.
const (
	StanceFor     = "for"
	StanceAgainst = "against"
)

// Path suffixes of the ids of civic objects that have no page of their own.
const (
	RepliesSuffix  = "/replies"  // BASE/p/{id}/replies, BASE/d/{id}/replies, BASE/pe/{id}/replies
	AnswerSuffix   = "/answer"   // BASE/p/{id}/answer: a proposal's official answer
	ResponseSuffix = "/response" // BASE/pe/{id}/response: a petition's response
)

// CountUpdateDelay is the batching window of count Updates (supports,
// signatures, poll results): at most one Update{object} per object per
// CountUpdateDelay, and always a final one when a debate or petition closes.
const CountUpdateDelay = 30 * time.Second
