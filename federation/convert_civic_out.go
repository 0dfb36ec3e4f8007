package federation

import (
	"fmt"
	"html"
	"maps"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// Local civic objects as ActivityStreams (notes WIRE.md, docs/FEDERATION.md).
// This file is the only place where proposals, debates, petitions,
// comments, answers, petition updates, news and syntheses become Notes
// and Questions. Like the rest of convert_out.go they are built as plain
// maps: go-fed's typed builders lack votersCount, Hashtag, audience and
// odn's terms, and the golden tests check that every document still
// round-trips through ParseActivity (go-fed).
//
// Mastodon shows Note and Question fully, so every object is one of them:
// the title comes first in bold, then the text, a status line, hashtags
// and a link to the HTML permalink, all reduced by OutgoingHTML to the
// HTML Mastodon keeps.

// civicAddressing sets to/cc/audience of a public civic object: to the
// public, cc the space's and the author's followers (and extra ids, such
// as mentioned actors), audience the space (FEP-1b12).
func civicAddressing(d doc, space *models.Space, author *models.Actor, extraCC ...string) {
	var cc []string
	if space != nil && space.Actor != nil {
		cc = append(cc, space.Actor.FollowersURI)
		d["audience"] = space.Actor.URI
	}
	if author != nil && author.FollowersURI != "" && (space == nil || space.Actor == nil || author.ID != space.Actor.ID) {
		cc = append(cc, author.FollowersURI)
	}
	for _, id := range extraCC {
		if id != "" && !contains(cc, id) {
			cc = append(cc, id)
		}
	}
	d["to"] = []string{PublicCollection}
	if len(cc) > 0 {
		d["cc"] = cc
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stamp sets published, and updated when the object changed after it was
// published (Mastodon shows an "edited" mark when updated is present).
func stamp(d doc, published, updated time.Time) {
	d["published"] = rfc3339(published)
	if updated.After(published.Add(time.Second)) {
		d["updated"] = updatedStamp(updated)
	}
}

// headingRE matches HTML headings, which Mastodon drops (keeping the
// text glued to the next paragraph): they become bold paragraphs.
var headingRE = regexp.MustCompile(`(?is)<h[1-6][^>]*>(.*?)</h[1-6]>`)

// bodyHTML prepares rendered Markdown for Mastodon's HTML subset.
func bodyHTML(s string) string {
	return headingRE.ReplaceAllString(s, "<p><strong>$1</strong></p>")
}

// titleHTML is the first paragraph: the title in bold.
func titleHTML(title string) string {
	return "<p><strong>" + html.EscapeString(title) + "</strong></p>"
}

// setSource adds the Markdown a body was rendered from (AS2 source): odn
// peers show it as the origin does, Mastodon reads content. Without it a
// copy showed the whole fallback content (title, status line, link).
func setSource(d doc, markdown string) {
	if strings.TrimSpace(markdown) != "" {
		d["source"] = doc{"content": markdown, "mediaType": MediaMarkdown}
	}
}

// The bilingual words odn writes around a description for Mastodon; a peer
// without the source strips them (unwrapODN).
const (
	kindLineProposal = "Proposition / Proposal" // opens a proposal's status line
	kindLineDebate   = "Débat / Debate"
	kindLinePetition = "Pétition / Petition"
	addresseeLabel   = "À / To: " // opens a petition's addressee line
)

// linkHTML is the last paragraph: the HTML permalink.
func linkHTML(u string) string {
	e := html.EscapeString(u)
	return `<p><a href="` + e + `">` + e + `</a></p>`
}

// lineHTML is a paragraph of plain text.
func lineHTML(parts ...string) string {
	return "<p>" + html.EscapeString(strings.Join(parts, " · ")) + "</p>"
}

// mentionHTML is a Mastodon-style mention link of a (local) actor.
func mentionHTML(a *models.Actor) string {
	href := a.URL
	if href == "" {
		href = a.URI
	}
	return `<span class="h-card"><a href="` + html.EscapeString(href) + `" class="u-url mention">@<span>` +
		html.EscapeString(a.Username) + `</span></a></span>`
}

// mentionable reports whether a reply may mention a: not when its account
// was erased, whose user name is no longer shown (models.Actor.Erased)
// and whose actor answers 410; the reply still answers what they wrote.
func mentionable(a *models.Actor) bool { return a != nil && !a.Erased() }

// deletedAccountLabel stands for an erased account's name, in both
// languages, as the pages say "deleted account" ("compte supprimé").
const deletedAccountLabel = "compte supprimé / deleted account"

// addresseeHTML names a petition's addressee: a mention while their
// account lives, deletedAccountLabel once it is erased.
func addresseeHTML(a *models.Actor) string {
	if !mentionable(a) {
		return html.EscapeString(deletedAccountLabel)
	}
	return mentionHTML(a)
}

// mentionTag is the Mention tag of an actor.
func mentionTag(a *models.Actor) doc {
	return doc{"type": "Mention", "href": a.URI, "name": "@" + a.Handle()}
}

// repliesRef is the replies collection reference of an object.
func repliesRef(uri string) doc {
	return doc{"id": uri + RepliesSuffix, "type": "Collection"}
}

// tagHref is where a proposal hashtag leads: the space's proposals with
// that tag.
func tagHref(base string, sp *models.Space, tag string) string {
	if sp == nil {
		return base + "/"
	}
	return base + "/s/" + url.PathEscape(sp.Name) + "/proposals?tag=" + url.QueryEscape(tag)
}

// proposalStatusLabel is the bilingual label of a status.
var proposalStatusLabel = map[string]string{
	models.ProposalOpen:             "ouverte / open",
	models.ProposalThresholdReached: "seuil atteint / threshold reached",
	models.ProposalAccepted:         "acceptée / accepted",
	models.ProposalRejected:         "rejetée / rejected",
	models.ProposalAnswered:         "répondue / answered",
	models.ProposalWithdrawn:        "retirée / withdrawn",
}

// ProposalToNote is a local proposal as a Note. threshold is the space's
// support threshold (0: none). p.Author and p.Space (with its Actor) must
// be loaded; base is the instance's base URL.
func ProposalToNote(base string, p *models.Proposal, threshold int) doc {
	supports := fmt.Sprintf("%d soutiens / supports", p.SupportsCount)
	if threshold > 0 {
		supports = fmt.Sprintf("%d/%d soutiens / supports", p.SupportsCount, threshold)
	}
	var b strings.Builder
	b.WriteString(titleHTML(p.Title))
	b.WriteString(bodyHTML(p.BodyHTML))
	b.WriteString(lineHTML(kindLineProposal, statusLabel(proposalStatusLabel, p.Status), supports))
	var tags []any
	if len(p.Tags) > 0 {
		b.WriteString("<p>")
		for i, t := range p.Tags {
			href := tagHref(base, p.Space, t)
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(`<a href="` + html.EscapeString(href) + `" class="mention hashtag" rel="tag">#<span>` + html.EscapeString(t) + `</span></a>`)
			tags = append(tags, Hashtag(t, href))
		}
		b.WriteString("</p>")
	}
	b.WriteString(linkHTML(p.URL))
	by := byline(p.Author, p.Space, p.CreatedAt)
	d := doc{
		"id": p.URI, "type": "Note", "attributedTo": actorURI(by), "name": p.Title,
		"content": OutgoingHTML(b.String()), "url": p.URL,
		PropODNType: ODNTypeProposal, PropODNStatus: p.Status,
		PropODNSupports: p.SupportsCount, PropODNThreshold: threshold,
		"likes":   doc{"id": p.URI + "/likes", "type": "Collection", "totalItems": p.SupportsCount},
		"replies": repliesRef(p.URI),
	}
	if len(tags) > 0 {
		d["tag"] = tags
	}
	if p.AnsweredAt != nil {
		// As the answer Note's published: the same decision reads the
		// same in both.
		d[PropODNAnsweredAt] = updatedStamp(*p.AnsweredAt)
	}
	stamp(d, p.CreatedAt, p.UpdatedAt)
	civicAddressing(d, p.Space, by)
	setSource(d, p.Body)
	return d
}

func statusLabel(labels map[string]string, status string) string {
	if l, ok := labels[status]; ok {
		return l
	}
	return status
}

// byline is whom a local object is attributed to (attributedTo), given
// when it first went out to the fediverse: its author, or the space's
// Group when the author's account was erased by then. An erased account
// signs nothing more and its actor answers 410, and a Create is taken only
// from the object's attributedTo (Mastodon ignores another actor's; odn
// peers drop one attributed to another account of the sender's host): a
// debate a moderator prepared and another opened after their erasure,
// and the draft comments going out with it, are the space's from their
// Create on, in every document (GET, Updates). What went out before the
// erasure stays its author's, as the copies hold it; the space signs its
// Updates (objectSigner).
func byline(author *models.Actor, sp *models.Space, out time.Time) *models.Actor {
	if author == nil || !author.Local || author.DeletedAt == nil || author.DeletedAt.After(out) ||
		sp == nil || sp.Actor == nil || !sp.Actor.Local {
		return author
	}
	return sp.Actor
}

func actorURI(a *models.Actor) string {
	if a == nil {
		return ""
	}
	return a.URI
}

// officialBy is whom an official answer (to a proposal, or a petition's
// response) is attributed to: the decision-maker who gave it while their
// account lives, the space's Group once it is erased, in every document
// built from then on (its Create, its Updates, its id). Unlike what a
// member writes (byline, sentByErased), an official answer is the
// institution's act, given in its name by one of its moderators or by the
// decision-maker a petition addressed: the space may carry it, and it
// must still reach peers. So an answer whose answerer was erased before
// the outbox sent it goes out as the space's Create instead of nothing
// (a later answer then updated a Note no peer had), and a later answer is
// the space's Update of it. The rule needs no record of when the answer
// first went out, so GET, Create and Update agree at any time, and no
// document built after the erasure carries the erased person's id. An
// answer that went out as its answerer's before the erasure becomes the
// space's too: no copy holds it as theirs any more (odn copies keep an
// answer's text, not its author; Mastodon deletes an account's statuses
// on its Delete{Person}), so the next answer is the space's Create of it
// (spaceOwesAnswerCreate) and the ones after its Updates.
func officialBy(answerer *models.Actor, sp *models.Space) *models.Actor {
	if answerer.Erased() && answerer.Local && sp != nil && sp.Actor != nil && sp.Actor.Local {
		return sp.Actor
	}
	return answerer
}

// ProposalAnswerToNote is the official answer to a local proposal, a
// reply Note with id BASE/p/{id}/answer by answerer, the moderator who
// first wrote an answer (Service.firstAnswerer), or by the space once
// they are erased (officialBy). It stays theirs when another moderator
// changes it (p.Answerer, shown on the page), as peers take an Update
// only from the object's attributedTo.
func ProposalAnswerToNote(p *models.Proposal, answerer *models.Actor) doc {
	var b strings.Builder
	b.WriteString(titleHTML("Réponse officielle / Official answer: " + p.Title))
	b.WriteString(bodyHTML(p.AnswerHTML))
	b.WriteString(lineHTML("Statut / Status: " + statusLabel(proposalStatusLabel, p.Status)))
	b.WriteString(linkHTML(p.URL))
	return officialReply(p.URI+AnswerSuffix, p.URI, p.URL, b.String(), p.Status, officialBy(answerer, p.Space), p.Author, p.Space, p.UpdatedAt, p.AnsweredAt)
}

// debatePhaseLabel is the bilingual label of a debate phase.
var debatePhaseLabel = map[string]string{
	models.DebateDraft:  "brouillon / draft",
	models.DebateOpen:   "ouvert / open",
	models.DebateClosed: "clos / closed",
}

// DebateToQuestion is a local debate as a poll: oneOf (single choice) or
// anyOf (multiple), each option a Note whose replies.totalItems is its
// count. r is the tally (nil or hidden: counts are left out, when results
// are shown only after the close and the debate is still open); d.Author
// must be loaded.
func DebateToQuestion(d *models.Debate, sp *models.Space, r *models.Results) doc {
	showCounts := r != nil && d.ResultsVisible(nil)
	var b strings.Builder
	b.WriteString(titleHTML(d.Question))
	b.WriteString(bodyHTML(d.DescriptionHTML))
	status := []string{kindLineDebate, statusLabel(debatePhaseLabel, d.Current)}
	if showCounts {
		status = append(status, fmt.Sprintf("%d votants / voters", r.Voters))
	} else {
		status = append(status, "résultats à la clôture / results at the close")
	}
	b.WriteString(lineHTML(status...))
	b.WriteString(linkHTML(d.URL))
	options := make([]any, 0, len(d.Options))
	for i, name := range d.Options {
		o := doc{"type": "Note", "name": name}
		if showCounts {
			n := 0
			if i < len(r.Options) {
				n = r.Options[i].Count
			}
			o["replies"] = doc{"type": "Collection", "totalItems": n}
		}
		options = append(options, o)
	}
	published := debateOut(d)
	by := byline(d.Author, sp, published)
	q := doc{
		"id": d.URI, "type": "Question", "attributedTo": actorURI(by), "name": d.Question,
		"content": OutgoingHTML(b.String()), "url": d.URL,
		PropODNType: ODNTypeDebate, PropODNStatus: d.Current, PropODNResults: d.ResultsVisibility,
		"replies": repliesRef(d.URI),
	}
	if d.Multiple {
		q["anyOf"] = options
	} else {
		q["oneOf"] = options
	}
	if d.ClosesAt != nil {
		q["endTime"] = rfc3339(*d.ClosesAt)
	}
	if d.Current == models.DebateClosed {
		closed := d.UpdatedAt
		switch {
		case d.ClosedAt != nil:
			closed = *d.ClosedAt
		case d.ClosesAt != nil:
			closed = *d.ClosesAt
		}
		q["closed"] = rfc3339(closed)
		if _, ok := q["endTime"]; !ok {
			q["endTime"] = rfc3339(closed)
		}
	}
	if showCounts {
		q[PropVotersCount] = r.Voters
		q[PropODNByInstance] = maps.Clone(r.ByInstance)
	}
	updated := d.UpdatedAt
	if showCounts && r.UpdatedAt.After(updated) {
		updated = r.UpdatedAt
	}
	stamp(q, published, updated)
	civicAddressing(q, sp, by)
	setSource(q, d.Description)
	return q
}

// debateOut is when a debate went out to the fediverse: when it opened
// (a draft is not federated), or was created open.
func debateOut(d *models.Debate) time.Time {
	if d.OpensAt != nil && d.OpensAt.After(d.CreatedAt) {
		return *d.OpensAt
	}
	return d.CreatedAt
}

// pollEndsBy brings a poll Question's endTime forward to end when votes
// stop being accepted before the object's own close (the end of its
// consultation's contribution phase, models.Consultation.AllowedUntil),
// and closes it at end once end has passed, or earlier than it said:
// Mastodon then shows the poll closing when odn stops counting votes,
// instead of an open poll whose votes get a Reject. A poll ending or
// closed no later than end is left as it is.
func pollEndsBy(q doc, end, now time.Time) {
	before := func(key string) bool { // q[key] is set and not after end
		s, _ := q[key].(string)
		t, err := time.Parse(time.RFC3339, s)
		return err == nil && !t.After(end)
	}
	if before("endTime") || before("closed") {
		return
	}
	q["endTime"] = rfc3339(end)
	if _, closed := q["closed"]; closed || !now.Before(end) {
		q["closed"] = rfc3339(end)
	}
}

// petitionStateLabel is the bilingual label of a petition state.
var petitionStateLabel = map[string]string{
	models.PetitionOpen:     "ouverte / open",
	models.PetitionClosed:   "close / closed",
	models.PetitionAnswered: "répondue / answered",
}

// PetitionToQuestion is a local petition as a poll with the single option
// SignOption (a vote for it is a signature). p.Author, p.Addressee and
// p.Space must be loaded; now decides whether the deadline passed. The
// addressee is mentioned (tag, cc, a link in the content) while their
// account lives; once it is erased the petition says it is addressed to
// a deleted account and carries their id nowhere, as the page does.
func PetitionToQuestion(p *models.Petition, now time.Time) doc {
	state := p.State(now)
	var b strings.Builder
	b.WriteString(titleHTML(p.Title))
	if p.Addressee != nil {
		b.WriteString("<p>" + addresseeLabel + addresseeHTML(p.Addressee) + "</p>")
	}
	b.WriteString(bodyHTML(p.BodyHTML))
	b.WriteString(lineHTML(kindLinePetition, statusLabel(petitionStateLabel, state),
		fmt.Sprintf("%d/%d signatures (%d %%)", p.SignaturesCount, p.Goal, p.Percent())))
	b.WriteString(linkHTML(p.URL))
	by := byline(p.Author, p.Space, p.CreatedAt)
	q := doc{
		"id": p.URI, "type": "Question", "attributedTo": actorURI(by), "name": p.Title,
		"content": OutgoingHTML(b.String()), "url": p.URL,
		"anyOf":         []any{doc{"type": "Note", "name": SignOption, "replies": doc{"type": "Collection", "totalItems": p.SignaturesCount}}},
		PropVotersCount: p.SignaturesCount,
		PropODNType:     ODNTypePetition, PropODNStatus: state,
		PropODNGoal: p.Goal, PropODNSignatures: p.SignaturesCount,
		"replies": repliesRef(p.URI),
	}
	if p.ClosesAt != nil {
		q["endTime"] = rfc3339(*p.ClosesAt)
	}
	switch state {
	case models.PetitionClosed:
		q["closed"] = rfc3339(*p.ClosesAt)
	case models.PetitionAnswered:
		closed := p.UpdatedAt
		if p.RespondedAt != nil {
			closed = *p.RespondedAt
		}
		q["closed"] = rfc3339(closed)
		if p.ClosesAt == nil || p.ClosesAt.After(closed) {
			q["endTime"] = rfc3339(closed)
		}
	}
	var extra []string
	if mentionable(p.Addressee) {
		q["tag"] = []any{mentionTag(p.Addressee)}
		extra = append(extra, p.Addressee.URI)
	}
	stamp(q, p.CreatedAt, p.UpdatedAt)
	civicAddressing(q, p.Space, by, extra...)
	setSource(q, p.Body)
	return q
}

// PetitionResponseToNote is the addressee's response to a petition, a
// reply Note with id BASE/pe/{id}/response, the space's once the
// addressee is erased (officialBy).
func PetitionResponseToNote(p *models.Petition) doc {
	var b strings.Builder
	b.WriteString(titleHTML("Réponse / Response: " + p.Title))
	b.WriteString(bodyHTML(p.ResponseHTML))
	b.WriteString(lineHTML(fmt.Sprintf("%d signatures", p.SignaturesCount)))
	b.WriteString(linkHTML(p.URL))
	d := officialReply(p.URI+ResponseSuffix, p.URI, p.URL, b.String(), models.PetitionAnswered, officialBy(p.Addressee, p.Space), p.Author, p.Space, p.UpdatedAt, p.RespondedAt)
	if p.ResponseEditedAt != nil {
		// Edited (models.EditPetitionResponse): published stays when it
		// was given, updated says when it changed, as Mastodon marks an
		// edited status, and an odn copy takes the newer text.
		d["updated"] = updatedStamp(*p.ResponseEditedAt)
	}
	return d
}

// officialReply is the Note of a decision-maker's answer to a proposal or
// petition: a reply in its thread that mentions the author (unless erased), dated when it
// was given (updated when it has no date of its own).
func officialReply(id, objectURI, objectURL, contentHTML, status string, by, author *models.Actor, sp *models.Space, updated time.Time, given *time.Time) doc {
	d := doc{
		"id": id, "type": "Note", "attributedTo": actorURI(by),
		"inReplyTo": objectURI, "context": objectURI, "url": objectURL,
		"content":   OutgoingHTML(contentHTML),
		PropODNType: ODNTypeAnswer, PropODNStatus: status,
	}
	if given != nil {
		updated = *given
	}
	stamp(d, updated, updated)
	if given != nil {
		// To the millisecond, as a proposal's odn:answeredAt: two
		// decisions within a second are two (a copy tells its supporters
		// of each once, by this Note or the proposal's Update).
		d["published"] = updatedStamp(*given)
	}
	var extra []string
	if mentionable(author) {
		d["tag"] = []any{mentionTag(author)}
		extra = append(extra, author.URI)
	}
	civicAddressing(d, sp, by, extra...)
	return d
}

// PetitionUpdateToNote is news the petition's author posted, a reply Note
// with id BASE/pe/{id}/updates/{uid}.
func PetitionUpdateToNote(p *models.Petition, u *models.PetitionUpdate) doc {
	var b strings.Builder
	b.WriteString(titleHTML("Nouvelles / Update: " + p.Title))
	b.WriteString(bodyHTML(u.BodyHTML))
	b.WriteString(linkHTML(p.URL))
	by := byline(p.Author, p.Space, u.CreatedAt)
	d := doc{
		"id": u.URI, "type": "Note", "attributedTo": actorURI(by),
		"inReplyTo": p.URI, "context": p.URI, "url": p.URL,
		"content":   OutgoingHTML(b.String()),
		PropODNType: ODNTypePetitionUpdate,
	}
	edited := u.CreatedAt
	if u.EditedAt != nil {
		edited = *u.EditedAt // models.EditPetitionUpdate: sent as an Update of this Note
	}
	stamp(d, u.CreatedAt, edited)
	civicAddressing(d, p.Space, by)
	return d
}

// CivicTarget is what a comment needs to know of the object it belongs to.
type CivicTarget struct {
	URI    string
	Author *models.Actor
	Space  *models.Space
	// Out is when the object went out to the fediverse (a debate: when
	// it opened); a comment written earlier, on a draft, goes out then.
	Out time.Time
}

// CommentToNote is a local comment (or a debate argument, with a stance)
// as a reply Note: inReplyTo the parent comment or the object, context
// the object. parentAuthor (nil for a top-level comment: the object's
// author) is mentioned, as Mastodon expects of a reply, unless erased.
func CommentToNote(c *models.Comment, t CivicTarget, parentAuthor *models.Actor) doc {
	out := c.CreatedAt
	if t.Out.After(out) {
		out = t.Out
	}
	by := byline(c.Author, t.Space, out)
	d := doc{
		"id": c.URI, "type": "Note", "attributedTo": actorURI(by),
		"inReplyTo": c.InReplyToURI, "context": t.URI, "url": c.URL,
		"content":   OutgoingHTML(stanceHTML(c.Stance) + bodyHTML(c.BodyHTML)),
		PropODNType: ODNTypeComment,
		"replies":   repliesRef(c.URI),
	}
	if c.InReplyToURI == "" {
		d["inReplyTo"] = t.URI
	}
	if c.Stance != "" {
		d[PropODNType] = ODNTypeArgument
		d[PropODNStance] = c.Stance
	}
	updated := c.CreatedAt
	if c.EditedAt != nil {
		updated = *c.EditedAt
	}
	stamp(d, c.CreatedAt, updated)
	var extra []string
	mentioned := parentAuthor
	if mentioned == nil {
		mentioned = t.Author
	}
	if mentionable(mentioned) && c.Author != nil && mentioned.ID != c.Author.ID && mentioned.Type == models.ActorPerson {
		d["tag"] = []any{mentionTag(mentioned)}
		extra = append(extra, mentioned.URI)
	}
	civicAddressing(d, t.Space, by, extra...)
	return d
}

// stanceHTML labels an argument for peers that do not read odn:stance.
func stanceHTML(stance string) string {
	switch stance {
	case models.StanceFor:
		return "<p><strong>Pour / For</strong></p>"
	case models.StanceAgainst:
		return "<p><strong>Contre / Against</strong></p>"
	}
	return ""
}

// NewsToNote is a space's news post, a Note by the space's Group.
func NewsToNote(n *models.News, sp *models.Space) doc {
	var b strings.Builder
	b.WriteString(titleHTML(n.Title))
	b.WriteString(bodyHTML(n.BodyHTML))
	b.WriteString(linkHTML(n.URI))
	d := doc{
		"id": n.URI, "type": "Note", "attributedTo": actorURI(sp.Actor), "name": n.Title,
		"content": OutgoingHTML(b.String()), "url": n.URI,
		PropODNType: ODNTypeNews,
	}
	stamp(d, n.PublishedAt, n.UpdatedAt)
	civicAddressing(d, sp, sp.Actor)
	return d
}

// ConsultationToCollection is a consultation as ActivityPub sees it: an
// OrderedCollection of its proposals, debates and petitions (their ids,
// as its synthesis' odn:items), by the space's Group, with its phases
// (odn:phases: name, startTime, endTime; the last has no end) and its
// published synthesis (odn:synthesis). It is the context its synthesis
// names (FEP-7888), and answers at the consultation's page.
func ConsultationToCollection(c *models.Consultation, sp *models.Space, items []string, synthesisURI string) doc {
	var b strings.Builder
	if c.Summary != "" {
		b.WriteString("<p>" + html.EscapeString(c.Summary) + "</p>")
	}
	b.WriteString(bodyHTML(c.BodyHTML))
	if items == nil {
		items = []string{}
	}
	d := doc{
		"id": c.URI, "type": "OrderedCollection", "attributedTo": actorURI(sp.Actor), "name": c.Title,
		"content": OutgoingHTML(b.String()), "url": c.URI, "totalItems": len(items), "orderedItems": items,
		PropODNType: ODNTypeConsultation, PropODNPhases: phasesDoc(c),
	}
	if synthesisURI != "" {
		d[PropODNSynthesis] = synthesisURI
	}
	stamp(d, c.CreatedAt, c.UpdatedAt)
	versioned(d, c)
	civicAddressing(d, sp, sp.Actor)
	return d
}

// versioned sets on d, the consultation c or its odn:consultation, the
// version peers order what they hear of c by ("updated", to the
// millisecond: c's own last change, its withdrawal included) and, once
// withdrawn, when (odn:withdrawn).
func versioned(d doc, c *models.Consultation) {
	version := c.UpdatedAt
	if c.DeletedAt != nil {
		d[PropODNWithdrawn] = rfc3339(*c.DeletedAt)
		if c.DeletedAt.After(version) {
			version = *c.DeletedAt
		}
	}
	d["updated"] = updatedStamp(version)
}

// phasesDoc is odn:phases: a consultation's phases, {name, startTime,
// endTime}, the last (closed) without an end.
func phasesDoc(c *models.Consultation) []any {
	phases := make([]any, 0, len(models.PhaseNames))
	for _, p := range c.Phases() {
		ph := doc{"name": p.Name, "startTime": rfc3339(p.StartsAt)}
		if p.EndsAt != nil {
			ph["endTime"] = rfc3339(*p.EndsAt)
		}
		phases = append(phases, ph)
	}
	return phases
}

// ConsultationRef is odn:consultation on a proposal, debate or petition
// of consultation c of space sp: its id, page, space (attributedTo),
// title and phases (odn:phases), and odn:withdrawn once withdrawn, from
// which a peer holding a copy records the consultation and applies its
// phases to its members' supports, votes, signatures and comments as this
// instance does on arrival (models.RemoteConsultation). updated, to the
// millisecond, is the consultation's own last change, its withdrawal
// included: a peer fetches the consultation's document when a copy names
// a version newer than the one it holds (federation/consultation_in.go).
func ConsultationRef(c *models.Consultation, sp *models.Space) doc {
	d := doc{"id": c.URI, "type": "OrderedCollection", "attributedTo": actorURI(sp.Actor), "name": c.Title, "url": c.URI,
		PropODNPhases: phasesDoc(c)}
	versioned(d, c)
	return d
}

// inConsultation names consultation c on obj, a proposal, debate or
// petition of it (odn:consultation). When obj is a poll (a debate or
// petition Question) it follows c's phases as of now: no poll before c
// takes votes (pollOpensAt), and closed when c stops taking them
// (pollEndsBy).
func inConsultation(obj doc, c *models.Consultation, sp *models.Space, poll bool, now time.Time) {
	obj[PropODNConsultation] = ConsultationRef(c, sp)
	if !poll {
		return
	}
	if end := c.AllowedUntil(models.ActionVote); end != nil {
		pollEndsBy(obj, *end, now)
	}
	_, closed := obj["closed"]
	if from, ok := pollPending(c, closed, now); ok {
		pollOpensAt(obj, from)
	}
}

// pollPending reports whether a poll of consultation c (nil: none) waits
// at now for c's contribution phase, and when that opens: c takes no
// votes yet, and the poll is not closed already (closed: its Question
// carries closed, which does not look open). Such a poll goes as a Note
// (pollOpensAt), and its Tombstone names that type (pollFormerType).
func pollPending(c *models.Consultation, closed bool, now time.Time) (time.Time, bool) {
	if c == nil || closed {
		return time.Time{}, false
	}
	from := c.AllowedFrom(models.ActionVote)
	if from == nil || !now.Before(*from) {
		return time.Time{}, false
	}
	return *from, true
}

// pollFormerType is the formerType of the Tombstone of a debate or
// petition whose Question (before its consultation's phases) is q, of
// consultation c (nil: none), deleted at now: the type it goes out as
// then, a Note while its poll waits for the contribution phase
// (pollPending), else a Question.
func pollFormerType(q doc, c *models.Consultation, now time.Time) string {
	_, closed := q["closed"]
	if _, ok := pollPending(c, closed, now); ok {
		return "Note"
	}
	return "Question"
}

// pendingOptions maps a poll's options key to the odn key that carries
// them while the poll is not open yet (pollOpensAt).
var pendingOptions = map[string]string{"oneOf": PropODNOneOf, "anyOf": PropODNAnyOf}

// pollOpensAt makes the Question q of a poll whose consultation takes
// votes only from from (its contribution phase, still to come) a
// Question without a poll: Mastodon shows a poll wherever a Question has
// oneOf or anyOf, open until endTime, and there is no way to say "opens
// later" (it reads endTime and closed, not startTime), while a closed
// one would say the vote is over. So the options move to odn:oneOf or
// odn:anyOf, which odn peers read to keep their copies (with the phases
// of odn:consultation, which refuse votes until from); Mastodon shows the
// text, whose status line says when voting opens. When from comes, the
// count Update (outbox_consultation.go) sends the Question with its
// poll, which Mastodon adds to the post (an edit: updated is newer). A
// poll already closed is left as it is, it does not look open: the
// caller decides with pollPending.
//
// Until then it goes as a Note: Pleroma and Akkoma refuse a Question
// without oneOf or anyOf (QuestionValidator.validate_data), so their
// users would not see the post at all, and the later Update{Question}
// of an object they do not hold is dropped too. Mastodon and GoToSocial
// take an Update{Question} of a status created from a Note and add its
// poll (ActivityPub::Activity::Update#update_status, GoToSocial's
// updateStatusable); odn peers copy by odn:type, not by type
// (docs/FEDERATION.md, "Other servers").
func pollOpensAt(q doc, from time.Time) {
	q["type"] = "Note"
	for key, odnKey := range pendingOptions {
		if opts, ok := q[key]; ok {
			q[odnKey] = opts
			delete(q, key)
		}
	}
	label := "vote à partir du " + humanTime(from) + " / voting opens " + humanTime(from)
	kind := kindLineDebate
	if q[PropODNType] == ODNTypePetition {
		kind = kindLinePetition
		label = "signatures à partir du " + humanTime(from) + " / signing opens " + humanTime(from)
	}
	q["content"] = relabelStatus(q["content"], kind, label)
}

// humanTime is t as the status line shows it, in UTC.
func humanTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// relabelStatus replaces the state (the second part) of the status line
// of kind (lineHTML: the last paragraph opening with kind) in content
// with label; content without that line is returned as it is.
func relabelStatus(content any, kind, label string) any {
	s, _ := content.(string)
	head := "<p>" + html.EscapeString(kind) + " · "
	i := strings.LastIndex(s, head)
	if i < 0 {
		return content
	}
	j := strings.Index(s[i:], "</p>")
	if j < 0 {
		return content
	}
	parts := strings.Split(s[i+len("<p>"):i+j], " · ")
	if len(parts) < 2 {
		return content
	}
	parts[1] = html.EscapeString(label)
	return s[:i] + "<p>" + strings.Join(parts, " · ") + s[i+j:]
}

// SynthesisTitlePrefix opens the name of a synthesis Note, before its
// consultation's title.
const SynthesisTitlePrefix = "Synthèse / Synthesis: "

// SynthesisToNote is the published synthesis of a consultation, a Note
// by the space's Group; its url is the consultation's page. odn:items
// lists the ids of the consultation's proposals, debates and petitions
// (models.ConsultationItemIDs): an instance holding copies of them tells
// its members who took part there.
func SynthesisToNote(syn *models.Synthesis, c *models.Consultation, sp *models.Space, items []string) doc {
	title := SynthesisTitlePrefix + c.Title
	var b strings.Builder
	b.WriteString(titleHTML(title))
	b.WriteString(bodyHTML(syn.BodyHTML))
	b.WriteString(linkHTML(c.URI))
	d := doc{
		"id": syn.URI, "type": "Note", "attributedTo": actorURI(sp.Actor), "name": title,
		"content": OutgoingHTML(b.String()), "url": c.URI,
		PropODNType: ODNTypeSynthesis, "context": c.URI,
	}
	if len(items) > 0 {
		d[PropODNItems] = items
	}
	published := syn.CreatedAt
	if syn.PublishedAt != nil {
		published = *syn.PublishedAt
	}
	stamp(d, published, syn.UpdatedAt)
	civicAddressing(d, sp, sp.Actor)
	return d
}

// Activities about civic objects. Their ids are the object's id with a
// fragment (#create, #updates/{time}, #delete, and #creates/{time} for
// the space's Create of an official answer that went out as its erased
// answerer's: spaceOwesAnswerCreate): unique, and stable, so a re-run of
// an event handler queues nothing twice.

// addressingOf copies to/cc/audience of an object onto its activity.
func addressingOf(obj doc) (to, cc []string) {
	to, _ = obj["to"].([]string)
	cc, _ = obj["cc"].([]string)
	return to, cc
}

// CreateCivic is the Create of a civic object by its author.
func CreateCivic(actor *models.Actor, obj doc) doc {
	to, cc := addressingOf(obj)
	d := activityDoc(idOf(obj["id"])+"#create", "Create", actor.URI, obj, to, cc)
	d["published"] = obj["published"]
	if a, ok := obj["audience"]; ok {
		d["audience"] = a
	}
	return d
}

// UpdateCivic is an Update of a civic object at at: the object's updated
// is set to at, so peers (FEP-9967) take it as newer.
func UpdateCivic(actor *models.Actor, obj doc, at time.Time) doc {
	obj = maps.Clone(obj)
	obj["updated"] = updatedStamp(at)
	return updateAt(actor, obj, at)
}

// UpdateConsultation is the space's Update, at at, of the consultation
// obj (ConsultationToCollection). Unlike UpdateCivic it keeps the
// object's updated, the consultation's own version (versioned): the one
// its document and its items' odn:consultation carry, which peers
// compare with the one they hold to decide whether to fetch it. at only
// dates and names the activity.
func UpdateConsultation(actor *models.Actor, obj doc, at time.Time) doc {
	return updateAt(actor, obj, at)
}

// updateAt is the Update of obj by actor, sent at at.
func updateAt(actor *models.Actor, obj doc, at time.Time) doc {
	to, cc := addressingOf(obj)
	d := activityDoc(idOf(obj["id"])+"#updates/"+at.UTC().Format("20060102T150405.000000"), "Update", actor.URI, obj, to, cc)
	d["published"] = rfc3339(at)
	if a, ok := obj["audience"]; ok {
		d["audience"] = a
	}
	return d
}

// DeleteCivic is the Delete of a civic object (withdrawn by moderation or
// deleted), with its Tombstone.
func DeleteCivic(actor *models.Actor, uri, formerType string, at time.Time, sp *models.Space) doc {
	cc := []string{}
	if actor.FollowersURI != "" {
		cc = append(cc, actor.FollowersURI)
	}
	if sp != nil && sp.Actor != nil && !contains(cc, sp.Actor.FollowersURI) {
		cc = append(cc, sp.Actor.FollowersURI)
	}
	d := activityDoc(uri+"#delete", "Delete", actor.URI, tombstoneDoc(uri, formerType, at), []string{PublicCollection}, cc)
	if sp != nil && sp.Actor != nil {
		d["audience"] = sp.Actor.URI
	}
	return d
}

// MediaMarkdown is the mediaType of a civic object's source.
const MediaMarkdown = "text/markdown"
