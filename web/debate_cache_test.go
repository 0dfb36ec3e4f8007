package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestDebatePageCacheExact: the anonymous debate page may be served from
// a copy, but never a stale one: every kind of change (a comment, a vote,
// an author renamed by a raw write nobody told the cache about, a hidden
// comment, the closing time passing) shows on the next view, and signed-in
// visitors never get the anonymous copy.
func TestDebatePageCacheExact(t *testing.T) {
	e := newDebateEnv(t)
	ctx := context.Background()
	closes := e.Now.Add(time.Hour)
	d, err := e.Store.CreateDebate(ctx, e.mod, e.space, models.DebateInput{Question: "Une fontaine sur la place ?",
		Options: []string{"Oui", "Non"}, ClosesAt: &closes})
	if err != nil {
		t.Fatal(err)
	}
	if d, err = e.Store.OpenDebate(ctx, e.mod, d.ID); err != nil {
		t.Fatal(err)
	}
	path := "/d/" + strconv.FormatInt(d.ID, 10)
	anon := e.client()
	page := func(c *http.Client) string {
		t.Helper()
		res := e.get(c, path)
		body := readBody(res)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		return body
	}
	first := page(anon)
	if again := page(anon); again != first {
		t.Fatal("two anonymous views of an unchanged debate differ")
	}

	c, err := e.Store.CreateComment(ctx, e.ann.Actor, models.CommentInput{ObjectType: models.ObjectTypeDebate, ObjectID: d.ID,
		Stance: models.StanceFor, Body: "Une fontaine rafraîchirait la place"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page(anon), "Une fontaine rafraîchirait la place") {
		t.Fatal("new comment missing from the anonymous page")
	}

	if _, err := e.Store.DB.ExecContext(ctx, "UPDATE actors SET name = 'Annabelle Fontaine' WHERE id = ?", e.ann.Actor.ID); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page(anon), "Annabelle Fontaine") {
		t.Fatal("renamed author not shown: stale copy")
	}

	if err := e.Store.HideObject(ctx, e.mod, models.ObjectTypeComment, c.ID, "hors sujet"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(page(anon), "Une fontaine rafraîchirait la place") {
		t.Fatal("hidden comment still on the anonymous page")
	}

	if _, err := e.Store.CastVote(ctx, e.bob.Actor, d.ID, []string{"Oui"}); err != nil {
		t.Fatal(err)
	}
	bob := e.loggedIn("bob")
	mine := page(bob)
	if !strings.Contains(mine, "my-vote") || strings.Contains(page(anon), "my-vote") {
		t.Fatal("the signed-in voter's ballot and the anonymous page got mixed")
	}

	before := page(anon)
	e.Now = closes.Add(time.Minute) // no write: only time passes
	if after := page(anon); after == before || !strings.Contains(after, "This debate is closed") {
		t.Fatal("closing time passed but the anonymous page still shows the open debate")
	}
}

// TestCopyPageFollowsItsOriginsPhase: the anonymous page of a copy whose
// origin's consultation is in its information phase says so; once the
// contribution phase opens (the clock moves, nothing is written), it
// offers the vote. Cached, it kept the notice.
func TestCopyPageFollowsItsOriginsPhase(t *testing.T) {
	e := newDebateEnv(t)
	ctx := context.Background()
	origin, err := e.Store.UpsertRemoteActor(ctx, &models.Actor{URI: "https://other.example/users/town", Type: models.ActorGroup,
		Username: "town", Host: "other.example", Inbox: "https://other.example/users/town/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	opens := e.Now.Add(time.Hour)
	d, err := e.Store.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: "https://other.example/d/1", Question: "A fountain?",
		Options: []string{"Yes", "No"}, Updated: e.Now, Consultation: &models.RemoteConsultation{
			URI: "https://other.example/consultations/1", Title: "The square", OpensAt: e.Now.Add(-time.Hour),
			ContributionAt: opens, SynthesisAt: opens.Add(time.Hour), ClosesAt: opens.Add(2 * time.Hour), UpdatedAt: e.Now}})
	if err != nil {
		t.Fatal(err)
	}
	path, anon := "/d/"+strconv.FormatInt(d.ID, 10), e.client()
	body := readBody(e.get(anon, path))
	if !strings.Contains(body, "phase-refusal") || !strings.Contains(body, `href="https://other.example/consultations/1"`) {
		t.Fatal("the copy's page has no notice linking the origin's consultation")
	}
	if !strings.Contains(body, `class="meta consultation-context"`) || !strings.Contains(body, "(other.example)") ||
		!strings.Contains(body, "cons-phase-information") {
		t.Error("the copy's page does not name its origin's consultation, host and phase")
	}
	e.Now = opens.Add(time.Minute)
	if body := readBody(e.get(anon, path)); strings.Contains(body, "phase-refusal") {
		t.Error("the copy's page still refuses votes in the origin's contribution phase")
	}
}
