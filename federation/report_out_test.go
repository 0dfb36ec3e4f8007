package federation

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
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

// TestForwardOutcome: through the running outbox and delivery workers, a
// forwarded report reads delivered once the content's server answered
// 2xx to its Flag, and failed when that server refused it for good (a
// final 4xx: the dead letters) or the outbox dropped it (the domain
// blocked before it went); forwarded again, the failed report goes
// as a new Flag (its own id: the dead job holds the first), once.
func TestForwardOutcome(t *testing.T) {
	ctx := context.Background()
	n := newNode(t, nil)
	ann, mod := n.user(t, "ann"), moderator(t, n, "modo")
	good := newPeerInbox(t)
	var refuse atomic.Bool
	refuse.Store(true)
	var bad atomic.Int32 // Flags the refusing server got
	badSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bad.Add(1)
		if refuse.Load() {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(badSrv.Close)
	report := func(srv, name string) *models.Report {
		t.Helper()
		a, err := n.st.UpsertRemoteActor(ctx, &models.Actor{URI: srv + "/users/" + name, Type: models.ActorPerson,
			Username: name, Host: hostOf(srv), Inbox: srv + "/users/" + name + "/inbox"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := n.st.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: srv + "/p/1", AuthorID: a.ID, Title: "Bikes", ContentHTML: "<p>x</p>"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := n.st.CreateReport(ctx, ann.Actor, models.ReportInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Reason: "Spam.", Forward: true})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	status := func(id int64) string {
		list, err := n.st.ListReports(ctx, mod, models.ReportFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range list {
			if r.ID == id {
				return r.ForwardStatus
			}
		}
		return ""
	}
	delivered, refused := report(good.srv.URL, "zoe"), report(badSrv.URL, "yan")
	// Blocked before the outbox got to it, a Flag is dropped there.
	blocked := report("https://far.example", "xia")
	if _, err := n.st.BlockDomain(ctx, nil, "far.example", "spam"); err != nil {
		t.Fatal(err)
	}
	n.run(t)
	waitFor(t, "the Flag delivered", func() bool { return status(delivered.ID) == models.ForwardDelivered })
	if flags := good.find("Flag", ""); len(flags) != 1 {
		t.Errorf("the server got %d Flags, want 1", len(flags))
	}
	waitFor(t, "the refused Flag failed", func() bool { return status(refused.ID) == models.ForwardFailed })
	waitFor(t, "the Flag to a blocked domain failed", func() bool { return status(blocked.ID) == models.ForwardFailed })

	refuse.Store(false)
	if err := n.st.ForwardReport(ctx, mod, refused.ID, "Once more."); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second Flag delivered", func() bool { return status(refused.ID) == models.ForwardDelivered })
	from, err := n.st.InstanceActor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := n.st.DeliveriesFor(ctx, from.URI+"#flags/"+strconv.FormatInt(refused.ID, 10)+"/2")
	if err != nil || len(ds) != 1 || ds[0].State != models.DeliveryDone || ds[0].ReportID != refused.ID {
		t.Errorf("the second Flag's jobs: %+v (%v), want one delivered", ds, err)
	}
	if got := bad.Load(); got != 2 {
		t.Errorf("the server got %d Flags, want 2 (the refused one, then the second)", got)
	}
}
