package federation

import (
	"html"
	"regexp"
	"strings"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// AS → models conversion of civic objects received from peers: remote
// copies of other odn instances' proposals (Note), debates and petitions
// (Question), poll votes and argument stances. The publish side
// (convert_civic_out.go) writes the same shapes (notes WIRE.md).

// civicKind is the odn:type of a Note or Question ("" for plain fediverse
// content).
func civicKind(m map[string]any) string { return str(m, PropODNType) }

// timeProp reads an RFC 3339 time property; zero when absent or bad.
func timeProp(m map[string]any, k string) time.Time {
	t, err := time.Parse(time.RFC3339, str(m, k))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// updatedOf is an object's "updated", else its "published".
func updatedOf(m map[string]any) time.Time {
	if t := timeProp(m, "updated"); !t.IsZero() {
		return t
	}
	return timeProp(m, "published")
}

// intProp reads a non-negative integer property, 0 when absent.
func intProp(m map[string]any, k string) int {
	n, _ := IntProperty(m, k)
	return int(n)
}

// totalItems reads the totalItems of a collection property (likes, replies).
func totalItems(m map[string]any, k string) (int, bool) {
	c, ok := m[k].(map[string]any)
	if !ok {
		return 0, false
	}
	n, ok := IntProperty(c, "totalItems")
	return int(n), ok
}

// hashtags reads the names of the Hashtag tags, without "#".
func hashtags(m map[string]any) []string {
	var out []string
	tags, _ := m["tag"].([]any)
	if t, ok := m["tag"].(map[string]any); ok {
		tags = []any{t}
	}
	for _, t := range tags {
		tm, ok := t.(map[string]any)
		if ok && typeOf(tm) == "Hashtag" {
			if name := strings.TrimPrefix(str(tm, "name"), "#"); name != "" {
				out = append(out, name)
			}
		}
	}
	return out
}

// mentions reads the hrefs of the Mention tags.
func mentions(m map[string]any) []string {
	var out []string
	tags, _ := m["tag"].([]any)
	if t, ok := m["tag"].(map[string]any); ok {
		tags = []any{t}
	}
	for _, t := range tags {
		if tm, ok := t.(map[string]any); ok && typeOf(tm) == "Mention" {
			if h := idOf(tm["href"]); h != "" {
				out = append(out, h)
			}
		}
	}
	return out
}

// nameOf reads "name", which ActivityStreams defines as plain text: it
// is escaped so that models, which take titles as HTML to strip, keep
// "<" and "&" as text.
func nameOf(m map[string]any) string { return html.EscapeString(strings.TrimSpace(str(m, "name"))) }

// noteToRemoteProposal reads an odn proposal Note. The author's local id
// is set by the caller. The supports come from odn:supports, else from
// likes.totalItems.
func noteToRemoteProposal(m map[string]any) models.RemoteProposal {
	supports, ok := IntProperty(m, PropODNSupports)
	if !ok {
		n, _ := totalItems(m, "likes")
		supports = int64(n)
	}
	p := models.RemoteProposal{
		URI: idOf(m["id"]), URL: httpURL(linkHref(m["url"])), Title: nameOf(m),
		ContentHTML: civicBody(m), Tags: hashtags(m), Status: str(m, PropODNStatus),
		Supports: int(supports), Threshold: intProp(m, PropODNThreshold), Published: timeProp(m, "published"), Updated: updatedOf(m),
		Consultation: consultationOf(m),
	}
	if t := timeProp(m, PropODNAnsweredAt); !t.IsZero() {
		p.AnsweredAt = &t
	}
	return p
}

// maxSourceLen bounds the Markdown source of a civic object read here.
const maxSourceLen = 64 << 10

// civicBody is the description of a proposal, debate or petition: the
// Markdown source odn sends (rendered here as its origin renders it),
// else its content without what odn wraps around the description for
// Mastodon (unwrapODN), which a copy shows in its own way. Other content
// (a Mastodon poll's text) is kept as sent (sanitised by models).
func civicBody(m map[string]any) string {
	if src, ok := m["source"].(map[string]any); ok && str(src, "mediaType") == MediaMarkdown {
		if md := str(src, "content"); len(md) <= maxSourceLen {
			return models.RenderMarkdown(md)
		}
	}
	return unwrapODN(str(m, "content"), nameOf(m))
}

// What odn puts around a description for Mastodon (convert_civic_out.go):
// first the title in bold and a petition's addressee; last the status
// line, the hashtags and the permalink.
var (
	odnAddresseeRE = regexp.MustCompile(`^<p>` + regexp.QuoteMeta(addresseeLabel) + `.*?</p>`)
	odnTailRE      = regexp.MustCompile(`(?:<p>(?:` + regexp.QuoteMeta(kindLineProposal) + `|` + regexp.QuoteMeta(kindLineDebate) + `|` +
		regexp.QuoteMeta(kindLinePetition) + `) · [^<]*</p>)` +
		`(?:<p>(?:\s*<a [^>]*rel="tag[^"]*"[^>]*>#<span>[^<]*</span></a>)+</p>)?` +
		`(?:<p><a href="[^"]*"[^>]*>[^<]*</a></p>)?$`)
)

// unwrapODN drops odn's wrapping from the content of an odn object whose
// title is title (odn before 2026-12-07 sends no source).
func unwrapODN(content, title string) string {
	content = strings.TrimSpace(content)
	for _, t := range []string{html.EscapeString(title), title} {
		if head := "<p><strong>" + t + "</strong></p>"; title != "" && strings.HasPrefix(content, head) {
			content = content[len(head):]
			break
		}
	}
	content = odnAddresseeRE.ReplaceAllString(content, "")
	return strings.TrimSpace(odnTailRE.ReplaceAllString(content, ""))
}

// pollOptions reads a Question's options: oneOf (single choice) or anyOf
// (multiple), with their counts when published (replies.totalItems). An
// odn poll whose consultation does not take votes yet carries them as
// odn:oneOf or odn:anyOf instead (pollOpensAt), read when neither is set.
func pollOptions(m map[string]any) (names []string, counts []int, multiple bool) {
	oneOf, anyOf := m["oneOf"], m["anyOf"]
	if oneOf == nil && anyOf == nil {
		oneOf, anyOf = m[PropODNOneOf], m[PropODNAnyOf]
	}
	opts, _ := oneOf.([]any)
	if a, ok := anyOf.([]any); ok && len(opts) == 0 {
		opts, multiple = a, true
	}
	for _, o := range opts {
		om, ok := o.(map[string]any)
		if !ok {
			continue
		}
		names = append(names, str(om, "name"))
		n, _ := totalItems(om, "replies")
		counts = append(counts, n)
	}
	return names, counts, multiple
}

// closedOf reads "closed" (a time, or true) and odn:status.
func closedOf(m map[string]any) bool {
	switch v := m["closed"].(type) {
	case string:
		return v != ""
	case bool:
		return v
	}
	st := str(m, PropODNStatus)
	return st == "closed" || st == "answered"
}

// byInstanceOf reads odn:byInstance, a JSON object of host → voters
// (checked by the store); nil when absent or not of that shape.
func byInstanceOf(m map[string]any) map[string]int {
	in, ok := m[PropODNByInstance].(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]int, len(in))
	for host := range in {
		n, ok := IntProperty(in, host)
		if !ok {
			return nil
		}
		out[host] = int(n)
	}
	return out
}

// questionToRemoteDebate reads an odn debate Question (Mastodon polls
// read the same way: the question is the name, else the content).
func questionToRemoteDebate(m map[string]any) models.RemoteDebate {
	names, counts, multiple := pollOptions(m)
	question := nameOf(m)
	if question == "" {
		question = str(m, "content") // Mastodon: the poll's text
	}
	d := models.RemoteDebate{
		URI: idOf(m["id"]), URL: httpURL(linkHref(m["url"])), Question: question,
		DescriptionHTML: SanitizeIncomingHTML(civicBody(m)), Options: names, Counts: counts,
		Voters: intProp(m, PropVotersCount), Multiple: multiple, Closed: closedOf(m), Updated: updatedOf(m),
		ResultsVisibility: str(m, PropODNResults), ByInstance: byInstanceOf(m), Consultation: consultationOf(m),
	}
	if t := timeProp(m, "endTime"); !t.IsZero() {
		d.ClosesAt = &t
	}
	return d
}

// questionToRemotePetition reads an odn petition Question: its one option
// is SignOption, the count is odn:signatures (else votersCount).
func questionToRemotePetition(m map[string]any) models.RemotePetition {
	sigs, ok := IntProperty(m, PropODNSignatures)
	if !ok {
		sigs, _ = IntProperty(m, PropVotersCount)
	}
	p := models.RemotePetition{
		URI: idOf(m["id"]), URL: httpURL(linkHref(m["url"])), Title: nameOf(m),
		ContentHTML: civicBody(m), Goal: intProp(m, PropODNGoal), Signatures: int(sigs),
		Answered: str(m, PropODNStatus) == "answered", Published: timeProp(m, "published"), Updated: updatedOf(m),
		Consultation: consultationOf(m),
	}
	if t := timeProp(m, "endTime"); !t.IsZero() {
		p.ClosesAt = &t
	}
	return p
}

// maxPhases bounds the entries of odn:phases read.
const maxPhases = 16

// consultationOf reads odn:consultation, the origin's consultation of a
// proposal, debate or petition with its phases (ConsultationRef); nil
// when absent or not an object. The store believes it only from the
// object's own host and with its phases in order.
func consultationOf(m map[string]any) *models.RemoteConsultation {
	c, ok := m[PropODNConsultation].(map[string]any)
	if !ok {
		return nil
	}
	return remoteConsultation(c)
}

// remoteConsultation reads a consultation as odn describes it, embedded
// in an object (odn:consultation) or whole (its OrderedCollection): id,
// url, name, updated, odn:phases, odn:withdrawn.
func remoteConsultation(c map[string]any) *models.RemoteConsultation {
	r := &models.RemoteConsultation{URI: idOf(c["id"]), URL: httpURL(linkHref(c["url"])), Title: nameOf(c),
		UpdatedAt: timeProp(c, "updated")}
	if t := timeProp(c, PropODNWithdrawn); !t.IsZero() {
		r.WithdrawnAt = &t
	}
	starts := map[string]*time.Time{models.PhaseInformation: &r.OpensAt, models.PhaseContribution: &r.ContributionAt,
		models.PhaseSynthesis: &r.SynthesisAt, models.PhaseClosed: &r.ClosesAt}
	// By name, among a few entries: a later version may list more.
	phases, _ := c[PropODNPhases].([]any)
	for _, p := range phases[:min(len(phases), maxPhases)] {
		if pm, ok := p.(map[string]any); ok {
			if at := starts[str(pm, "name")]; at != nil {
				*at = timeProp(pm, "startTime")
			}
		}
	}
	return r
}

// voteOf recognises a poll vote: a Note with a name (the option), a
// question it replies to and no content (Mastodon's shape, odn's too).
func voteOf(obj map[string]any) (question, option string, ok bool) {
	question, option = idOf(obj["inReplyTo"]), str(obj, "name")
	if question == "" || option == "" || strings.TrimSpace(stripTags(str(obj, "content"))) != "" {
		return "", "", false
	}
	return question, option, true
}

// stancePrefixes are the openings by which a Mastodon reply to a debate
// is an argument (notes WIRE.md); matched case-insensitively after the
// leading mentions, the prefix is kept in the text.
var stancePrefixes = []struct{ prefix, stance string }{
	{"for:", StanceFor}, {"pour :", StanceFor}, {"pour:", StanceFor}, {"+1 ", StanceFor},
	{"against:", StanceAgainst}, {"contre :", StanceAgainst}, {"contre:", StanceAgainst}, {"-1 ", StanceAgainst},
}

// stanceOf reads a reply's stance: odn:stance from odn peers, else the
// prefix of its plain text once the leading @mentions are skipped.
func stanceOf(obj map[string]any) string {
	if st := str(obj, PropODNStance); st == StanceFor || st == StanceAgainst {
		return st
	}
	text := stripTags(strings.NewReplacer("<br>", " ", "<br/>", " ", "<br />", " ", "</p>", " ").Replace(str(obj, "content")))
	text = strings.ToLower(strings.Join(strings.Fields(html.UnescapeString(text)), " ")) + " "
	for strings.HasPrefix(text, "@") {
		_, text, _ = strings.Cut(text, " ")
	}
	for _, p := range stancePrefixes {
		if strings.HasPrefix(text, p.prefix) {
			return p.stance
		}
	}
	return ""
}
