package federation

import (
	"errors"
	"html"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// refusalReason explains a refusal in French and English; the sentences
// are fixed (not the models error text), so nothing internal leaks.
func refusalReason(cause error) (fr, en string) {
	var ve *models.ValidationError
	switch {
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
