package fedtest_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/opendemocracynow/odn/federation/fedtest"
	"github.com/opendemocracynow/odn/models"
)

// TestReportReachesOrigin: bob reports, through B's API, B's copy of A's
// proposal and alice's two replies to him; B's moderators get the
// reports. The two bob asked to forward go to A as a Flag by B's instance
// actor (bob is not named), which files each in A's moderation queue with
// bob's reason, and B's queue then says each was delivered; the one he
// did not ask to forward (filed first) stays at B.
func TestReportReachesOrigin(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	prop, err := n.a.Store.CreateProposal(n.ctx, n.alice.Actor, "ville", models.ProposalInput{Title: "More trees", Body: "Along the river."})
	if err != nil {
		t.Fatal(err)
	}
	atB := copyOf(t, n.b, "proposal", prop.URI, proposalID(n.b))
	var c struct {
		ID int64 `json:",string"`
	}
	if st := n.b.API("POST", "/api/v1/proposals/"+strconv.FormatInt(atB, 10)+"/comments", n.bobTok, map[string]any{"body": "Oaks, please."}, &c); st != http.StatusCreated {
		t.Fatalf("bob's comment: status %d", st)
	}
	bc, _ := n.b.Store.CommentByID(n.ctx, c.ID)
	var parent *models.Comment
	fedtest.Eventually(t, wait, "A to store bob's comment", func() bool {
		parent, err = n.a.Store.CommentByURI(n.ctx, bc.URI)
		return err == nil
	})
	reply, err := n.a.Store.CreateComment(n.ctx, n.alice.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal,
		ObjectID: prop.ID, ParentID: parent.ID, Body: "You again."})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := n.a.Store.CreateComment(n.ctx, n.alice.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal,
		ObjectID: prop.ID, ParentID: parent.ID, Body: "Oaks are slow."})
	if err != nil {
		t.Fatal(err)
	}
	var replyAtB, keptAtB *models.Comment
	fedtest.Eventually(t, wait, "B to store alice's replies", func() bool {
		replyAtB, err = n.b.Store.CommentByURI(n.ctx, reply.URI)
		if err == nil {
			keptAtB, err = n.b.Store.CommentByURI(n.ctx, kept.URI)
		}
		return err == nil
	})

	var keptReport string // B's id of the report bob did not ask to forward
	for _, r := range []struct {
		typ     string
		atB     int64
		atA     int64
		reason  string
		forward bool
	}{
		{models.ObjectTypeComment, keptAtB.ID, kept.ID, "Off topic.", false},
		{models.ObjectTypeProposal, atB, prop.ID, "Copied from another town's site.", true},
		{models.ObjectTypeComment, replyAtB.ID, reply.ID, "Rude.", true},
	} {
		in := map[string]any{"object_type": r.typ, "object_id": strconv.FormatInt(r.atB, 10), "reason": r.reason}
		if r.forward {
			in["forward"] = true
		}
		var rep struct{ ID string }
		if st := n.b.API("POST", "/api/v1/reports", n.bobTok, in, &rep); st != http.StatusCreated {
			t.Fatalf("bob's report of the %s through B: status %d", r.typ, st)
		}
		if !r.forward {
			keptReport = rep.ID
		}
		if r.forward {
			fedtest.Eventually(t, wait, "A to file B's report of the "+r.typ, func() bool {
				reports, err := n.a.Store.ListReports(n.ctx, n.alice, models.ReportFilter{})
				if err != nil {
					t.Fatal(err)
				}
				for _, rep := range reports {
					if rep.ObjectType == r.typ && rep.ObjectID == r.atA {
						if rep.Reason != r.reason || rep.Reporter == nil || rep.Reporter.URI != n.b.BaseURL+"/actor" {
							t.Fatalf("A's report = %+v by %+v, want B's instance actor and bob's reason", rep, rep.Reporter)
						}
						return true
					}
				}
				return false
			})
			// A answered 2xx: B's queue says delivered, not just queued.
			fedtest.Eventually(t, wait, "B to see its Flag of the "+r.typ+" delivered", func() bool {
				reports, err := n.b.Store.ListReports(n.ctx, n.bea, models.ReportFilter{})
				if err != nil {
					t.Fatal(err)
				}
				for _, got := range reports {
					if strconv.FormatInt(got.ID, 10) == rep.ID {
						return got.ForwardStatus == models.ForwardDelivered && got.ForwardDeliveredAt != nil
					}
				}
				return false
			})
		}
		reports, err := n.b.Store.ListReports(n.ctx, n.bea, models.ReportFilter{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, rep := range reports {
			found = found || (rep.ObjectType == r.typ && rep.ObjectID == r.atB && rep.Forward == r.forward)
		}
		if !found {
			t.Errorf("B's moderation queue has no report of the %s with forward %v", r.typ, r.forward)
		}
	}
	// B has handled every event since bob's reports, and queued no Flag
	// for the one he did not ask to forward.
	n.b.Settle()
	if ds, err := n.b.Store.DeliveriesFor(n.ctx, n.b.BaseURL+"/actor#flags/"+keptReport); err != nil || len(ds) != 0 {
		t.Errorf("B queued %d deliveries of the Flag bob did not ask for (%v); want none", len(ds), err)
	}
	reports, err := n.a.Store.ListReports(n.ctx, n.alice, models.ReportFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rep := range reports {
		if rep.ObjectType == models.ObjectTypeComment && rep.ObjectID == kept.ID {
			t.Errorf("A filed the report bob did not ask to forward: %+v", rep)
		}
		// The Flag names the author too, as Mastodon needs to file it;
		// A files the content's report only.
		if rep.ObjectType == models.ObjectTypeAccount {
			t.Errorf("A filed a report of the author's account besides the content's: %+v", rep)
		}
	}
}
