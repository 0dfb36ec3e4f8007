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
