package federation

import (
	"errors"
	"html"
	"strings"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// refusalReason explains a refusal in French and English; the sentences
// are fixed (not the models error text), so nothing internal leaks.
func refusalReason(cause error) (fr, en string) {
	var ve *models.ValidationError
	var pe *models.PhaseError
	switch {
	case errors.As(cause, &pe) && pe.Action == models.ActionVote:
		return phaseReason(pe)
	case errors.Is(cause, models.ErrForbidden):
		return "cet espace n'accepte pas la participation depuis votre compte ou votre instance.",
			"this space does not accept participation from your account or your instance."
	case errors.Is(cause, models.ErrClosed):
		return "ce n'est pas ouvert (ou c'est déjà clos).", "it is not open (or already closed)."
	case errors.Is(cause, models.ErrDuplicate):
		return "vous avez déjà participé ; un sondage à choix unique ne prend qu'un vote.",
			"you already took part; a single-choice poll takes one vote."
	case errors.As(cause, &ve):
		return "cette option ne fait pas partie du sondage.", "this option is not in the poll."
	}
	return "elle n'a pas pu être enregistrée.", "it could not be recorded."
}

// phaseLabels says, in French and English, where a consultation is for
// each phase that refuses votes.
var phaseLabels = map[string][2]string{
	models.PhaseUpcoming:    {"n’a pas encore commencé", "has not started yet"},
	models.PhaseInformation: {"est en phase d’information", "is in its information phase"},
	models.PhaseSynthesis:   {"est en phase de synthèse", "is in its synthesis phase"},
	models.PhaseClosed:      {"est close", "is closed"},
}

// phaseReason explains the refusal of a vote, support or signature by
// the phase of its consultation: which consultation, where it is, and
// when they open (the *models.PhaseError's Next), or that they no longer
// will. A Mastodon user who voted in a poll that looked open (a copy
// fetched before this instance sent it without its poll) learns when to
// come back. The title is the consultation's, escaped by refusalNote.
func phaseReason(pe *models.PhaseError) (fr, en string) {
	where, ok := phaseLabels[pe.Phase]
	if !ok {
		where = [2]string{"ne prend pas de votes maintenant", "does not take votes now"}
	}
	fr = "la consultation «\u00a0" + pe.Consultation + "\u00a0» " + where[0]
	en = "the consultation “" + pe.Consultation + "” " + where[1]
	if pe.Next.IsZero() {
		return fr + "\u202f; elle ne prend plus de votes, soutiens ni signatures.",
			en + "; it takes no more votes, supports or signatures."
	}
	at := humanTime(pe.Next)
	return fr + "\u202f; les votes, soutiens et signatures y ouvrent le " + at + ", revenez alors.",
		en + "; votes, supports and signatures open on " + at + ": come back then."
}

// withdrawalOf prefixes a participation kind for refusalNote when what
// was refused is its withdrawal.
const withdrawalOf = "withdraw:"

// refusalWhat names the refused participation, or its withdrawal.
func refusalWhat(kind string) (fr, en string) {
	switch kind {
	case withdrawalOf + models.ParticipationSupport:
		return "Votre soutien n'a pas été retiré, il reste compté", "Your support was not withdrawn, it still counts"
	case withdrawalOf + models.ParticipationSignature:
		return "Votre signature n'a pas été retirée, elle reste comptée", "Your signature was not withdrawn, it still counts"
	case withdrawalOf + models.ParticipationVote:
		return "Votre vote n'a pas été retiré, il reste compté", "Your vote was not withdrawn, it still counts"
	case models.ParticipationSupport:
		return "Votre soutien n'a pas été compté", "Your support was not counted"
	case models.ParticipationSignature:
		return "Votre signature n'a pas été comptée", "Your signature was not counted"
	}
	return "Votre vote n'a pas été compté", "Your vote was not counted"
}

// refusalNote is the direct message (Create{Note} addressed to the actor
// only, with a Mention, like a Mastodon DM) explaining a refusal; it
// replies to the refused vote Note, or to the object for a Like.
func refusalNote(from, to *models.Actor, activityID, replyTo, kind string, cause error, now time.Time) doc {
	whatFR, whatEN := refusalWhat(kind)
	whyFR, whyEN := refusalReason(cause)
	handle := "@" + to.Username + "@" + to.Host
	href := to.URL
	if href == "" {
		href = to.URI
	}
	mention := `<span class="h-card"><a href="` + html.EscapeString(href) + `" class="u-url mention">` + html.EscapeString(handle) + `</a></span>`
	content := "<p>" + mention + " " + html.EscapeString(whatFR+" : "+whyFR) + "</p><p>" + html.EscapeString(whatEN+": "+whyEN) + "</p>"
	var pe *models.PhaseError
	if errors.As(cause, &pe) && strings.HasPrefix(pe.URL, "http") {
		content += linkHTML(pe.URL) // the consultation's page, its phases
	}
	noteID := from.URI + "#refusals/" + shortHash(activityID)
	note := doc{
		"id": noteID, "type": "Note", "attributedTo": from.URI, "to": []string{to.URI}, "inReplyTo": replyTo,
		"content": content, "contentMap": doc{"fr": content}, "published": rfc3339(now),
		"tag": []any{doc{"type": "Mention", "href": to.URI, "name": handle}},
	}
	d := activityDoc(noteID+"/activity", "Create", from.URI, note, []string{to.URI}, nil)
	d["published"] = rfc3339(now)
	return d
}
