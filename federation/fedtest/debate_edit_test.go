package fedtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/federation/fedtest"
)

// TestDebateEditReachesCopies: a moderator of A clarifies an open
// debate's question and description and moves its closing date; B's copy
// shows them soon after (the edit's Update is not held back by the count
// window), its options and ballots untouched.
func TestDebateEditReachesCopies(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	d := n.openDebate(t, n.ville)
	atB := copyOf(t, n.b, "debate", d.URI, debateID(n.b))
	in := d.Input()
	in.Question, in.Description = "Should the market move to the square?", "The **square** by the town hall."
	closes := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	in.ClosesAt = &closes
	if _, err := n.a.Store.UpdateDebate(n.ctx, n.alice, d.ID, in); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B's copy to show the edit", func() bool {
		c, err := n.b.Store.DebateByID(n.ctx, atB)
		return err == nil && c.Question == in.Question && strings.Contains(c.DescriptionHTML, "<strong>square</strong>") &&
			c.ClosesAt != nil && c.ClosesAt.Equal(closes) && strings.Join(c.Options, ",") == strings.Join(d.Options, ",")
	})
}
