package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// BenchmarkEnqueueDeliveries500 queues one 2 KB activity for 500 shared
// inboxes, as a new proposal in a space followed on 500 servers
// (fanout_10k in docs/BENCHMARKS.md): the last step before its first
// delivery can start.
func BenchmarkEnqueueDeliveries500(b *testing.B) {
	s := dbtest.Open(b, "sqlite", models.WithFastPasswordHashing())
	ctx := context.Background()
	sp, err := s.CreateSpace(ctx, nil, models.SpaceInput{Name: "ville", Kind: models.KindCity, Title: "Ville"})
	if err != nil {
		b.Fatal(err)
	}
	inboxes := make([]string, 500)
	for i := range inboxes {
		inboxes[i] = fmt.Sprintf("https://h%d.example/inbox", i)
	}
	body := []byte(`{"type":"Announce","content":"` + strings.Repeat("x", 2000) + `"}`)
	n := 0
	for b.Loop() {
		n++
		out := models.Outgoing{ActivityID: fmt.Sprintf("https://odn.example/activities/%d", n), Body: body, SignerID: sp.ActorID, Inboxes: inboxes}
		if got, err := s.EnqueueDeliveries(ctx, out); err != nil || got != len(inboxes) {
			b.Fatalf("%d jobs, want %d (%v)", got, len(inboxes), err)
		}
	}
}
