package federation

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestHiddenPollFormerType: a debate and a petition hidden by moderation
// go as a Delete whose Tombstone, and the 410 their ids answer, name the
// type they went out as: Note while their consultation's contribution
// phase is still to come (pollOpensAt), Question once it is open, and
// Question for a closed debate whose phase is to come (a closed poll
// stays a Question). Before, both always said Question.
func TestHiddenPollFormerType(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	newPeerInbox(t).follower(t, a, "fan", ville.Actor)
	mod := moderator(t, a, "modo")
	if err := a.st.SetDecider(ctx, nil, "modo", true); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		contribLate bool // the contribution phase moved an hour later
		closeDebate bool
		want        string
	}{
		{"contribution phase open", false, false, "Question"},
		{"contribution phase to come", true, false, "Note"},
		{"closed debate, phase to come", true, true, "Question"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := a.st.Now()
			in := models.ConsultationInput{Title: "Budget " + tc.name, OpensAt: now.Add(-2 * time.Hour), ContributionAt: now.Add(-time.Hour),
				SynthesisAt: now.Add(2 * time.Hour), ClosesAt: now.Add(3 * time.Hour)}
			c, err := a.st.CreateConsultation(ctx, mod, "ville", in)
			if err != nil {
				t.Fatal(err)
			}
			sp, err := a.st.SpaceByID(ctx, c.SpaceID)
			if err != nil {
				t.Fatal(err)
			}
			d, err := a.st.CreateDebate(ctx, mod, sp, models.DebateInput{Question: "Un kiosque ? " + tc.name, Options: []string{"Oui", "Non"}, ConsultationID: c.ID})
			if err != nil {
				t.Fatal(err)
			}
			if d, err = a.st.OpenDebate(ctx, mod, d.ID); err != nil {
				t.Fatal(err)
			}
			pet, err := a.st.CreatePetition(ctx, mod.Actor, "ville", models.PetitionInput{Title: "Sauvons la halle " + tc.name, Body: "Svp.",
				Addressee: "modo", Goal: 10, Consultation: c.ID})
			if err != nil {
				t.Fatal(err)
			}
			if tc.closeDebate {
				if _, err := a.st.CloseDebate(ctx, mod, d.ID); err != nil {
					t.Fatal(err)
				}
			}
			if tc.contribLate {
				in.ContributionAt = now.Add(time.Hour)
				if _, err := a.st.UpdateConsultation(ctx, mod, c.ID, in); err != nil {
					t.Fatal(err)
				}
			}
			runEvents(t, a)
			if err := a.st.HideObject(ctx, mod, models.ObjectTypeDebate, d.ID, "spam"); err != nil {
				t.Fatal(err)
			}
			uris := map[string]string{d.URI: tc.want, pet.URI: tc.want}
			if !tc.closeDebate {
				if err := a.st.HideObject(ctx, mod, models.ObjectTypePetition, pet.ID, "spam"); err != nil {
					t.Fatal(err)
				}
			} else {
				delete(uris, pet.URI)
			}
			former := map[string]any{}
			for _, o := range runEvents(t, a) {
				var m map[string]any
				if err := json.Unmarshal(o.Body, &m); err != nil {
					t.Fatal(err)
				}
				if obj, ok := m["object"].(map[string]any); ok && m["type"] == "Delete" {
					former[idOf(obj)] = obj["formerType"]
				}
			}
			for uri, want := range uris {
				if former[uri] != want {
					t.Errorf("Delete of %s: formerType %v, want %s", uri, former[uri], want)
				}
			}
			served := map[string][2]string{d.URI: {models.ObjectTypeDebate, itoa(d.ID)}, pet.URI: {models.ObjectTypePetition, itoa(pet.ID)}}
			for uri, want := range uris {
				code, m := serveAS(a, served[uri][0], served[uri][1])
				if code != 410 || m["formerType"] != want {
					t.Errorf("GET %s once hidden: %d, formerType %v, want 410 and %s", uri, code, m["formerType"], want)
				}
			}
		})
	}
}
