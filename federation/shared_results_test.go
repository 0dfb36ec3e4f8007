package federation

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// copyAtB stores, on instance B (b.example), the copy of the debate
// Question A (odn.example) publishes for d, as receiveCopy would, and
// returns B's store, the copy and a local member of B.
func copyAtB(t *testing.T, d *models.Debate, r *models.Results) (*models.Store, *models.Debate, *models.Actor) {
	t.Helper()
	ctx := context.Background()
	w := newGoldenWorld()
	m := onWire(t, DebateToQuestion(d, w.space, r))
	st := dbtest.SQLite(t, models.WithBaseURL("https://b.example"), models.WithClock(func() time.Time { return gNow }))
	author, err := st.UpsertRemoteActor(ctx, &models.Actor{URI: d.Author.URI, Type: models.ActorPerson, Username: d.Author.Username,
		Host: "odn.example", Inbox: d.Author.Inbox})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := st.UpsertRemoteDebate(ctx, author, questionToRemoteDebate(m))
	if err != nil {
		t.Fatal(err)
	}
	acc, err := st.CreateAccount(ctx, models.NewAccount{Username: "bea", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	return st, cp, acc.Actor
}

// TestCopyKeepsResultsSecret: A's debate shows its results only after
// the close (its Question carries no counts). B's copy was stored as
// "live": once B's members voted, B published B's partial tally (here 1
// voter, 100 %) while A kept the results secret. The rule now travels
// (odn:resultsVisibility); not even B's moderators see the copy's
// partial count.
func TestCopyKeepsResultsSecret(t *testing.T) {
	ctx := context.Background()
	w := newGoldenWorld()
	st, cp, bea := copyAtB(t, w.debate(models.ResultsAfterClose, models.DebateOpen), goldenResults())
	if _, err := st.CastVote(ctx, bea, cp.ID, []string{"Jardin"}); err != nil {
		t.Fatal(err)
	}
	cp, err := st.DebateByID(ctx, cp.ID)
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := st.PublicResults(ctx, nil, cp)
	if !errors.Is(err, models.ErrForbidden) {
		t.Errorf("B shows the results of an after_close debate before its close: %+v (err %v)", r, err)
	}
	if cp.ResultsVisible(&models.Account{Role: models.RoleModerator}) {
		t.Error("B's moderators see the copy's partial count")
	}
}

// TestCopyKeepsOriginsBreakdown: A publishes odn:byInstance with its
// counts; B's copy kept A's total but not the breakdown, which B then
// computed from its own ballots only.
func TestCopyKeepsOriginsBreakdown(t *testing.T) {
	ctx := context.Background()
	w := newGoldenWorld()
	st, cp, _ := copyAtB(t, w.debate(models.ResultsLive, models.DebateOpen), goldenResults())
	r, err := st.Results(ctx, cp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Voters != 7 || r.ByInstance["odn.example"] != 5 || r.ByInstance["mastodon.example"] != 2 {
		t.Errorf("B's copy: %d voters, by instance %v; A published 7 voters, by instance %v", r.Voters, r.ByInstance, goldenResults().ByInstance)
	}
}

// onWire is document d as a peer reads it: JSON, decoded into a map.
func onWire(t *testing.T, d doc) map[string]any {
	t.Helper()
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
