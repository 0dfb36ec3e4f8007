package federation

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestCloseInSameSecondAsCountUpdate: copies apply only a strictly newer
// update. A vote at 09:00:10.2 sends its count Update at once; the
// moderator closes the debate at 09:00:10.7. Written to the second, both
// Updates said 09:00:10 and the copy dropped the close (it stayed open,
// with the tally before the close): "updated" is written to the
// millisecond.
func TestCloseInSameSecondAsCountUpdate(t *testing.T) {
	ctx := context.Background()
	w := newGoldenWorld()
	sec := gT0.Add(10 * time.Second)
	open := w.debate(models.ResultsLive, models.DebateOpen)
	open.ClosesAt, open.CreatedAt, open.UpdatedAt = nil, gT0.Add(-time.Hour), gT0.Add(-time.Hour)
	r1 := goldenResults()
	r1.UpdatedAt = sec.Add(200 * time.Millisecond)
	voteUpdate := onWire(t, DebateToQuestion(open, w.space, r1))

	closed := *open
	closedAt := sec.Add(700 * time.Millisecond)
	closed.Phase, closed.Current, closed.ClosesAt, closed.ClosedAt, closed.UpdatedAt = models.DebateClosed, models.DebateClosed, &closedAt, &closedAt, closedAt
	r2 := goldenResults()
	r2.UpdatedAt = r1.UpdatedAt
	finalUpdate := onWire(t, DebateToQuestion(&closed, w.space, r2))

	st := dbtest.SQLite(t, models.WithBaseURL("https://b.example"), models.WithClock(func() time.Time { return sec.Add(time.Second) }))
	author, err := st.UpsertRemoteActor(ctx, &models.Actor{URI: open.Author.URI, Type: models.ActorPerson, Username: open.Author.Username,
		Host: "odn.example", Inbox: open.Author.Inbox})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpsertRemoteDebate(ctx, author, questionToRemoteDebate(voteUpdate)); err != nil {
		t.Fatal(err)
	}
	cp, err := st.UpsertRemoteDebate(ctx, author, questionToRemoteDebate(finalUpdate))
	if err != nil {
		t.Fatal(err)
	}
	if !cp.IsClosed() {
		t.Errorf("the origin's final Update (closed at %s) was ignored: updated %v then %v; copy phase %q",
			closedAt.Format(time.RFC3339Nano), voteUpdate["updated"], finalUpdate["updated"], cp.Current)
	}
}
