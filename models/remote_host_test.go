package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestHostFailedCircuit: the circuit opens at the threshold and doubles
// its time per further failure, but failures that arrive while it is
// open (requests started before) do not count.
func TestHostFailedCircuit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *models.Store) {
		ctx := context.Background()
		const threshold, open = 3, time.Minute
		for i := range threshold - 1 {
			h, err := st.HostFailed(ctx, "peer.example", "status 503", threshold, open)
			if err != nil || h.DownUntil != nil || h.Failures != i+1 {
				t.Fatalf("failure %d: %+v %v", i+1, h, err)
			}
		}
		h, err := st.HostFailed(ctx, "peer.example", "status 503", threshold, open)
		if err != nil || h.DownUntil == nil {
			t.Fatalf("at the threshold: %+v %v", h, err)
		}
		until := *h.DownUntil
		if d := until.Sub(st.Now()); d < open-time.Second || d > open+time.Second {
			t.Errorf("open for %s, want %s", d, open)
		}
		for range 8 { // the other requests in flight fail too
			if h, err = st.HostFailed(ctx, "peer.example", "status 503", threshold, open); err != nil {
				t.Fatal(err)
			}
		}
		if h.Failures != threshold || !h.DownUntil.Equal(until) {
			t.Errorf("after failures while open: failures %d until %s, want %d and %s", h.Failures, h.DownUntil, threshold, until)
		}
	})
}

// TestFollowerRecipientsSoftware: each follower inbox comes with the
// software its host runs, once learnt; unknown hosts have none, and a
// later answer replaces the name.
func TestFollowerRecipientsSoftware(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *models.Store) {
		ctx := context.Background()
		sp, err := st.CreateSpace(ctx, nil, models.SpaceInput{Name: "ville", Kind: models.KindCity, Title: "Ville"})
		if err != nil {
			t.Fatal(err)
		}
		for i, host := range []string{"masto.example", "odn.example", "new.example"} {
			a, err := st.UpsertRemoteActor(ctx, &models.Actor{URI: "https://" + host + "/users/u", Type: models.ActorPerson, Username: "u",
				Host: host, Inbox: "https://" + host + "/users/u/inbox", SharedInbox: "https://" + host + "/inbox",
				PublicKeyID: "https://" + host + "/users/u#main-key", PublicKeyPEM: "x"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.ReceiveFollow(ctx, a, sp.Actor, "https://"+host+"/follows/"+string(rune('a'+i)), true); err != nil {
				t.Fatal(err)
			}
		}
		if name, checked, err := st.HostSoftware(ctx, "masto.example"); err != nil || name != "" || checked != nil {
			t.Fatalf("before asking: %q %v %v", name, checked, err)
		}
		if _, err := st.HostFailed(ctx, "odn.example", "status 503", 5, time.Minute); err != nil {
			t.Fatal(err) // a health row already there must keep its failures
		}
		for host, name := range map[string]string{"masto.example": "gotosocial", "odn.example": "odn"} {
			if err := st.SetHostSoftware(ctx, host, name); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.SetHostSoftware(ctx, "MASTO.example", "mastodon"); err != nil {
			t.Fatal(err)
		}
		rs, err := st.FollowerRecipients(ctx, sp.Actor.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range rs {
			got[r.Inbox] = r.Software
		}
		want := map[string]string{"https://masto.example/inbox": "mastodon", "https://odn.example/inbox": "odn", "https://new.example/inbox": ""}
		if len(got) != len(want) {
			t.Fatalf("recipients %v, want %v", got, want)
		}
		for inbox, sw := range want {
			if s, ok := got[inbox]; !ok || s != sw {
				t.Errorf("%s: software %q (present %v), want %q", inbox, s, ok, sw)
			}
		}
		name, checked, err := st.HostSoftware(ctx, "odn.example")
		if err != nil || name != "odn" || checked == nil {
			t.Errorf("odn.example: %q %v %v", name, checked, err)
		}
		hosts, err := st.RemoteHosts(ctx)
		if err != nil || len(hosts) != 1 || hosts[0].Host != "odn.example" || hosts[0].Failures != 1 {
			t.Errorf("delivery health lost: %+v %v", hosts, err)
		}
	})
}
