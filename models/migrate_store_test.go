package models_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestMoveSQLiteToPostgres moves a populated SQLite instance to an empty
// PostgreSQL one and checks that nothing was lost or changed: every
// table's rows, the open data, log-in, the tallies, and that new rows get
// fresh ids (sequences reset). A second move into the now full target is
// refused.
func TestMoveSQLiteToPostgres(t *testing.T) {
	d := &openData{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return d.now }
	opts := []models.Option{models.WithClock(clock), models.WithBaseURL("https://town.example")}
	d.s = dbtest.Open(t, "sqlite", opts...)
	dst := dbtest.Open(t, "postgres", opts...)
	seedOpenData(t, d)
	ctx := context.Background()

	counts, err := d.s.CopyTo(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	byTable := map[string]int{}
	for _, c := range counts {
		byTable[c.Table] = c.Rows
	}
	for table, min := range map[string]int{"accounts": 7, "actors": 9, "spaces": 1, "proposals": 3, "supports": 3, "debates": 1,
		"debate_votes": 4, "debate_ballots": 4, "petitions": 1, "signatures": 2, "comments": 2, "events": 1, "audit_log": 1} {
		if byTable[table] < min {
			t.Errorf("%s: %d rows copied, want at least %d", table, byTable[table], min)
		}
		n, err := dst.DB.NewSelect().TableExpr(table).Count(ctx)
		if err != nil || n != int64(byTable[table]) {
			t.Errorf("%s: %d rows in the target (%v), %d copied", table, n, err, byTable[table])
		}
	}
	// Parents come before children.
	pos := map[string]int{}
	for i, c := range counts {
		pos[c.Table] = i
	}
	if pos["actors"] > pos["proposals"] || pos["proposals"] > pos["supports"] || pos["debates"] > pos["debate_votes"] {
		t.Errorf("copy order: %v", counts)
	}

	// Same open data on both sides, byte for byte.
	a, b := exportJSON(t, d.s), exportJSON(t, dst)
	if !bytes.Equal(a, b) {
		t.Errorf("exports differ:\n%s\n---\n%s", a, b)
	}
	// Passwords, booleans, times and tallies survived.
	acc, err := dst.Authenticate(ctx, "ann", "correct horse battery")
	if err != nil {
		t.Fatalf("log in on the target: %v", err)
	}
	if mayor, err := dst.AccountByUsername(ctx, "mayor"); err != nil || !mayor.Decider {
		t.Errorf("mayor on the target: %+v %v", mayor, err)
	}
	if rep, err := dst.Recount(ctx, nil, d.debate.ID); err != nil || len(rep.Differences) != 0 {
		t.Errorf("recount on the target: %+v %v", rep, err)
	}
	// Sequences continue after the copied ids.
	p, err := dst.CreateProposal(ctx, acc.Actor, "town", models.ProposalInput{Title: "Written after the move", Body: "Still works."})
	if err != nil {
		t.Fatalf("insert on the target: %v", err)
	}
	if p.ID <= d.props[2].ID {
		t.Errorf("new proposal id %d, copied ids go up to %d", p.ID, d.props[2].ID)
	}
	if _, err := dst.CreateAccount(ctx, models.NewAccount{Username: "newcomer", Password: "correct horse battery"}); err != nil {
		t.Errorf("new account on the target: %v", err)
	}

	// A non-empty target is refused, and left as it was.
	if _, err := d.s.CopyTo(ctx, dst); !errors.Is(err, models.ErrTargetNotEmpty) {
		t.Errorf("second move: %v, want ErrTargetNotEmpty", err)
	}
	if n, _ := dst.DB.NewSelect().TableExpr("proposals").Count(ctx); n != 4 {
		t.Errorf("target proposals after refused move: %d", n)
	}
}

func exportJSON(t *testing.T, s *models.Store) []byte {
	t.Helper()
	e, err := s.Export(context.Background(), models.ExportQuery{Space: "town"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
