package federation

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// flagsIn returns the Flags among a handler's activities.
func flagsIn(t *testing.T, out []models.Outgoing) []models.Outgoing {
	t.Helper()
	var flags []models.Outgoing
	for _, o := range out {
		var m map[string]any
		if err := json.Unmarshal(o.Body, &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] == "Flag" {
			flags = append(flags, o)
		}
	}
	return flags
}

// TestForwardReportLater: a member reports a copy of a remote proposal
// without asking to forward it, then a moderator forwards it from the
// queue before the outbox got to the report: of the two events, exactly
// one Flag comes out, from the instance actor to the author's server,
// with the moderator's message and neither the member's name nor their
// reason (they did not choose to send it); nothing more after.
// Through the outbox worker, a report forwarded later queues one delivery.
func TestForwardReportLater(t *testing.T) {
	ctx := context.Background()
	n := newNode(t, nil)
	ann, bob, mod := n.user(t, "ann"), n.user(t, "bob"), moderator(t, n, "modo")
	zoe, err := n.st.UpsertRemoteActor(ctx, &models.Actor{URI: "https://far.example/users/zoe", Type: models.ActorPerson,
		Username: "zoe", Host: "far.example", Inbox: "https://far.example/users/zoe/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := n.st.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://far.example/p/1", AuthorID: zoe.ID,
		Title: "Bikes", ContentHTML: "<p>More bikes</p>"})
	if err != nil {
		t.Fatal(err)
	}
	from, err := n.st.InstanceActor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, n)
	forward := func(by *models.Account) *models.Report {
		t.Helper()
		r, err := n.st.CreateReport(ctx, by.Actor, models.ReportInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Reason: "Copied spam."})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.st.ForwardReport(ctx, mod, r.ID, "Please look at this copied spam."); err != nil {
			t.Fatal(err)
		}
		return r
	}

	r := forward(ann)
	flags := flagsIn(t, runEvents(t, n))
	if len(flags) != 1 || !slices.Equal(flags[0].Inboxes, []string{zoe.Inbox}) || flags[0].SignerID != from.ID {
		t.Fatalf("Flags %+v, want one to %s signed by the instance actor", flags, zoe.Inbox)
	}
	var flag map[string]any
	if err := json.Unmarshal(flags[0].Body, &flag); err != nil {
		t.Fatal(err)
	}
	obj, _ := json.Marshal(flag["object"])
	if flag["id"] != from.URI+"#flags/"+strconv.FormatInt(r.ID, 10) || flag["type"] != "Flag" || flag["actor"] != from.URI ||
		!strings.Contains(string(obj), p.URI) || flag["content"] != "Please look at this copied spam." {
		t.Errorf("Flag %s", flags[0].Body)
	}
	if strings.Contains(string(flags[0].Body), "Copied spam.") {
		t.Errorf("the Flag carries the reporter's reason, which they did not choose to send: %s", flags[0].Body)
	}
	if body := string(flags[0].Body); strings.Contains(body, ann.Actor.URI) || strings.Contains(body, `"ann"`) || strings.Contains(body, "/ann") {
		t.Errorf("the Flag names the reporter: %s", body)
	}
	if again := flagsIn(t, runEvents(t, n)); len(again) != 0 {
		t.Errorf("%d more Flags after the first, want none", len(again))
	}

	// The worker's path: the events claimed, the Flag queued for delivery.
	r = forward(bob)
	for {
		k, err := n.s.outboxBatch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			break
		}
	}
	ds, err := n.st.DeliveriesFor(ctx, from.URI+"#flags/"+strconv.FormatInt(r.ID, 10))
	if err != nil || len(ds) != 1 || ds[0].Inbox != zoe.Inbox || strings.Contains(ds[0].Body, bob.Actor.URI) {
		t.Errorf("deliveries %+v (%v), want one to %s without bob", ds, err, zoe.Inbox)
	}
}
